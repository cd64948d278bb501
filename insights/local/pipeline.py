"""`insights run`: the daily master pipeline on this machine, with progress and a summary.

The factory's global parameters are bound to local values: the lake is a folder, and the job ids
are the jobs wheel's entry points, run in this process on local Spark.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from adf_pipelines import (
    ADF_PIPELINES,
    EXTRACT_PIPELINE,
    LS_DATABRICKS,
    LS_LAKE,
    LS_SOURCE,
    MASTER_PIPELINE,
    load_factory,
)
from insights.local import preflight
from insights.local.adf.activities import LocalActivities
from insights.local.adf.bindings import Lake, LocalJobs, SqlServerSource
from insights.local.adf.executor import ActivityRun, Executor, PipelineRun
from insights.local.atomic import write_atomically
from insights.local.lock import run_lock
from insights_jobs import ENTRY_POINTS

EXTRACT_ACTIVITY = "Copy Changed Rows"
SILVER_ACTIVITY, GOLD_ACTIVITY = "Build Silver", "Build Gold"


def local_global_parameters(lake: Path) -> dict[str, str]:
    """What `infra/` sets as factory global parameters in Azure, for this machine."""
    return {"lakeUrl": str(lake.resolve()), "silverJobId": ENTRY_POINTS["silver"], "goldJobId": ENTRY_POINTS["gold"]}


@dataclass
class RunSummary:
    """What a person wants to know after a run."""

    run_id: str
    status: str
    error: str | None
    extracted: dict[str, int] = field(default_factory=dict)
    silver: Any = None
    gold: Any = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def run_pipeline(
    source: Path,
    lake: Path,
    *,
    console: Console | None = None,
    on_activity_end: Callable[[ActivityRun], None] | None = None,
    adf_root: Path = ADF_PIPELINES,
) -> RunSummary:
    """Run the master pipeline once against a source database and a lake folder."""
    console = console or Console(stderr=True)
    preflight.check(source, lake)
    factory = load_factory(adf_root, local_global_parameters(lake))

    def start_spark() -> None:
        from insights.local.spark import local_spark

        console.print("  [dim]starting local Spark (the Databricks job cluster stand-in)…[/dim]")
        local_spark().sparkContext.setLogLevel("ERROR")

    linked_services = {
        LS_SOURCE: SqlServerSource(source),
        LS_LAKE: Lake(lake),
        LS_DATABRICKS: LocalJobs(before_first_job=start_spark),
    }

    def announce(pipeline: str, activity: dict, item: Any) -> None:
        if activity.get("type") in {"DatabricksJob", "ForEach"}:
            console.print(f"▸ {activity['name']} [dim]({activity['type']})[/dim]")

    def report(activity_run: ActivityRun) -> None:
        _print_activity(console, activity_run)
        if on_activity_end:
            on_activity_end(activity_run)

    executor = Executor(
        factory,
        LocalActivities(factory, linked_services).handlers(),
        on_activity_start=announce,
        on_activity_end=report,
    )

    def take_over(stale) -> None:
        console.print(f"[yellow]taking over the run lock[/yellow] of {stale}, which did not finish")

    run_id = str(uuid.uuid4())
    with run_lock(lake, run_id, on_takeover=take_over):
        started = time.perf_counter()
        console.print(f"Running [bold]{MASTER_PIPELINE}[/bold]: source {source} → lake {lake}")
        master = executor.run(MASTER_PIPELINE, run_id=run_id)
        summary = summarise(master, executor.runs, time.perf_counter() - started)
        _write_run_record(lake, master, executor.runs, summary)
    return summary


def summarise(master: PipelineRun, runs: list[PipelineRun], seconds: float) -> RunSummary:
    outputs = {a.name: a for a in master.activity_runs}
    extracted = {
        run.parameters["tableName"]: next(
            (a.output["rowsCopied"] for a in run.activity_runs if a.name == EXTRACT_ACTIVITY and a.output), 0
        )
        for run in runs
        if run.pipeline == EXTRACT_PIPELINE
    }

    def job_output(name: str) -> Any:
        activity = outputs.get(name)
        return activity.output.get("runOutput") if activity and activity.output else None

    return RunSummary(
        run_id=master.run_id,
        status=master.status,
        error=(master.error or {}).get("message"),
        extracted=dict(sorted(extracted.items())),
        silver=job_output(SILVER_ACTIVITY),
        gold=job_output(GOLD_ACTIVITY),
        stage_seconds={a.name: round(a.seconds, 2) for a in master.activity_runs},
        total_seconds=round(seconds, 2),
    )


def _print_activity(console: Console, run: ActivityRun) -> None:
    if run.type == "IfCondition" or (
        run.type in {"SetVariable", "GetMetadata", "Lookup"} and run.status == "Succeeded"
    ):
        return  # a failed If repeats the failure of the activity in its branch, shown already
    mark = {"Succeeded": "[green]✓[/green]", "Failed": "[red]✗[/red]", "Skipped": "[dim]-[/dim]"}[run.status]
    where = f" [cyan]{run.item['tableName']}[/cyan]" if isinstance(run.item, dict) and "tableName" in run.item else ""
    detail = ""
    if run.type == "Copy" and run.output:
        unit = "rows" if "rowsCopied" in run.output else "files"
        detail = f" {run.output.get('rowsCopied', run.output.get('filesWritten', 0)):,} {unit}"
    if run.error:
        detail += f" [red]{run.error['message']}[/red]"
    console.print(f"  {mark} {run.name}{where}{detail} [dim]{run.seconds:.1f}s[/dim]")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _write_run_record(lake: Path, master: PipelineRun, runs: list[PipelineRun], summary: RunSummary) -> Path:
    """control/runs/<run id>.json: what ADF's monitoring would show for the run."""
    record = {
        "summary": asdict(summary),
        "written_at": datetime.now(UTC).isoformat(),
        "pipeline_runs": [
            {
                "run_id": run.run_id,
                "pipeline": run.pipeline,
                "status": run.status,
                "parameters": run.parameters,
                "error": run.error,
                "activities": [{k: v for k, v in asdict(a).items() if k != "pipeline"} for a in run.activity_runs],
            }
            for run in runs
        ],
    }
    path = lake / "control" / "runs" / f"{master.run_id}.json"
    text = json.dumps(_jsonable(record), indent=2)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
