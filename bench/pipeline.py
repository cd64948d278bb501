"""Benchmark of the local pipeline, cold: every run in a new process (Python and the JVM start included).

Per scale: generate a source, then from an empty lake a full run, a run after a day of business that also
re-prices 1% of the existing orders (the target's incremental case), an ordinary day, and a run with nothing
to extract; each is `bench.run_once` in a process of its own. Beside them, DuckDB computing the same KPIs
straight from the source file (the floor), so each figure is also a ratio to it. Each run also reports its
Spark jobs per silver table and its Delta commits and files per table (units the machine's load does not
move), and the peak memory of the process tree (Python and the JVM). `--demo` adds `insights demo` from
nothing at scale 1 (generate, run, first dashboard response). The tables are printed as markdown.

    uv run python -m bench.pipeline                     # scales 1 and 10, and the demo
    uv run python -m bench.pipeline --scales 100 --no-demo
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import duckdb

from insights.local.source import advance, generate

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
# The runs of a sequence, in order: name -> the change made to the source before it (None: none).
RUNS = {"full": None, "1% re-priced": 0.01, "one day": 0.0, "nothing to extract": None}


def floor_seconds(source: Path, repeat: int = 3) -> float:
    """Best of `repeat` runs of the KPI query on the source file."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with duckdb.connect(str(source), read_only=True) as con:
            con.sql(FLOOR_SQL).fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total


