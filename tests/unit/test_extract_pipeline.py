"""`pl_extract_table` from adf_pipelines/, run by the local executor on a real DuckDB source and lake folder."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from adf_pipelines import load_factory
from insights.local.adf.activities import LocalActivities
from insights.local.adf.bindings import Lake, LocalJobs, SqlServerSource
from insights.local.adf.executor import Executor
from insights.local.pipeline import local_global_parameters


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA SalesLT")
        con.execute(
            "CREATE TABLE SalesLT.Customer (CustomerID INTEGER, Title VARCHAR, rowguid UUID, "
            "NameStyle BOOLEAN, ModifiedDate TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO SalesLT.Customer VALUES "
            "(1, 'Mr.', '3f5ae95e-b87d-4aed-95b4-c3797afcb74f', false, '2024-01-01 10:00:00'), "
            "(2, 'Ms.', 'e552f657-a9af-4a7d-a645-c429d6e02491', false, '2024-01-02 11:30:00.123')"
        )
    return path


def extract(source: Path, lake: Path, run_id: str):
    factory = load_factory(global_parameters=local_global_parameters(lake))
    sql_server = SqlServerSource(source)
    bindings = {"ls_sqlserver_source": sql_server, "ls_lake": Lake(lake), "ls_databricks": LocalJobs()}
    executor = Executor(factory, LocalActivities(factory, bindings).handlers())
    try:
        run = executor.run(
            "pl_extract_table",
            {"schemaName": "SalesLT", "tableName": "Customer", "runId": run_id, "loadDate": "2024-01-03"},
            trigger_time=datetime.fromisoformat("2024-01-03T06:00:00+00:00"),
        )
    finally:
        sql_server.release()
    assert run.status == "Succeeded", run.error
    return {a.name: a for a in run.activity_runs}


def commit_watermark(lake: Path, run_id: str) -> None:
    """What the master pipeline's Commit Watermarks step does after silver."""
    pending = lake / "control" / "watermarks" / "_pending" / run_id / "SalesLT.Customer.json"
    pending.rename(lake / "control" / "watermarks" / "SalesLT.Customer.json")


def bronze_rows(lake: Path, run_id: str) -> list[dict]:
    path = lake / "bronze" / "SalesLT" / "Customer" / "load_date=2024-01-03" / f"run_id={run_id}" / "Customer.parquet"
    return pq.read_table(path).to_pylist()


def test_first_run_copies_every_row_with_extraction_metadata(source, tmp_path):
    lake = tmp_path / "lake"
    activities = extract(source, lake, "run-1")
    assert activities["Copy Changed Rows"].output["rowsCopied"] == 2
    rows = bronze_rows(lake, "run-1")
    assert [r["CustomerID"] for r in rows] == [1, 2]
    assert rows[0]["rowguid"] == "3f5ae95e-b87d-4aed-95b4-c3797afcb74f"  # uniqueidentifier arrives as text
    assert {r["_run_id"] for r in rows} == {"run-1"}
    assert all(isinstance(r["_extracted_at"], datetime) for r in rows)
    staged = json.loads((lake / "control/watermarks/_pending/run-1/SalesLT.Customer.json").read_text())
    assert staged["Watermark"].startswith("2024-01-02T11:30:00.123")


def test_without_a_committed_watermark_the_next_run_extracts_again(source, tmp_path):
    lake = tmp_path / "lake"
    extract(source, lake, "run-1")
    activities = extract(source, lake, "run-2")  # silver never committed run-1: nothing moved
    assert activities["Copy Changed Rows"].output["rowsCopied"] == 2


def test_after_commit_only_changed_rows_are_copied_and_no_change_copies_nothing(source, tmp_path):
    lake = tmp_path / "lake"
    extract(source, lake, "run-1")
    commit_watermark(lake, "run-1")

    activities = extract(source, lake, "run-2")
    assert activities["If Rows Changed"].output == {"expression": False}
    assert "Copy Changed Rows" not in activities
    assert not (lake / "bronze" / "SalesLT" / "Customer" / "load_date=2024-01-03" / "run_id=run-2").exists()

    with duckdb.connect(str(source)) as con:
        con.execute(
            "UPDATE SalesLT.Customer SET Title = 'Dr.', ModifiedDate = '2024-01-05 09:00:00' WHERE CustomerID = 1"
        )
    activities = extract(source, lake, "run-3")
    assert activities["Copy Changed Rows"].output["rowsCopied"] == 1
    assert [(r["CustomerID"], r["Title"]) for r in bronze_rows(lake, "run-3")] == [(1, "Dr.")]


def test_the_source_stays_open_for_its_queries_and_is_writable_again_once_released(source: Path) -> None:
    sql_server = SqlServerSource(source)
    for _ in range(3):
        assert sql_server.query("SELECT COUNT(*) AS n FROM SalesLT.Customer").read_all().to_pylist() == [{"n": 2}]
    write = [sys.executable, "-c", f"import duckdb; duckdb.connect({str(source)!r}).execute('CHECKPOINT')"]
    held = subprocess.run(write, capture_output=True, text=True, timeout=60)
    assert held.returncode != 0 and "lock" in held.stderr  # another process cannot write it while it is open
    sql_server.release()
    assert subprocess.run(write, capture_output=True, text=True, timeout=60).returncode == 0
