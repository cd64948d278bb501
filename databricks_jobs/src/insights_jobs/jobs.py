"""Job entry points (`python_wheel_task` entry points on Databricks, console scripts locally).

Each main parses `--lake ROOT --run-id ID` (silver also `--load-date D`, the run's bronze folder),
checks without Spark whether the job has anything to do (`idle.py`: when it provably has not, it prints
the same summary as a run that found nothing, and no Spark starts), otherwise takes the session (`session`
when the caller passes one, as the local runner does to start its configured local Spark only when a job
needs it; else `getOrCreate`: on a job cluster the cluster's), calls the library and prints a summary.
Called with an argument list (by the local runner or a test) it returns the summary as a dict; called
as a script (argv None) it returns None, so the process exits 0. A failure prints one clear line and
raises: the task fails with a non-zero exit.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from insights_jobs.idle import gold_is_idle, silver_is_idle
from insights_jobs.summary import GoldSummary, SilverSummary

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _load_date(value: str) -> str:
    """A load date as the extraction writes it (YYYY-MM-DD), or '' for none: a typo must fail, not read nothing."""
    if value and date.fromisoformat(value).isoformat() != value:
        raise ValueError(value)
    return value


def _args(argv: list[str] | None, description: str, reads_bronze: bool) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lake", required=True, help="lake root: a folder, or abfss://{layer}@<account>...")
    parser.add_argument("--run-id", required=True, help="pipeline run id (the bronze run_id= folder)")
    if reads_bronze:
        parser.add_argument(
            "--load-date",
            default="",
            type=_load_date,
            help="the run's bronze load_date= folder (YYYY-MM-DD); empty: any load date, found by listing",
        )
    return parser.parse_args(argv)


def _session(start: Callable[[], SparkSession] | None) -> SparkSession:
    from pyspark.sql import SparkSession  # imported here: an idle job loads no Spark at all

    spark = start() if start else SparkSession.builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # source datetimes are naive: read and write them as UTC
    return spark


def _run(
    name: str,
    argv: list[str] | None,
    description: str,
    job: Callable[[], Callable[..., Any]],
    idle: Callable[..., Any],
    session: Callable[[], SparkSession] | None,
    reads_bronze: bool = False,
) -> dict[str, Any] | None:
    args = _args(argv, description, reads_bronze)
    options = {"load_date": args.load_date or None} if reads_bronze else {}
    folder = f", load date {args.load_date or 'any'}" if reads_bronze else ""
    print(f"{name}: lake {args.lake}, run {args.run_id}{folder}", flush=True)
    try:
        started = time.perf_counter()
        summary = idle(args.lake, args.run_id, **options)
        if summary is not None:
            summary.seconds = time.perf_counter() - started
        else:
            from insights_jobs.storage import storage_for

            spark = _session(session)
            log = functools.partial(print, flush=True)
            summary = job()(spark, storage_for(spark), args.lake, args.run_id, log=log, **options)
    except Exception as exc:
        print(f"{name} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        raise
    print(summary, flush=True)
    return summary.figures() if argv is not None else None


def _silver_job() -> Callable[..., Any]:
    from insights_jobs.silver.job import run_silver

    return run_silver


def _gold_job() -> Callable[..., Any]:
    from insights_jobs.gold.job import run_gold

    return run_gold


def _silver_idle(root: str, run_id: str, load_date: str | None) -> SilverSummary | None:
    """The summary of a silver run that reads nothing, when nothing provably waits for one."""
    return SilverSummary(run_id) if silver_is_idle(root, run_id, load_date) else None


def _gold_idle(root: str, run_id: str) -> GoldSummary | None:
    """The summary of a gold run that finds no change, when silver provably did not change."""
    return GoldSummary(run_id) if gold_is_idle(root) else None


def silver_main(
    argv: list[str] | None = None, *, session: Callable[[], SparkSession] | None = None
) -> dict[str, Any] | None:
    """insights-silver: bronze of one run -> silver upserts + quarantine (and retries waiting rows)."""
    description = "Bronze of one run -> silver upserts + quarantine."
    return _run("insights-silver", argv, description, _silver_job, _silver_idle, session, reads_bronze=True)


def gold_main(
    argv: list[str] | None = None, *, session: Callable[[], SparkSession] | None = None
) -> dict[str, Any] | None:
    """insights-gold: silver changes since the last gold run -> gold."""
    return _run(
        "insights-gold", argv, "Silver changes since the last gold run -> gold.", _gold_job, _gold_idle, session
    )
