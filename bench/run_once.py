"""One pipeline run in this (new) process, instrumented: what `bench.pipeline` starts for every cold run.
Like `insights run`, it ends with the KPIs over all orders (computed, not printed).

Besides the run's summary it records what the run cost in units that do not depend on the machine's load:
Spark jobs per silver table (each table's work runs under a job group named after it) and for gold, and
per Delta table the commits of this run and the files they added and removed (from the Delta log).

    uv run python -m bench.run_once --source S --lake L --out run.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console

STARTED = time.perf_counter()


def delta_tables(lake: Path) -> list[Path]:
    """Every Delta table of the lake (silver, quarantine, gold, gold_state)."""
    return sorted(p.parent for p in lake.glob("*/*/_delta_log") if p.is_dir())


def versions(lake: Path) -> dict[str, int]:
    found = {}
    for table in delta_tables(lake):
        commits = [int(f.stem) for f in (table / "_delta_log").glob("*.json") if f.stem.isdigit()]
        found[f"{table.parent.name}/{table.name}"] = max(commits, default=-1)
    return found


def delta_costs(lake: Path, before: dict[str, int]) -> dict[str, dict[str, int]]:
    """Per table: commits since `before`, files added and removed by them, megabytes added."""
    costs = {}
    for name, last in versions(lake).items():
        first = before.get(name, -1) + 1
        added = removed = size = 0
        for version in range(first, last + 1):
            log = lake / name / "_delta_log" / f"{version:020d}.json"
            for line in log.read_text().splitlines():
                action = json.loads(line)
                if "add" in action:
                    added += 1
                    size += action["add"].get("size", 0)
                removed += "remove" in action
        if last >= first:
            costs[name] = {"commits": last - first + 1, "files_added": added, "files_removed": removed,
                           "mb_added": round(size / 1e6, 1)}  # fmt: skip
    return costs


def count_jobs_per_silver_table() -> None:
    """Run each silver table's work under a Spark job group named after the table (its thread's group)."""
    from insights_jobs.silver.job import SilverJob

    table = SilverJob._table

    def labelled(self, spec):
        self.spark.sparkContext.setJobGroup(f"silver/{spec.silver}", spec.source)
        try:
            return table(self, spec)
        finally:
            self.spark.sparkContext.setJobGroup("", "")  # (the pool thread's next table sets its own)

    SilverJob._table = labelled


def spark_jobs(silver_tables: list[str]) -> dict[str, int]:
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    if context is None:
        return {}
    tracker = context.statusTracker()
    jobs = {f"silver/{t}": len(tracker.getJobIdsForGroup(f"silver/{t}")) for t in silver_tables}
    jobs["other"] = len(tracker.getJobIdsForGroup(None)) + len(tracker.getJobIdsForGroup(""))
    return {k: v for k, v in jobs.items() if v}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from insights.local.pipeline import run_pipeline
    from insights.serving.kpis import KpiFilter, compute_kpis
    from insights_jobs.contract import TABLES

    count_jobs_per_silver_table()
    jobs_at: dict[str, dict[str, int]] = {}
    silver_tables = [t.silver for t in TABLES]

    def snapshot(activity) -> None:
        if activity.name in ("Build Silver", "Build Gold"):
            jobs_at[activity.name] = spark_jobs(silver_tables)

    before = versions(args.lake) if args.lake.exists() else {}
    imported = time.perf_counter()
    summary = run_pipeline(args.source, args.lake, console=Console(quiet=True), on_activity_end=snapshot)
    finished = time.perf_counter()
    if summary.status == "Succeeded":
        compute_kpis(args.lake, KpiFilter())  # what `insights run` shows last
    kpis_done = time.perf_counter()
    silver_jobs = jobs_at.get("Build Silver", {})
    gold_jobs = {k: v - silver_jobs.get(k, 0) for k, v in jobs_at.get("Build Gold", {}).items()}
    record = {
        "status": summary.status,
        "error": summary.error,
        "run_seconds": round(finished - imported, 2),
        "imports_seconds": round(imported - STARTED, 2),
        "kpis_seconds": round(kpis_done - finished, 2),
        "stages": summary.stage_seconds,
        "rows_extracted": sum(summary.extracted.values()),
        "silver": summary.silver,
        "gold": summary.gold,
        "spark_jobs": {"silver": silver_jobs, "gold": sum(gold_jobs.values())},
        "delta": delta_costs(args.lake, before),
    }
    args.out.write_text(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
