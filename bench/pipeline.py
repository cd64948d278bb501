"""Benchmark of the local pipeline: full and incremental runs at scale 1 and 10, against DuckDB's floor.

For each scale: generate a source, run the master pipeline from an empty lake (full), then two
incremental runs: after a day of business that also re-prices 1% of the existing orders (the target's
case), and after an ordinary day. The sequence is repeated from a fresh copy of the source and an empty
lake (`--repeat`, 3 by default): one run moves by 10-15% with the JVM's state, so each figure is the
median, with the range beside it. Beside them, the time DuckDB takes to compute the same KPIs straight
from the source file: the floor no pipeline can beat, reported as a ratio.

    uv run python -m bench.pipeline [--scales 1 10] [--repeat 3] [--out bench/results/pipeline.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from insights.local.pipeline import run_pipeline
from insights.local.source import advance, generate
from insights.local.spark import local_spark
from insights.serving.kpis import KpiFilter, compute_kpis

console = Console()

# The KPIs of DESIGN.md straight from the source tables (the floor: no extraction, no lake).
FLOOR_SQL = """
WITH sales AS (
    SELECT d.SalesOrderID, h.CustomerID, d.OrderQty, d.LineTotal
    FROM SalesLT.SalesOrderDetail d
    JOIN SalesLT.SalesOrderHeader h USING (SalesOrderID)
    JOIN SalesLT.Product p USING (ProductID)
    JOIN SalesLT.Customer c ON c.CustomerID = h.CustomerID
    WHERE h.Status NOT IN (4, 6)
)
SELECT sum(OrderQty), sum(LineTotal), count(DISTINCT SalesOrderID), count(DISTINCT CustomerID) FROM sales
"""


# The incremental runs, in order: the target's case (1% of existing orders re-priced, spread over every
# date, plus a day of business), then an ordinary day (new orders, status and customer changes only).
CHANGE_SETS = {"1% re-priced": 0.01, "one day": 0.0}


def floor_seconds(source: Path, repeat: int = 3) -> float:
    """Best of `repeat` runs of the KPI query on the source file."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with duckdb.connect(str(source), read_only=True) as con:
            con.sql(FLOOR_SQL).fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def timed_run(source: Path, lake: Path) -> dict:
    quiet = Console(quiet=True)
    started = time.perf_counter()
    summary = run_pipeline(source, lake, console=quiet)
    seconds = time.perf_counter() - started
    if summary.status != "Succeeded":
        raise SystemExit(f"pipeline failed: {summary.error}")
    rows = sum(summary.extracted.values())
    return {
        "seconds": round(seconds, 2),
        "rows_extracted": rows,
        "rows_per_second": round(rows / seconds) if seconds else None,
        "stages": summary.stage_seconds,
    }


def sequence(base: Path, work: Path) -> dict:
    """A full run from an empty lake on a fresh copy of `base`, then each change set's incremental run."""
    source, lake = work / "source.duckdb", work / "lake"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(base, source)
    full = timed_run(source, lake)
    console.print(f"    full run {full['seconds']}s")
    incremental = {}
    for name, update_share in CHANGE_SETS.items():
        changes = advance(source, days=1, seed=7, update_share=update_share)
        run = timed_run(source, lake)
        run["changes"] = {"inserted": changes.inserted, "updated": changes.updated}
        run["over_full"] = round(run["seconds"] / full["seconds"], 3)
        console.print(f"    {name} run {run['seconds']}s, {run['over_full']:.2f} of the full run")
        incremental[name] = run
    return {"full": full, "incremental": incremental, "lake": lake, "source": source}


def median_run(runs: list[dict]) -> dict:
    """The run of median time (its stages and rows as measured), with the range of all runs."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return {**ordered[len(ordered) // 2], "range": [ordered[0]["seconds"], ordered[-1]["seconds"]]}


def bench_scale(scale: float, work: Path, repeat: int) -> dict:
    base = work / f"source-{scale}.duckdb"
    console.print(f"[bold]scale {scale}[/bold]: generating the source…")
    started = time.perf_counter()
    generate(base, scale=scale, seed=42, overwrite=True)
    generate_seconds = time.perf_counter() - started
    console.print(f"  generated in {generate_seconds:.1f}s")
    sequences = []
    for n in range(repeat):
        console.print(f"  sequence {n + 1}/{repeat}: full run, then {', '.join(CHANGE_SETS)}…")
        sequences.append(sequence(base, work / f"run-{scale}"))
    last = sequences[-1]
    full = median_run([s["full"] for s in sequences])
    incremental = {}
    for name in CHANGE_SETS:
        runs = [s["incremental"][name] for s in sequences]
        median = median_run(runs)
        incremental[name] = {
            **median,
            "over_full": round(median["seconds"] / full["seconds"], 3),
            "over_full_per_sequence": [r["over_full"] for r in runs],
        }
    kpi_started = time.perf_counter()
    compute_kpis(last["lake"], KpiFilter())
    kpi_seconds = time.perf_counter() - kpi_started
    floor = floor_seconds(last["source"])
    return {
        "scale": scale,
        "repeat": repeat,
        "generate_seconds": round(generate_seconds, 2),
        "full": full,
        "incremental": incremental,
        "kpis_from_gold_seconds": round(kpi_seconds, 4),
        "floor_duckdb_from_source_seconds": round(floor, 4),
        "full_over_floor": round(full["seconds"] / floor, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--repeat", type=int, default=3, help="sequences per scale (medians are reported)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/pipeline.json"))
    args = parser.parse_args(argv)

    console.print("Starting local Spark…")
    started = time.perf_counter()
    local_spark().sparkContext.setLogLevel("ERROR")
    spark_seconds = time.perf_counter() - started
    work = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    try:
        results = [bench_scale(scale, work, args.repeat) for scale in args.scales]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    title = f"Local pipeline, medians of {args.repeat} (Spark start {spark_seconds:.1f}s, not included below)"
    table = Table(title=title)
    for column in ("scale", "full s", "rows/s", *(f"{n} s" for n in CHANGE_SETS), "floor s", "full/floor"):
        table.add_column(column, justify="right")
    for r in results:
        runs = [r["incremental"][name] for name in CHANGE_SETS]
        table.add_row(
            f"{r['scale']:g}",
            f"{r['full']['seconds']:.1f} ({r['full']['range'][0]:.1f}-{r['full']['range'][1]:.1f})",
            f"{r['full']['rows_per_second']:,}",
            *(
                f"{run['seconds']:.1f} ({run['range'][0]:.1f}-{run['range'][1]:.1f}), {run['over_full']:.2f} of full"
                for run in runs
            ),
            f"{r['floor_duckdb_from_source_seconds']:.3f}",
            f"{r['full_over_floor']:,.0f}x",
        )
    console.print(table)
    for r in results:
        console.print(f"scale {r['scale']:g} stages (full): {r['full']['stages']}")
        for name, run in r["incremental"].items():
            console.print(f"scale {r['scale']:g} stages ({name}): {run['stages']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"spark_start_seconds": round(spark_seconds, 2), "results": results}, indent=2))
    console.print(f"Figures written to {args.out}")


if __name__ == "__main__":
    main()
