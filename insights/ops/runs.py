"""Following one pipeline run in Azure Data Factory to its end, activity by activity, as `insights run` shows
a local run: each activity is printed once it ends, the child pipelines' (Execute Pipeline) included.

`insights cloud run` and the deploy's smoke test both follow their run here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from insights.ops.azure import ActivityRunInfo, AzureClient, FactoryRef

TERMINAL = {"Succeeded", "Failed", "Cancelled"}
ENDED = {"Succeeded", "Failed", "Cancelled", "Skipped"}
MARKS = {"Succeeded": "✓", "Failed": "✗", "Cancelled": "✗", "Skipped": "-"}


class RunTimeout(Exception):
    """The run did not end within the time allowed; it goes on in Azure."""


@dataclass
class FollowedRun:
    run_id: str
    status: str = "Queued"
    message: str = ""
    seconds: float = 0.0
    activities: list[ActivityRunInfo] = field(default_factory=list)

    @property
    def failed(self) -> list[ActivityRunInfo]:
        return [activity for activity in self.activities if activity.status in {"Failed", "Cancelled"}]


def failure(run: FollowedRun, pipeline: str) -> str:
    """One line on a run that did not succeed: its status, ADF's message, the first failed activity."""
    first = run.failed[0] if run.failed else None
    where = f"; first failed activity {first.name}: {first.error or 'no message'}" if first else ""
    return f"run {run.run_id} of {pipeline} {run.status.lower()}: {run.message or 'no message'}{where}"


def describe(activity: ActivityRunInfo, master: str) -> str:
    where = "" if activity.pipeline == master else f"{activity.pipeline} / "
    detail = ""
    if activity.type == "Copy" and "rowsCopied" in activity.output:
        detail = f" {activity.output['rowsCopied']:,} rows"
    if activity.error:
        detail += f" {activity.error}"
    return (
        f"  {MARKS.get(activity.status, '?')} {where}{activity.name} ({activity.type}){detail} {activity.seconds:.1f}s"
    )


def follow_run(
    azure: AzureClient,
    factory: FactoryRef,
    pipeline: str,
    run_id: str,
    say: Callable[[str], None],
    *,
    timeout_seconds: float,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FollowedRun:
    """Poll the run until it ends, printing every activity once it has ended; raise RunTimeout past the limit."""
    run = FollowedRun(run_id)
    started = clock()
    followed = [run_id]  # the run, then each child pipeline run an Execute Pipeline activity started
    printed: set[str] = set()
    last = None
    while True:
        run.status, run.message = azure.pipeline_run(factory, run_id)
        run.seconds = clock() - started
        for child_or_root in list(followed):
            for activity in azure.activity_runs(factory, child_or_root):
                child = activity.output.get("pipelineRunId") if activity.type == "ExecutePipeline" else None
                if child and child not in followed:
                    followed.append(child)
                if activity.status in ENDED and activity.run_id not in printed:
                    printed.add(activity.run_id)
                    run.activities.append(activity)
                    say(describe(activity, pipeline))
        if run.status != last:
            say(f"pipeline {pipeline}: {run.status} ({run.seconds:.0f}s)")
            last = run.status
        if run.status in TERMINAL:
            return run
        if run.seconds >= timeout_seconds:
            raise RunTimeout(
                f"run {run_id} of {pipeline} did not finish within {timeout_seconds / 60:.0f} minutes "
                f"(still {run.status}); follow it in ADF Studio (Monitor)"
            )
        sleep(poll_seconds)
