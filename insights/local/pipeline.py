"""`insights run`: the daily master pipeline on this machine, with progress and a summary.

The factory's global parameters are bound to local values: the lake is a folder, and the job ids
are the jobs wheel's entry points, run in this process on local Spark. Everything a run says goes to
standard error (the jobs' own log lines too), so standard output keeps only what the command reports;
while a job runs, a terminal shows it ticking with its elapsed time.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
from insights.local.adf.bindings import Lake, LocalJobs, SqlServerSource, Translations
from insights.local.adf.executor import ActivityRun, Executor, PipelineRun
from insights.local.atomic import write_atomically
from insights.local.lake_check import check_lake
from insights.local.lock import run_lock
from insights_jobs import ENTRY_POINTS

EXTRACT_ACTIVITY = "Copy Changed Rows"
SILVER_ACTIVITY, GOLD_ACTIVITY = "Build Silver", "Build Gold"
TRANSLATIONS = Path("control") / "translations.json"  # the source queries' DuckDB text (bindings.Translations)


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

    spark_started: list[bool] = []

    def spark_session():
        """Local Spark, started (with a line saying so) when the first job that has work asks for it, tuned
        for the size of the run's new bronze."""
        from insights.local.spark import is_large, local_spark

        if not spark_started:
            console.print("  [dim]starting local Spark (the Databricks job cluster stand-in)…[/dim]")
            spark_started.append(True)
        spark = local_spark(large=is_large((lake / "bronze").glob(f"*/*/load_date=*/run_id={run_id}/*")))
        spark.sparkContext.setLogLevel("ERROR")
        return spark

    translations = Translations(lake / TRANSLATIONS)
    sql_server = SqlServerSource(source, translations)
    linked_services = {
        LS_SOURCE: sql_server,
        LS_LAKE: Lake(lake),
        LS_DATABRICKS: LocalJobs(session=spark_session),
    }

    ticking: list[Progress] = []

    def announce(pipeline: str, activity: dict, item: Any) -> None:
        if activity.get("type") in {"DatabricksJob", "ForEach"}:
            console.print(f"▸ {activity['name']} [dim]({activity['type']})[/dim]")
        if activity.get("type") == "DatabricksJob":
            sql_server.release()  # a job takes minutes: the source's file stays writable meanwhile
            if console.is_terminal:
                ticking.append(_ticker(console, activity["name"]))

    def report(activity_run: ActivityRun) -> None:
        if activity_run.type == "DatabricksJob" and ticking:
            ticking.pop().stop()
        _print_activity(console, activity_run, _table_of(activity_run, executor.runs))
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
        check_lake(lake)  # damaged or missing files: stop before any write spreads them
        started = time.perf_counter()
        console.print(f"Running [bold]{MASTER_PIPELINE}[/bold]: source {source} → lake {lake}")
        with redirect_stdout(sys.stderr):
            try:
                master = executor.run(MASTER_PIPELINE, run_id=run_id)
            finally:
                sql_server.release()
        translations.save()
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


def _ticker(console: Console, name: str) -> Progress:
    """A spinner with the elapsed time under a running job, on a terminal (a log gets the job's own lines)."""
    progress = Progress(
        SpinnerColumn(), TextColumn(f"  {name} on local Spark"), TimeElapsedColumn(), console=console, transient=True
    )
    progress.add_task(name, total=None)
    progress.start()
    return progress


def _table_of(activity: ActivityRun, runs: list[PipelineRun]) -> str | None:
    """The source table an activity works on: its ForEach item's, or its extract pipeline run's parameter."""
    if isinstance(activity.item, dict) and "tableName" in activity.item:
        return activity.item["tableName"]
    run = next((r for r in reversed(runs) if r.run_id == activity.pipeline_run_id), None)
    return run.parameters.get("tableName") if run and run.pipeline == EXTRACT_PIPELINE else None


def _print_activity(console: Console, run: ActivityRun, table: str | None) -> None:
    if run.type == "IfCondition" or (
        run.type in {"SetVariable", "GetMetadata", "Lookup"} and run.status == "Succeeded"
    ):
        return  # a failed If repeats the failure of the activity in its branch, shown already
    mark = {"Succeeded": "[green]✓[/green]", "Failed": "[red]✗[/red]", "Skipped": "[dim]-[/dim]"}[run.status]
    where = f" [cyan]{table}[/cyan]" if table else ""
    detail = ""
    if run.type == "Copy" and run.output:
        count = run.output.get("rowsCopied", run.output.get("filesWritten", 0))
        unit = ("row" if "rowsCopied" in run.output else "file") + ("" if count == 1 else "s")
        detail = f": {count:,} {unit}"
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
