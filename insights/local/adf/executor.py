"""Runs ADF pipeline JSON on this machine: control flow, dependency conditions, retries, run records.

Execution activities (Copy, Lookup, GetMetadata, DatabricksJob) are delegated to `activities.py`,
which binds linked services to local engines. Activities of one container run one after another in
dependency order; ForEach runs its iterations in parallel batches as ADF does.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from adf_pipelines import Factory, FactoryError
from insights.local.adf.expressions import Scope, evaluate

SUCCEEDED, FAILED, SKIPPED = "Succeeded", "Failed", "Skipped"
DEFAULT_BATCH_COUNT, MAX_BATCH_COUNT = 20, 50


class UnsupportedActivityError(FactoryError):
    """The pipeline uses an activity type the local executor does not run."""


class ActivityFailed(Exception):
    """An activity ended in Failed; carries ADF's error shape."""

    def __init__(self, message: str, error_code: str = "LocalExecutionFailure", output: Any = None):
        super().__init__(message)
        self.error = {"errorCode": error_code, "message": message, "failureType": "UserError"}
        self.output = output


@dataclass
class ActivityRun:
    """One run of one activity (one per ForEach iteration), as ADF's monitoring lists them."""

    pipeline: str
    name: str
    type: str
    status: str
    started_at: datetime
    seconds: float
    output: Any = None
    error: dict | None = None
    item: Any = None
    pipeline_run_id: str = ""  # the run of the pipeline it belongs to (ADF's pipelineRunId)


@dataclass
class PipelineRun:
    run_id: str
    pipeline: str
    status: str = "InProgress"
    parameters: dict = field(default_factory=dict)
    error: dict | None = None
    return_value: dict = field(default_factory=dict)
    activity_runs: list[ActivityRun] = field(default_factory=list)


@dataclass
class _RunContext:
    """State shared by one pipeline run and the containers inside it."""

    run: PipelineRun
    variables: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)


ActivityHandler = Callable[[dict, Scope], Any]


