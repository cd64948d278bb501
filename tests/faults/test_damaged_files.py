"""Damaged or missing files: `insights run` stops with one line naming the table and the file before it writes
anything; `insights repair` rebuilds what can be rebuilt, and the next run converges to the source's KPIs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from insights.cli import app
from insights.local.source import advance, generate
from insights_jobs.plain_delta import data_files
from tests.support.source_kpis import gold_cells, source_cells

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line(output: str) -> str:
    return " ".join(output.split())  # the console wraps long lines


def unwrapped(text: str) -> str:
    return "".join(text.split())  # the console may wrap a long path anywhere


def lake_files(lake: Path) -> dict[str, float]:
    """Every file of the lake and its modification time: what a refused run must leave as it was."""
    return {
        str(p.relative_to(lake)): p.stat().st_mtime for p in lake.rglob("*") if p.is_file() and p.name != "run.lock"
    }


@pytest.fixture(scope="module")
def base(tmp_path_factory, spark) -> tuple[Path, Path, int]:
    """Two runs on a small source, one product held back: its order lines wait in quarantine for it."""
    root = tmp_path_factory.mktemp("base")
    source, lake = root / "source.duckdb", root / "lake"
    generate(source, scale=0.01, seed=21)
    with duckdb.connect(str(source)) as con:
        product = con.execute(
            "SELECT ProductID FROM SalesLT.SalesOrderDetail GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        con.execute(f"CREATE TABLE SalesLT.held AS SELECT * FROM SalesLT.Product WHERE ProductID = {product}")
        con.execute(f"DELETE FROM SalesLT.Product WHERE ProductID = {product}")
    assert invoke("run", "--source", str(source), "--lake", str(lake)).exit_code == 0
    advance(source, days=2, seed=1, update_share=0.02)
    assert invoke("run", "--source", str(source), "--lake", str(lake)).exit_code == 0
    return source, lake, product


@pytest.fixture
def copy(base, tmp_path) -> tuple[Path, Path, int]:
    source, lake, product = base
    shutil.copyfile(source, tmp_path / "source.duckdb")
    shutil.copytree(lake, tmp_path / "lake")
    return tmp_path / "source.duckdb", tmp_path / "lake", product


def refused(source: Path, lake: Path, *names: str) -> str:
    before = lake_files(lake)
    result = invoke("run", "--source", str(source), "--lake", str(lake))
    message = one_line(result.output)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and message.startswith("error:"), result.output
    for name in names:
        assert unwrapped(name) in unwrapped(message), message
    assert "insights repair" in message
    assert lake_files(lake) == before  # nothing written
    return message


def repaired(lake: Path) -> str:
    result = invoke("repair", "--lake", str(lake))
    assert result.exit_code == 0, result.output
    assert "Repaired" in result.output
    return one_line(result.output)


def converges(source: Path, lake: Path, product: int) -> None:
    """The next runs (the held product arrives, a day passes) bring gold to the source's KPIs; no damage is left."""
    with duckdb.connect(str(source)) as con:  # the held product arrives: the waiting lines must land too
        con.execute("INSERT INTO SalesLT.Product SELECT * FROM SalesLT.held")
        con.execute(f"UPDATE SalesLT.Product SET ModifiedDate = now()::TIMESTAMP WHERE ProductID = {product}")
    advance(source, days=1, seed=2)
    result = invoke("run", "--source", str(source), "--lake", str(lake))
    assert result.exit_code == 0, result.output
    assert gold_cells(lake) == source_cells(source)
    assert "No damage found" in invoke("repair", "--lake", str(lake)).output


def test_a_truncated_bronze_file_that_silver_reads_again(copy):
    source, lake, product = copy
    waiting = waiting_run(lake)
    bronze = next((lake / "bronze" / "SalesLT" / "SalesOrderDetail").glob(f"*/run_id={waiting}/*.parquet"))
    data = bronze.read_bytes()
    bronze.write_bytes(data[: len(data) // 2])

    refused(source, lake, "bronze SalesLT.SalesOrderDetail", str(bronze), "is not a readable Parquet file")
    assert "SalesLT.SalesOrderDetail: watermark reset" in repaired(lake)
    converges(source, lake, product)
    assert not bronze.exists() and list((lake / "_damaged").rglob(bronze.name))  # kept aside, not deleted


def waiting_run(lake: Path) -> str:
    """The run id of the bronze folder the waiting order lines came from."""
    rows = DeltaTable(str(lake / "silver" / "_quarantine")).to_pyarrow_table().to_pylist()
    return next(r["run_id"] for r in rows if r["rule"] == "unknown_product" and not r["resolved_run_id"])


def test_a_damaged_silver_data_file(copy):
    source, lake, product = copy
    gold_cells_before = gold_cells(lake)
    table = lake / "silver" / "sales_order_header"
    part = Path(data_files(DeltaTable(str(table)))[0])  # a file the snapshot reads
    part.write_bytes(part.read_bytes()[:-100])  # its footer cut off

    refused(source, lake, "silver/sales_order_header", part.name, "is not a readable Parquet file")
    message = repaired(lake)
    assert "silver rebuilt from bronze (2 extraction runs replayed)" in message and "gold rebuilt" in message
    assert gold_cells(lake) == gold_cells_before  # gold from the rebuilt silver is what it was
    converges(source, lake, product)


@pytest.mark.parametrize("damage", ["missing", "garbled"])
def test_a_missing_or_garbled_delta_log_entry(copy, damage):
    source, lake, product = copy
    log = lake / "gold" / "fct_sales" / "_delta_log"
    if damage == "missing":  # (a missing last entry looks like an older table: only a gap is seen)
        entry = log / f"{0:020d}.json"
        entry.unlink()
        refused(source, lake, "gold/fct_sales", entry.name, "is missing from the table's log")
    else:
        entry = max(log.glob("*.json"))
        entry.write_text('{"add": {"path": "part-', encoding="utf-8")
        refused(source, lake, "gold/fct_sales", entry.name, "is not valid JSON")
    assert "gold rebuilt from silver (full" in repaired(lake)
    converges(source, lake, product)


def test_a_deleted_watermark_is_restored_from_silver(copy):
    source, lake, product = copy
    watermark = lake / "control" / "watermarks" / "SalesLT.SalesOrderHeader.json"
    committed = json.loads(watermark.read_text())["Watermark"]
    watermark.unlink()

    refused(source, lake, "control/watermarks SalesLT.SalesOrderHeader", str(watermark), "is missing, but run")
    result = invoke("repair", "--lake", str(lake))
    assert result.exit_code == 0, result.output
    assert json.loads(watermark.read_text())["Watermark"] == committed  # what silver holds is what was committed
    converges(source, lake, product)


def test_a_repair_killed_half_way_is_finished_by_the_next_repair(copy):
    source, lake, product = copy
    marker = lake / "control" / "repair.json"
    marker.write_text(json.dumps({"rebuild": ["gold"]}), encoding="utf-8")  # as a repair killed while rebuilding
    shutil.rmtree(lake / "gold" / "agg_daily_sales")  # half rebuilt: one table not written yet

    refused(source, lake, "control/repair", str(marker), "shows a repair that did not finish")
    assert "gold rebuilt from silver (full" in repaired(lake)
    assert not marker.exists()
    converges(source, lake, product)
