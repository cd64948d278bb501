"""`insights cloud run | runtime-key | triggers`, at the Azure client seam (a fake: the real thing is the cloud)
and through the command line: progress per activity, child pipelines followed, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from insights.ops import cli as ops_cli
from insights.ops.azure import ActivityRunInfo, PermissionDeniedError
from insights.ops.cloud import run_master, runtime_key, switch_triggers
from insights.ops.deploy import OpsFailure, Timing
from tests.support.fake_azure import World

TIMING = Timing(poll_seconds=15, smoke_timeout_seconds=600, stop_wait_seconds=0, trigger_wait_seconds=0)


def activity(run_id: str, pipeline: str, name: str, kind: str, status: str = "Succeeded", **output) -> ActivityRunInfo:
    return ActivityRunInfo(
        run_id, pipeline, name, kind, status, 2.5, dict(output), "boom" if status == "Failed" else ""
    )


def master_with_a_child(world: World) -> None:
    world.azure.activities = {
        "run-1": [
            activity("a1", "pl_daily_master", "Set Load Date", "SetVariable"),
            activity("a2", "pl_daily_master", "Extract Tables", "ExecutePipeline", pipelineRunId="child-1"),
        ],
        "child-1": [activity("c1", "pl_extract_table", "Copy To Bronze", "Copy", rowsCopied=1234)],
    }


def test_cloud_run_starts_the_master_once_and_prints_every_activity_once(deployed_root: Path) -> None:
    world = World("prod")
    master_with_a_child(world)
    result = run_master("prod", world.operator(), TIMING, root=deployed_root)
    assert result.run.status == "Succeeded"
    assert [c for c in world.journal if c[1] == "run_pipeline"] == [
        ("azure", "run_pipeline", "adf-cip-prod-abcde", "pl_daily_master")
    ]
    lines = [line.strip() for line in world.said if line.startswith("  ")]
    assert lines == [
        "✓ Set Load Date (SetVariable) 2.5s",
        "✓ Extract Tables (ExecutePipeline) 2.5s",
        "✓ pl_extract_table / Copy To Bronze (Copy) 1,234 rows 2.5s",
    ]
    assert ("azure", "activity_runs", "child-1") in world.journal
    assert not [c for c in world.journal if c[1] in ("stop_trigger", "start_trigger")] and world.slept == [15, 15]


def test_a_failed_cloud_run_names_the_failed_activity(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.pipeline_statuses = ["InProgress", "Failed"]
    world.azure.pipeline_message = "Operation on target Build Silver failed"
    world.azure.activities = {"run-1": [activity("a1", "pl_daily_master", "Build Silver", "DatabricksJob", "Failed")]}
    with pytest.raises(
        OpsFailure, match="failed: Operation on target Build Silver failed; first failed activity Build Silver: boom"
    ):
        run_master("prod", world.operator(), TIMING, root=deployed_root)


def test_before_the_first_deploy_there_is_nothing_to_run(deployed_root: Path) -> None:
    world = World("dev", deployed=False)
    with pytest.raises(OpsFailure, match=r"has no factory yet: deploy it first \(`insights deploy --stack dev`\)"):
        run_master("dev", world.operator(), TIMING, root=deployed_root)


def test_runtime_key_reads_the_key_on_demand(deployed_root: Path) -> None:
    world = World("prod")
    assert runtime_key("prod", world.operator(), root=deployed_root) == "IR@fake-node-key"
    assert ("azure", "runtime_auth_key", "shir-onprem") in world.journal


def test_triggers_command_stops_then_starts(deployed_root: Path) -> None:
    world = World("prod", trigger="Started")
    assert switch_triggers("prod", world.operator(), "stop", TIMING, root=deployed_root) == ["tr_daily"]
    assert switch_triggers("prod", world.operator(), "start", TIMING, root=deployed_root) == ["tr_daily"]
    assert world.azure.triggers == {"tr_daily": "Started"}


def test_the_commands_print_a_failure_as_one_line(app, monkeypatch: pytest.MonkeyPatch, deployed_root) -> None:
    world = World("prod")
    world.azure.start_error = PermissionDeniedError(
        "starting trigger tr_daily: the signed-in identity lacks permission"
    )
    world.azure.triggers = {"tr_daily": "Stopped"}
    monkeypatch.setattr(ops_cli, "_operator", lambda console: world.operator())
    monkeypatch.chdir(deployed_root)
    result = CliRunner().invoke(app, ["cloud", "triggers", "start", "--stack", "prod"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("error: starting trigger tr_daily: the signed-in")
    assert "Traceback" not in result.output
    key = CliRunner().invoke(app, ["cloud", "runtime-key", "--stack", "prod"])
    assert key.exit_code == 0 and key.stdout.strip().splitlines()[-1] == "IR@fake-node-key"
