"""`insights run` as a person runs it: a real process, its real standard error and output.

Checked: the console carries no Spark start-up noise, every extract line names its table, the KPI table
prints revenue with its currency and thousands separators (the figure worked out from the source rows
with DuckDB), and the job logs stay off standard output. A rerun with nothing to extract prints the same
summary without importing Spark or pandas. The sample generation that `run` and `demo` do on first use
shows its progress.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from insights.local.source import generate

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

INSIGHTS = [sys.executable, "-c", "from insights.cli import main; main()"]
ENV = {**os.environ, "COLUMNS": "200"}
TABLES = {  # DESIGN.md's data contract
    "Customer", "Address", "CustomerAddress", "Product", "ProductCategory", "ProductModel", "ProductDescription",
    "ProductModelProductDescription", "SalesOrderHeader", "SalesOrderDetail",
}  # fmt: skip
EXTRACT = re.compile(r"(?:Copy Changed Rows|Stage New Watermark|Extract Table) (\w+)")
NOISE = ("log4j", "SLF4J", "Setting default log level", "setLogLevel", "native-hadoop", "incubator", "WARN ")


def revenue_of(source: Path) -> Decimal:
    """DESIGN.md's revenue from the source rows: line totals of orders neither rejected (4) nor cancelled (6)."""
    with duckdb.connect(str(source), read_only=True) as con:
        [(total,)] = con.execute(
            "SELECT SUM(d.LineTotal) FROM SalesLT.SalesOrderDetail d "
            "JOIN SalesLT.SalesOrderHeader h USING (SalesOrderID) WHERE h.Status NOT IN (4, 6)"
        ).fetchall()
    return Decimal(total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """A small source, and the first `insights run` of it into a new lake."""
    folder = tmp_path_factory.mktemp("run")
    source, lake = folder / "source.duckdb", folder / "lake"
    generate(source, scale=0.01, seed=3)
    run = subprocess.run(
        [*INSIGHTS, "run", "--source", str(source), "--lake", str(lake), "--currency", "EUR"],
        capture_output=True, text=True, env=ENV, timeout=900,
    )  # fmt: skip
    return source, lake, run


def test_a_run_says_what_it_does_without_spark_noise_and_prints_revenue_as_people_read_it(first_run) -> None:
    source, _, run = first_run
    assert run.returncode == 0, run.stderr
    noisy = [line for line in run.stderr.splitlines() if any(word in line for word in NOISE)]
    assert not noisy, noisy

    extract_lines = [line for line in run.stderr.splitlines() if EXTRACT.search(line)]
    assert len(extract_lines) == 3 * len(TABLES)  # copy, stage, and the ForEach iteration, per table
    for line in extract_lines:
        assert EXTRACT.search(line).group(1) in TABLES, line

    expected = revenue_of(source)
    assert expected >= 1000  # the separators show
    [revenue] = [line for line in run.stdout.splitlines() if re.search(r"\brevenue\s+│", line)]
    assert revenue.split("│")[2].strip() == f"EUR {expected:,}"
    assert "insights-silver" not in run.stdout and "insights-silver" in run.stderr  # job logs: progress


def test_a_rerun_with_nothing_to_extract_imports_neither_spark_nor_pandas_nor_sqlglot(first_run) -> None:
    source, lake, first = first_run
    assert first.returncode == 0, first.stderr
    heavy = (
        "import atexit, sys; atexit.register(lambda: print("
        "'imported:', *sorted({'pyspark', 'pandas', 'sqlglot'} & set(sys.modules)), file=sys.stderr))"
    )
    rerun = subprocess.run(
        [sys.executable, "-c", f"{heavy}; from insights.cli import main; main()", "run", "--source", str(source),
         "--lake", str(lake)],
        capture_output=True, text=True, env=ENV, timeout=300,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert "0 rows (no changes)" in rerun.stderr
    assert re.search(r"\brevenue\s+│", rerun.stdout)  # the same summary and KPIs as any run
    assert rerun.stderr.splitlines()[-1] == "imported:"


def test_the_first_run_shows_the_sample_generation_progress(tmp_path: Path) -> None:
    (tmp_path / "not-a-lake").write_text("")  # the run stops at the lake check, after generating the sample
    run = subprocess.run(
        [*INSIGHTS, "run", "--lake", "not-a-lake"], cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=900
    )
    assert run.returncode == 1
    assert "generating the embedded sample (scale 1, seed 42)" in run.stderr
    [bar] = [line for line in run.stderr.splitlines() if line.startswith("generating:")]
    done, total = map(int, re.search(r"(\d+)/(\d+)", bar).groups())
    assert done == total > 0
    assert (tmp_path / "data" / "source.duckdb").exists()
    assert run.stderr.strip().splitlines()[-1].startswith("error: lake not-a-lake")