def timed_process(command: list[str], until=None) -> tuple[float, int, subprocess.Popen]:
    """Run `command` (or until `until(process)` returns), sampling the tree's memory: seconds, peak bytes."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss(process.pid))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        if until is None:
            output = process.communicate()[0]
            if process.returncode:
                raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
        else:
            until(process)
        return time.perf_counter() - started, peak[0], process
    finally:
        done.set()
        sampler.join()


def cold_run(source: Path, lake: Path, out: Path) -> dict:
    command = [sys.executable, "-m", "bench.run_once", "--source", str(source), "--lake", str(lake), "--out", str(out)]
    seconds, peak, _ = timed_process(command)
    record = json.loads(out.read_text())
    if record["status"] != "Succeeded":
        raise SystemExit(f"pipeline failed: {record['error']}")
    return {**record, "seconds": round(seconds, 2), "peak_gib": round(peak / 2**30, 2)}


def sequence(base: Path, work: Path, say) -> dict:
    source, lake = work / "source.duckdb", work / "lake"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copyfile(base, source)
    runs = {}
    for name, update_share in RUNS.items():
        if update_share is not None:
            advance(source, days=1, seed=7, update_share=update_share)
        runs[name] = cold_run(source, lake, work / f"{name}.json")
        say(f"    {name}: {runs[name]['seconds']:.1f}s, peak {runs[name]['peak_gib']:.1f} GiB")
    return runs


def demo_seconds(work: Path) -> dict:
    """`insights demo` on a new source and lake: seconds until the dashboard answers its first callback."""
    source, lake = work / "demo-source.duckdb", work / "demo-lake"
    # `insights demo` generates only its default source: this one is generated first, in the same process
    command = [sys.executable, "-c", _DEMO.format(source=str(source), lake=str(lake))]
    first: dict[str, float] = {}

    def until_first_response(process: subprocess.Popen) -> None:
        started = time.perf_counter()
        for line in process.stdout:
            if line.startswith("http://127.0.0.1:"):
                url = line.strip()
                with urllib.request.urlopen(url, timeout=120) as page:
                    page.read()
                request = urllib.request.Request(
                    url + "_dash-update-component", data=json.dumps(_first_callback(url)).encode(),
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
                with urllib.request.urlopen(request, timeout=120) as answer:
                    if b"kpi-cards" not in answer.read():
                        raise SystemExit("the dashboard's first callback did not answer with the KPI cards")
                first["seconds"] = time.perf_counter() - started
                break
        process.terminate()
        process.wait(timeout=30)
        if "seconds" not in first:
            raise SystemExit("insights demo ended without serving the dashboard")

    seconds, peak, _ = timed_process(command, until=until_first_response)
    return {"seconds": round(seconds, 2), "peak_gib": round(peak / 2**30, 2)}


_DEMO = """
from pathlib import Path
from insights.cli import app
from insights.local.source import generate
generate(Path({source!r}), scale=1, seed=42)
app(["demo", "--source", {source!r}, "--lake", {lake!r}, "--port", "0"])
"""


def _first_callback(url: str) -> dict:
    """The request a browser sends first: the callback that fills the KPI cards, with the filters empty."""
    with urllib.request.urlopen(url + "_dash-dependencies", timeout=120) as answer:
        callbacks = json.loads(answer.read())
    [callback] = [c for c in callbacks if "kpi-cards.children" in c["output"]]
    outputs = [dict(zip(("id", "property"), o.split("."), strict=True)) for o in callback["output"][2:-2].split("...")]
    inputs = [{"id": i["id"], "property": i["property"], "value": None} for i in callback["inputs"]]
    return {"output": callback["output"], "outputs": outputs, "inputs": inputs, "changedPropIds": []}


def bench_scale(scale: float, work: Path, repeat: int, say) -> dict:
    base = work / f"source-{scale:g}.duckdb"
    say(f"scale {scale:g}: generating the source…")
    started = time.perf_counter()
    generate(base, scale=scale, seed=42, overwrite=True)
    say(f"  generated in {time.perf_counter() - started:.1f}s")
    with duckdb.connect(str(base), read_only=True) as con:
        [(lines,)] = con.sql("SELECT count(*) FROM SalesLT.SalesOrderDetail").fetchall()
    sequences = []
    for n in range(repeat):
        say(f"  sequence {n + 1}/{repeat}, each run in a new process: {', '.join(RUNS)}")
        sequences.append(sequence(base, work / f"run-{scale:g}", say))
    floor = floor_seconds(work / f"run-{scale:g}" / "source.duckdb")
    return {"scale": scale, "order_lines": lines, "floor_seconds": round(floor, 4), "sequences": sequences}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _figure(values: list[float]) -> str:
    return f"{_median(values):.1f} s" + (f" ({min(values):.1f}-{max(values):.1f})" if len(values) > 1 else "")


def markdown(results: list[dict], demo: dict | None) -> str:
    """The tables for docs/benchmarks.md: runs against the floor, stages, and what silver costs per table."""
    lines = [
        "| scale | order lines | floor | full run | / floor | 1% re-priced | / full | one day | / full "
        "| nothing to extract (run, process) | peak memory |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        seqs = r["sequences"]
        full = [s["full"]["seconds"] for s in seqs]
        cells = [f"{r['scale']:g}", f"{r['order_lines']:,}", f"{r['floor_seconds']:.3f} s", _figure(full),
                 f"{_median(full) / r['floor_seconds']:.0f}x"]  # fmt: skip
        for name in ("1% re-priced", "one day"):
            times = [s[name]["seconds"] for s in seqs]
            ratios = [s[name]["seconds"] / s["full"]["seconds"] for s in seqs]
            cells += [
                _figure(times),
                f"**{_median(ratios):.2f}**" if name.startswith("1%") else f"{_median(ratios):.2f}",
            ]
        idle = [s["nothing to extract"] for s in seqs]
        cells.append(
            f"{_median([i['run_seconds'] for i in idle]):.2f} s, {_median([i['seconds'] for i in idle]):.1f} s"
        )
        cells.append(f"{max(run['peak_gib'] for s in seqs for run in s.values()):.1f} GiB")
        lines.append("| " + " | ".join(cells) + " |")
    if demo:
        floor = next((r["floor_seconds"] for r in results if r["scale"] == 1), None)
        ratio = f", {demo['seconds'] / floor:.0f}x the scale-1 floor" if floor else ""
        lines += ["", f"`insights demo` from nothing at scale 1 (generate, run, first dashboard response): "
                      f"**{demo['seconds']:.1f} s**{ratio}, peak {demo['peak_gib']:.1f} GiB."]  # fmt: skip
    lines += ["", "Stages of the first sequence (seconds; a run in a new process, so each includes Spark's start):", "",
              "| scale | run | process | imports | extract | silver | gold | KPIs | Spark jobs (silver, gold) |",
              "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        for name, run in r["sequences"][0].items():
            stages, jobs = run["stages"], run["spark_jobs"]
            lines.append(
                f"| {r['scale']:g} | {name} | {run['seconds']:.1f} | {run['imports_seconds']:.1f} "
                f"| {stages.get('Extract Tables', 0):.1f} | {stages.get('Build Silver', 0):.1f} "
                f"| {stages.get('Build Gold', 0):.1f} | {run['kpis_seconds']:.1f} "
                f"| {sum(jobs['silver'].values())}, {jobs['gold']} |"
            )
    lines += ["", "What each table cost in the first sequence's full and 1% runs (Spark jobs of its silver work; "
              "Delta commits, files added / removed):", "",
              "| scale | table | full: jobs | full: commits, files +/- | 1%: jobs | 1%: commits, files +/- |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        full, one = r["sequences"][0]["full"], r["sequences"][0]["1% re-priced"]
        for table in sorted(set(full["delta"]) | set(one["delta"])):
            jobs = [run["spark_jobs"]["silver"].get(table, "") for run in (full, one)]
            delta = [run["delta"].get(table) for run in (full, one)]
            text = [f"{d['commits']}, +{d['files_added']} / -{d['files_removed']}" if d else "" for d in delta]
            lines.append(f"| {r['scale']:g} | {table} | {jobs[0]} | {text[0]} | {jobs[1]} | {text[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--repeat", type=int, default=1, help="sequences per scale (medians are reported)")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="skip `insights demo` from nothing")
    parser.add_argument("--out", type=Path, default=Path("bench/results/pipeline.json"))
    args = parser.parse_args(argv)

    began = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.0f}s] {text}", flush=True)

    say(f"pipeline benchmark: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (other work inflates it)")
    work = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    try:
        demo = None
        if args.demo:
            say("insights demo from nothing (scale 1)…")
            demo = demo_seconds(work)
            say(f"  first dashboard response after {demo['seconds']:.1f}s")
        results = [bench_scale(scale, work, args.repeat, say) for scale in args.scales]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(markdown(results, demo))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"demo": demo, "results": results}, indent=2, default=str))
    say(f"done; figures written to {args.out}")


if __name__ == "__main__":
    main()
