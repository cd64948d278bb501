"""The local executor's control flow and dependency conditions, on real control activities."""

from __future__ import annotations

import pytest

from adf_pipelines import Factory, FactoryError
from insights.local.adf.executor import Executor, UnsupportedActivityError


def expr(value: str) -> dict:
    return {"value": value, "type": "Expression"}


def after(name: str, *conditions: str) -> list[dict]:
    return [{"activity": name, "dependencyConditions": list(conditions)}]


def append(name: str, value, depends_on=None) -> dict:
    return {
        "name": name,
        "type": "AppendVariable",
        "dependsOn": depends_on or [],
        "typeProperties": {"variableName": "log", "value": value},
    }


def fail(name: str, depends_on=None) -> dict:
    return {
        "name": name,
        "type": "Fail",
        "dependsOn": depends_on or [],
        "typeProperties": {"message": f"{name} failed on purpose", "errorCode": "E42"},
    }


def pipeline(name: str, activities: list[dict], parameters=None, variables=None) -> dict:
    return {
        "name": name,
        "properties": {
            "activities": activities,
            "parameters": parameters or {},
            "variables": {"log": {"type": "Array"}, **(variables or {})},
        },
    }


def run(*pipelines: dict, name: str | None = None, **kwargs):
    factory = Factory({p["name"]: p for p in pipelines}, {}, {"env": "test"})
    executor = Executor(factory, {})
    result = executor.run(name or pipelines[0]["name"], **kwargs)
    return result, executor


def log_of(result, executor) -> list:
    """The `log` variable as the last SetVariable-like write left it (returned through the run record)."""
    return [a.output["value"] for a in result.activity_runs if a.type == "AppendVariable" and a.status == "Succeeded"]


def statuses(result) -> dict[str, str]:
    return {a.name: a.status for a in result.activity_runs}


def test_dependency_conditions_succeeded_failed_skipped_completed():
    result, _ = run(
        pipeline(
            "p",
            [
                fail("A"),
                append("on A succeeded", "s", after("A", "Succeeded")),
                append("on A failed", "f", after("A", "Failed")),
                append("on A completed", "c", after("A", "Completed")),
                append("on skipped", "k", after("on A succeeded", "Skipped")),
                append("on skipped or succeeded", "ks", after("on A failed", "Skipped", "Succeeded")),
            ],
        )
    )
    assert statuses(result)["A"] == "Failed"
    assert statuses(result)["on A succeeded"] == "Skipped"
    assert [a.name for a in result.activity_runs if a.status == "Succeeded"] == [
        "on A failed",
        "on A completed",
        "on skipped",
        "on skipped or succeeded",
    ]
    # a failure handled on its Failed path ends the pipeline in success (ADF's try-catch pattern)
    assert result.status == "Succeeded"


def test_all_dependencies_must_hold():
    result, _ = run(
        pipeline(
            "p",
            [
                append("A", 1),
                fail("B"),
                append("needs both succeeded", 2, after("A", "Succeeded") + after("B", "Succeeded")),
            ],
        )
    )
    assert statuses(result)["needs both succeeded"] == "Skipped"
    assert result.status == "Failed"
    assert "B failed on purpose" in result.error["message"]


def test_unhandled_failure_fails_the_pipeline_and_skips_dependents():
    result, _ = run(pipeline("p", [fail("A"), append("B", 1, after("A", "Succeeded"))]))
    assert statuses(result) == {"A": "Failed", "B": "Skipped"}
    assert result.status == "Failed"


def test_foreach_sequential_keeps_order_and_exposes_item():
    result, executor = run(
        pipeline(
            "p",
            [
                {
                    "name": "each",
                    "type": "ForEach",
                    "typeProperties": {
                        "items": expr("@pipeline().parameters.names"),
                        "isSequential": True,
                        "activities": [append("add", expr("@concat(item(), '!')"))],
                    },
                }
            ],
            parameters={"names": {"type": "array", "defaultValue": ["a", "b", "c"]}},
        )
    )
    assert result.status == "Succeeded"
    assert log_of(result, executor) == ["a!", "b!", "c!"]