class Executor:
    """Runs pipelines of one factory with the given execution-activity handlers."""

    def __init__(
        self,
        factory: Factory,
        handlers: dict[str, ActivityHandler],
        *,
        on_activity_start: Callable[[str, dict, Any], None] | None = None,
        on_activity_end: Callable[[ActivityRun], None] | None = None,
        max_retry_interval: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.factory = factory
        self.handlers = handlers
        self.on_activity_start = on_activity_start or (lambda pipeline, activity, item: None)
        self.on_activity_end = on_activity_end or (lambda activity_run: None)
        self.max_retry_interval = max_retry_interval
        self.clock = clock
        self.runs: list[PipelineRun] = []

    # ----------------------------------------------------------------------------------- pipelines
    def run(
        self,
        pipeline_name: str,
        parameters: dict | None = None,
        *,
        run_id: str | None = None,
        trigger_time: datetime | None = None,
        trigger: dict | None = None,
    ) -> PipelineRun:
        """Run a pipeline to its end, as a trigger would; returns its run record."""
        trigger_time = trigger_time or self.clock()
        system = {
            "DataFactory": "local",
            "TriggerTime": _iso(trigger_time),
            "TriggerType": "Manual",
            "TriggerName": "Manual",
            "TriggerId": "",
            **(trigger or {}),
        }
        return self._run_pipeline(pipeline_name, parameters or {}, system, run_id or str(uuid.uuid4()))

    def _run_pipeline(self, name: str, arguments: dict, system: dict, run_id: str) -> PipelineRun:
        definition = self.factory.pipeline(name)
        parameters = _bind_parameters(name, definition.get("parameters", {}), arguments)
        variables = {
            key: spec.get("defaultValue", [] if spec.get("type") == "Array" else None)
            for key, spec in definition.get("variables", {}).items()
        }
        run = PipelineRun(run_id=run_id, pipeline=name, parameters=parameters)
        self.runs.append(run)
        context = _RunContext(run=run, variables=variables)
        scope = Scope(
            parameters=parameters,
            global_parameters=self.factory.global_parameters,
            system={**system, "RunId": run_id, "Pipeline": name, "GroupId": system.get("GroupId", run_id)},
            variables=variables,
            activities={},
            clock=self.clock,
        )
        status, error = self._run_container(definition.get("activities", []), scope, context)
        run.status, run.error = status, error
        run.return_value = variables.get("pipelineReturnValue") or {}
        return run

    # ---------------------------------------------------------------------------------- containers
    def _run_container(self, activities: list[dict], scope: Scope, context: _RunContext) -> tuple[str, dict | None]:
        """Run a list of activities by their dependencies; returns ADF's outcome for the container."""
        statuses: dict[str, str] = {}
        errors: dict[str, dict] = {}
        for activity in _dependency_order(activities):
            activity_run = self._run_activity(activity, scope, context, skip=not _dependencies_met(activity, statuses))
            statuses[activity["name"]] = activity_run.status
            if activity_run.error:
                errors[activity["name"]] = activity_run.error
        failed = _failed_leaves(activities, statuses)
        if not failed:
            return SUCCEEDED, None
        message = "; ".join(f"{name}: {errors.get(name, {}).get('message', 'failed')}" for name in failed)
        return FAILED, {"errorCode": "ActivityFailed", "message": message, "failureType": "UserError"}

    # ---------------------------------------------------------------------------------- activities
    def _run_activity(self, activity: dict, scope: Scope, context: _RunContext, skip: bool) -> ActivityRun:
        """Run one activity (or record it Skipped) and publish its result to the scope."""
        name, kind = activity["name"], activity.get("type", "")
        item = scope.item if scope.has_item else None
        started, clock = self.clock(), time.perf_counter()
        if not skip:
            self.on_activity_start(context.run.pipeline, activity, item)
        if skip:
            status, output, error = SKIPPED, None, None
        elif activity.get("state") == "Inactive":
            status, output, error = activity.get("onInactiveMarkAs", SUCCEEDED), None, None
        else:
            status, output, error = self._execute(activity, scope, context)
        activity_run = ActivityRun(
            pipeline=context.run.pipeline,
            name=name,
            type=kind,
            status=status,
            started_at=started,
            seconds=time.perf_counter() - clock,
            output=output,
            error=error,
            item=item,
            pipeline_run_id=context.run.run_id,
        )
        scope.activities[name] = {"status": status, "output": output, "error": error}
        with context.lock:
            context.run.activity_runs.append(activity_run)
        self.on_activity_end(activity_run)
        return activity_run

    def _execute(self, activity: dict, scope: Scope, context: _RunContext) -> tuple[str, Any, dict | None]:
        kind = activity.get("type", "")
        control = self._control_activities().get(kind)
        handler = self.handlers.get(kind)
        if control is None and handler is None:
            raise UnsupportedActivityError(
                f"activity {activity['name']!r} has type {kind!r}, which the local executor does not run "
                f"(supported: {', '.join(sorted({*self._control_activities(), *self.handlers}))})"
            )
        policy = activity.get("policy", {})
        attempts = 1 + (int(policy.get("retry", 0)) if handler else 0)
        for attempt in range(1, attempts + 1):
            try:
                output = control(activity, scope, context) if control else handler(activity, scope)
                return SUCCEEDED, output, None
            except ActivityFailed as failure:
                status, output, error = FAILED, failure.output, failure.error
            except UnsupportedActivityError:
                raise
            except Exception as exc:  # an engine error fails the activity, as in ADF
                status, output, error = FAILED, None, _error(exc)
            if attempt < attempts:
                time.sleep(min(float(policy.get("retryIntervalInSeconds", 30)), self.max_retry_interval))
        return status, output, error

    def _control_activities(self) -> dict[str, Callable[[dict, Scope, _RunContext], Any]]:
        return {
            "ForEach": self._for_each,
            "IfCondition": self._if_condition,
            "ExecutePipeline": self._execute_pipeline,
            "SetVariable": self._set_variable,
            "AppendVariable": self._append_variable,
            "Wait": self._wait,
            "Fail": self._fail,
        }

    def _for_each(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        items = evaluate(props["items"], scope)
        if not isinstance(items, list):
            raise ActivityFailed(f"ForEach {activity['name']!r}: items must be an array, got {type(items).__name__}")
        inner = props.get("activities", [])

        def iteration(item: Any) -> tuple[str, dict | None]:
            child = replace(scope.with_item(item), activities=dict(scope.activities))
            return self._run_container(inner, child, context)

        if props.get("isSequential", False):
            outcomes = [iteration(item) for item in items]
        else:
            workers = min(int(props.get("batchCount", DEFAULT_BATCH_COUNT)), MAX_BATCH_COUNT)
            with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
                outcomes = list(pool.map(iteration, items))
        failures = [error["message"] for status, error in outcomes if status == FAILED and error]
        if failures:
            raise ActivityFailed(f"{len(failures)} of {len(items)} iterations failed: " + " | ".join(failures))
        return {"iterations": len(items)}

    def _if_condition(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        condition = evaluate(props["expression"], scope)
        if not isinstance(condition, bool):
            raise ActivityFailed(f"IfCondition {activity['name']!r}: expression must be a boolean, got {condition!r}")
        branch = props.get("ifTrueActivities" if condition else "ifFalseActivities", [])
        status, error = self._run_container(branch, replace(scope, activities=dict(scope.activities)), context)
        if status == FAILED:
            raise ActivityFailed(error["message"] if error else "branch failed")
        return {"expression": condition}

    def _execute_pipeline(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        child_name = props["pipeline"]["referenceName"]
        arguments = evaluate(props.get("parameters", {}), scope)
        system = {
            key: scope.system[key]
            for key in ("DataFactory", "TriggerTime", "TriggerType", "TriggerName", "TriggerId", "GroupId")
        }
        system |= {"TriggeredByPipelineName": context.run.pipeline, "TriggeredByPipelineRunId": context.run.run_id}
        child = self._run_pipeline(child_name, arguments, system, str(uuid.uuid4()))
        output = {"pipelineName": child_name, "pipelineRunId": child.run_id, "pipelineReturnValue": child.return_value}
        if child.status == FAILED:
            message = f"pipeline {child_name!r} failed: {(child.error or {}).get('message', '')}"
            raise ActivityFailed(message, "PipelineFailed", output)
        return output

    def _set_variable(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        name = props["variableName"]
        value = evaluate(props.get("value"), scope)
        if name != "pipelineReturnValue" and name not in context.variables:
            raise ActivityFailed(f"SetVariable {activity['name']!r}: variable {name!r} is not declared")
        if name == "pipelineReturnValue":
            value = {entry["key"]: evaluate(entry["value"].get("content"), scope) for entry in value or []}
        with context.lock:
            context.variables[name] = value
        return {"name": name, "value": value}

    def _append_variable(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        name = props["variableName"]
        value = evaluate(props.get("value"), scope)
        with context.lock:
            if not isinstance(context.variables.get(name), list):
                raise ActivityFailed(f"AppendVariable {activity['name']!r}: variable {name!r} is not an array")
            context.variables[name] = [*context.variables[name], value]
        return {"name": name, "value": value}

    def _wait(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        seconds = evaluate(activity["typeProperties"]["waitTimeInSeconds"], scope)
        time.sleep(float(seconds))
        return {"waitTimeInSeconds": seconds}

    def _fail(self, activity: dict, scope: Scope, context: _RunContext) -> dict:
        props = activity["typeProperties"]
        raise ActivityFailed(str(evaluate(props["message"], scope)), str(evaluate(props["errorCode"], scope)))


# ------------------------------------------------------------------------------------- helpers
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def _error(exc: Exception) -> dict:
    return {"errorCode": type(exc).__name__, "message": str(exc) or type(exc).__name__, "failureType": "UserError"}


def _bind_parameters(pipeline: str, declared: dict, arguments: dict) -> dict:
    unknown = set(arguments) - set(declared)
    if unknown:
        raise FactoryError(f"pipeline {pipeline!r} has no parameter(s) {', '.join(sorted(unknown))}")
    bound = {}
    for name, spec in declared.items():
        if name in arguments:
            bound[name] = arguments[name]
        elif "defaultValue" in spec:
            bound[name] = spec["defaultValue"]
        else:
            raise FactoryError(f"pipeline {pipeline!r}: parameter {name!r} is required")
    return bound


def _dependency_order(activities: list[dict]) -> list[dict]:
    """Activities in an order that runs every one after those it depends on (file order otherwise)."""
    by_name = {activity["name"]: activity for activity in activities}
    for activity in activities:
        for dependency in activity.get("dependsOn", []):
            if dependency["activity"] not in by_name:
                raise FactoryError(
                    f"activity {activity['name']!r} depends on unknown activity {dependency['activity']!r}"
                )
    ordered: list[dict] = []
    done: set[str] = set()
    pending = list(activities)
    while pending:
        ready = [a for a in pending if all(d["activity"] in done for d in a.get("dependsOn", []))]
        if not ready:
            raise FactoryError(f"circular dependency among: {', '.join(a['name'] for a in pending)}")
        for activity in ready:
            ordered.append(activity)
            done.add(activity["name"])
            pending.remove(activity)
    return ordered


def _dependencies_met(activity: dict, statuses: dict[str, str]) -> bool:
    """AND across dependencies, OR across one dependency's conditions; Completed = Succeeded or Failed."""
    for dependency in activity.get("dependsOn", []):
        upstream = statuses[dependency["activity"]]
        conditions = set(dependency.get("dependencyConditions", [SUCCEEDED]))
        if "Completed" in conditions:
            conditions |= {SUCCEEDED, FAILED}
        if upstream not in conditions:
            return False
    return True


def _failed_leaves(activities: list[dict], statuses: dict[str, str]) -> list[str]:
    """ADF's outcome rule: judge every leaf; a skipped leaf is judged by its parents instead.

    A failure that an activity on its Failed or Completed path ran for counts as handled
    (ADF's try-catch and do-if-else patterns end in success).
    """
    parents = {a["name"]: [d["activity"] for d in a.get("dependsOn", [])] for a in activities}
    handled = {
        dependency["activity"]
        for activity in activities
        if statuses.get(activity["name"]) != SKIPPED
        for dependency in activity.get("dependsOn", [])
        if {"Failed", "Completed"} & set(dependency.get("dependencyConditions", []))
    }
    has_child = {parent for names in parents.values() for parent in names}
    failed: list[str] = []

    def judge(name: str) -> None:
        if statuses[name] == SKIPPED:
            for parent in parents[name]:
                judge(parent)
        elif statuses[name] == FAILED and name not in handled and name not in failed:
            failed.append(name)

    for name in parents:
        if name not in has_child:
            judge(name)
    return failed
