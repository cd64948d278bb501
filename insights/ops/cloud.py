"""`insights cloud`: one step against a deployed stack, through the one Azure client.

- `run`: start the master pipeline once and follow its activity runs to the end, as `insights run` does locally;
- `runtime-key`: the self-hosted integration runtime's auth key, to register a node (read here, on demand, so
  that the program calls no `listAuthKeys` and a Reader can run `pulumi preview`);
- `triggers stop|start`: only the trigger step of `insights deploy`.

Each reads the stack's outputs with the Pulumi CLI; every failure is an `OpsFailure` whose message the command
prints as one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adf_pipelines import MASTER_PIPELINE
from infra.factory import SELF_HOSTED_RUNTIME
from insights.ops.azure import AzureOpsError
from insights.ops.deploy import Operator, OpsFailure, Timing, check_cloud, run_and_follow_master
from insights.ops.pulumi_cli import PulumiError
from insights.ops.runs import FollowedRun, RunTimeout, failure
from insights.ops.triggers import StackTriggers, TriggerError, start_triggers, stop_triggers


@dataclass
class CloudRun:
    stack: str
    run: FollowedRun


def deployed(stack: str, op: Operator, root: Path | None = None) -> StackTriggers:
    """The deployed stack's factory and triggers, after the sign-in checks."""
    try:
        outputs = check_cloud(stack, op, root, require_providers=False)
        found = StackTriggers.from_outputs(outputs)
    except (PulumiError, TriggerError) as exc:
        raise OpsFailure(str(exc)) from None
    if found is None:
        raise OpsFailure(f"stack {stack!r} has no factory yet: deploy it first (`insights deploy --stack {stack}`)")
    return found


def run_master(stack: str, op: Operator, timing: Timing, root: Path | None = None) -> CloudRun:
    """Start the master pipeline once and follow it; raise OpsFailure unless it succeeds."""
    factory = deployed(stack, op, root).factory
    try:
        run = run_and_follow_master(op, factory, timing)
    except (AzureOpsError, RunTimeout) as exc:
        raise OpsFailure(str(exc)) from None
    if run.status != "Succeeded":
        raise OpsFailure(f"{failure(run, MASTER_PIPELINE)}; its activities are in ADF Studio (Monitor)")
    return CloudRun(stack, run)


def runtime_key(stack: str, op: Operator, root: Path | None = None) -> str:
    factory = deployed(stack, op, root).factory
    try:
        return op.azure.runtime_auth_key(factory, SELF_HOSTED_RUNTIME)
    except AzureOpsError as exc:
        raise OpsFailure(str(exc)) from None


def switch_triggers(stack: str, op: Operator, action: str, timing: Timing, root: Path | None = None) -> list[str]:
    """Stop the started triggers, or start those the stack's config enables; the names switched."""
    triggers = deployed(stack, op, root)
    try:
        if action == "stop":
            return stop_triggers(
                triggers, op.azure, op.say, timing.stop_checks, timing.stop_wait_seconds, sleep=op.sleep
            )
        return start_triggers(
            triggers, op.azure, op.say, timing.trigger_attempts, timing.trigger_wait_seconds, sleep=op.sleep
        )
    except (AzureOpsError, TriggerError) as exc:
        raise OpsFailure(str(exc)) from None