def test_foreach_parallel_runs_every_item_in_batches():
    items = list(range(12))
    result, executor = run(
        pipeline(
            "p",
            [
                {
                    "name": "each",
                    "type": "ForEach",
                    "typeProperties": {
                        "items": expr("@pipeline().parameters.items"),
                        "isSequential": False,
                        "batchCount": 4,
                        "activities": [append("add", expr("@mul(item(), 10)"))],
                    },
                }
            ],
            parameters={"items": {"type": "array"}},
        ),
        parameters={"items": items},
    )
    assert result.status == "Succeeded"
    assert sorted(log_of(result, executor)) == [i * 10 for i in items]


def test_foreach_fails_when_an_iteration_fails():
    result, _ = run(
        pipeline(
            "p",
            [
                {
                    "name": "each",
                    "type": "ForEach",
                    "typeProperties": {
                        "items": expr("@createArray(1, 2, 3)"),
                        "activities": [
                            {
                                "name": "maybe",
                                "type": "IfCondition",
                                "typeProperties": {
                                    "expression": expr("@equals(item(), 2)"),
                                    "ifTrueActivities": [fail("boom")],
                                },
                            }
                        ],
                    },
                }
            ],
        )
    )
    assert result.status == "Failed"
    assert "1 of 3 iterations failed" in result.error["message"]


def test_if_condition_runs_one_branch_and_requires_a_boolean():
    branch = {
        "name": "check",
        "type": "IfCondition",
        "typeProperties": {
            "expression": expr("@greater(pipeline().parameters.n, 5)"),
            "ifTrueActivities": [append("big", "big")],
            "ifFalseActivities": [append("small", "small")],
        },
    }
    big, executor = run(pipeline("p", [branch], parameters={"n": {"type": "int"}}), parameters={"n": 7})
    assert log_of(big, executor) == ["big"]
    small, executor = run(pipeline("p", [branch], parameters={"n": {"type": "int"}}), parameters={"n": 3})
    assert log_of(small, executor) == ["small"]

    not_boolean = {
        **branch,
        "typeProperties": {**branch["typeProperties"], "expression": expr("@pipeline().parameters.n")},
    }
    failed, _ = run(pipeline("p", [not_boolean], parameters={"n": {"type": "int"}}), parameters={"n": 3})
    assert failed.status == "Failed"
    assert "must be a boolean" in failed.error["message"]


def test_execute_pipeline_passes_parameters_and_returns_value():
    child = pipeline(
        "child",
        [
            {
                "name": "return",
                "type": "SetVariable",
                "typeProperties": {
                    "variableName": "pipelineReturnValue",
                    "value": [
                        {
                            "key": "doubled",
                            "value": {"type": "Expression", "content": "@mul(pipeline().parameters.x, 2)"},
                        }
                    ],
                },
            }
        ],
        parameters={"x": {"type": "int"}},
    )
    parent = pipeline(
        "parent",
        [
            {
                "name": "call",
                "type": "ExecutePipeline",
                "typeProperties": {
                    "pipeline": {"referenceName": "child", "type": "PipelineReference"},
                    "waitOnCompletion": True,
                    "parameters": {"x": 21},
                },
            },
            append("read", expr("@activity('call').output.pipelineReturnValue.doubled"), after("call", "Succeeded")),
        ],
    )
    result, executor = run(parent, child, name="parent")
    assert result.status == "Succeeded"
    assert log_of(result, executor) == [42]
    child_run = next(r for r in executor.runs if r.pipeline == "child")
    assert child_run.parameters == {"x": 21}


def test_set_variable_and_global_parameters():
    result, _ = run(
        pipeline(
            "p",
            [
                {
                    "name": "set",
                    "type": "SetVariable",
                    "typeProperties": {
                        "variableName": "v",
                        "value": expr("@concat(pipeline().globalParameters.env, '-', pipeline().Pipeline)"),
                    },
                },
                append("read", expr("@variables('v')"), after("set", "Succeeded")),
            ],
            variables={"v": {"type": "String"}},
        )
    )
    assert [a.output["value"] for a in result.activity_runs] == ["test-p", "test-p"]


def test_unsupported_activity_type_is_a_clear_error():
    with pytest.raises(UnsupportedActivityError, match="'Teleport'"):
        run(pipeline("p", [{"name": "x", "type": "Teleport", "typeProperties": {}}]))


def test_required_parameter_and_unknown_dependency_are_errors():
    with pytest.raises(FactoryError, match="parameter 'n' is required"):
        run(pipeline("p", [], parameters={"n": {"type": "int"}}))
    with pytest.raises(FactoryError, match="unknown activity 'ghost'"):
        run(pipeline("p", [append("a", 1, after("ghost", "Succeeded"))]))
