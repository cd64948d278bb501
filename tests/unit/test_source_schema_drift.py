"""Schema drift in the source: `pl_daily_master`'s check, run by the local executor on real DuckDB sources.

A column the contract needs that is missing (dropped or renamed) or whose type changed refuses the run
before any table is extracted; a new column is carried to bronze. The Databricks jobs are the cloud
here: they are recorded, not run (silver's handling of a new column is in tests/spark).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from adf_pipelines import load_factory
from insights.cli import app
from insights.local.adf.activities import LocalActivities
from insights.local.adf.bindings import Lake, LocalJobs, SqlServerSource
from insights.local.adf.executor import Executor
from insights.local.pipeline import local_global_parameters
from insights.local.source import generate
from insights.local.source.schema import TABLES as SOURCE_TABLES
from insights_jobs.contract import TABLES

# The families the check compares, from the contract's Spark types (docs/data-contract.md, "Schema drift").
FAMILY = {"int": "integer", "timestamp": "datetime", "string": "text", "boolean": "boolean", "binary": "binary"}


@pytest.fixture(scope="module")
def clean_source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("source") / "source.duckdb"
    generate(path, scale=0.01, seed=7)
    return path


@pytest.fixture
def source(clean_source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "source.duckdb"
    copy.write_bytes(clean_source.read_bytes())
    return copy


def alter(source: Path, *statements: str) -> None:
    with duckdb.connect(str(source)) as con:
        for statement in statements:
            con.execute(statement)


def run_master(source: Path, lake: Path):
    factory = load_factory(global_parameters=local_global_parameters(lake))
    bindings = {"ls_sqlserver_source": SqlServerSource(source), "ls_lake": Lake(lake), "ls_databricks": LocalJobs()}
    handlers = LocalActivities(factory, bindings).handlers()
    jobs: list[str] = []
    handlers["DatabricksJob"] = lambda activity, scope: jobs.append(activity["name"]) or {"runOutput": None}
    run = Executor(factory, handlers).run("pl_daily_master", trigger_time=datetime.fromisoformat("2026-01-02T06:00Z"))
    return run, jobs


def assert_refused_before_extraction(run, jobs: list[str], lake: Path, *problems: str) -> None:
    assert run.status == "Failed"
    message = run.error["message"]
    assert "the source schema differs from the data contract, nothing was extracted: " + "; ".join(problems) in message
    statuses = {a.name: a.status for a in run.activity_runs}
    assert statuses["Extract Tables"] == "Skipped" and jobs == []
    assert not (lake / "bronze").exists()
    assert not (lake / "control" / "watermarks").exists()


def test_the_check_expects_every_contract_column_with_its_type_family() -> None:
    """The check's list is the contract's columns, compared by type family (a second copy kept equal here)."""
    master = load_factory().pipeline("pl_daily_master")
    check = next(a for a in master["activities"] if a["name"] == "Check Source Schema")
    query = sqlglot.parse_one(check["typeProperties"]["source"]["sqlReaderQuery"], read="tsql")
    values = next(query.find_all(exp.Values))
    listed = [tuple(value.name for value in row.expressions) for row in values.expressions]
    expected = [
        (t.source, column, "decimal" if spark_type.startswith("decimal") else FAMILY[spark_type])
        for t in TABLES
        for column, spark_type in t.columns.items()
    ]
    assert listed == expected


def test_a_source_as_the_contract_says_passes_and_is_extracted(source: Path, tmp_path: Path) -> None:
    run, jobs = run_master(source, tmp_path / "lake")
    assert run.status == "Succeeded", run.error
    check = next(a for a in run.activity_runs if a.name == "Check Source Schema")
    assert check.output["firstRow"]["Drifted"] == 0
    assert jobs == ["Build Silver", "Build Gold"]
    assert list((tmp_path / "lake" / "bronze" / "SalesLT").iterdir())


def test_a_new_column_is_carried_to_bronze(source: Path, tmp_path: Path) -> None:
    alter(
        source,
        "ALTER TABLE SalesLT.Customer ADD COLUMN LoyaltyTier VARCHAR",
        "UPDATE SalesLT.Customer SET LoyaltyTier = 'gold' "
        "WHERE CustomerID = (SELECT min(CustomerID) FROM SalesLT.Customer)",
    )
    lake = tmp_path / "lake"
    run, _ = run_master(source, lake)
    assert run.status == "Succeeded", run.error
    (bronze,) = (lake / "bronze" / "SalesLT" / "Customer").glob("load_date=*/run_id=*/Customer.parquet")
    tiers = pq.read_table(bronze, columns=["LoyaltyTier"]).column(0).to_pylist()
    assert tiers.count("gold") == 1 and tiers.count(None) == len(tiers) - 1


def test_a_column_differing_only_in_letter_case_is_the_same_column(source: Path, tmp_path: Path) -> None:
    alter(source, 'ALTER TABLE SalesLT.Customer RENAME COLUMN Title TO "TITLE"')
    run, _ = run_master(source, tmp_path / "lake")
    assert run.status == "Succeeded", run.error  # SQL Server's default collation does not tell them apart


def test_a_wider_integer_is_not_drift(source: Path, tmp_path: Path) -> None:
    alter(source, "ALTER TABLE SalesLT.Customer ALTER COLUMN CustomerID TYPE BIGINT")
    run, _ = run_master(source, tmp_path / "lake")
    assert run.status == "Succeeded", run.error


def test_a_dropped_column_is_refused_naming_table_and_column(source: Path, tmp_path: Path) -> None:
    alter(source, "ALTER TABLE SalesLT.Customer DROP COLUMN Title")
    run, jobs = run_master(source, tmp_path / "lake")
    assert_refused_before_extraction(run, jobs, tmp_path / "lake", "SalesLT.Customer.Title is missing")


def test_a_renamed_column_is_refused_as_missing(source: Path, tmp_path: Path) -> None:
    alter(source, "ALTER TABLE SalesLT.Product RENAME COLUMN ListPrice TO Price")
    run, jobs = run_master(source, tmp_path / "lake")
    assert_refused_before_extraction(run, jobs, tmp_path / "lake", "SalesLT.Product.ListPrice is missing")


def test_a_changed_type_is_refused_naming_both_types(source: Path, tmp_path: Path) -> None:
    alter(
        source,
        "ALTER TABLE SalesLT.SalesOrderHeader ALTER COLUMN OrderDate TYPE VARCHAR",
        "ALTER TABLE SalesLT.Customer ALTER COLUMN NameStyle TYPE INTEGER",
    )
    run, jobs = run_master(source, tmp_path / "lake")
    assert_refused_before_extraction(
        run,
        jobs,
        tmp_path / "lake",
        "SalesLT.Customer.NameStyle is integer where the contract expects boolean",
        "SalesLT.SalesOrderHeader.OrderDate is varchar where the contract expects datetime",
    )


def test_a_dropped_table_is_refused_once_not_per_column(source: Path, tmp_path: Path) -> None:
    alter(source, "DROP TABLE SalesLT.CustomerAddress")
    run, jobs = run_master(source, tmp_path / "lake")
    assert_refused_before_extraction(run, jobs, tmp_path / "lake", "SalesLT.CustomerAddress is missing")
    assert "CustomerAddress." not in run.error["message"]


def test_insights_run_on_a_drifted_source_names_the_column_and_extracts_nothing(source: Path, tmp_path: Path) -> None:
    alter(source, "ALTER TABLE SalesLT.SalesOrderDetail RENAME COLUMN UnitPriceDiscount TO Discount")
    lake = tmp_path / "lake"
    result = CliRunner().invoke(app, ["run", "--source", str(source), "--lake", str(lake)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "Traceback" not in output
    assert output.endswith(
        "Refuse Drifted Source: the source schema differs from the data contract, nothing was extracted: "
        "SalesLT.SalesOrderDetail.UnitPriceDiscount is missing"
    )
    assert output.count("error:") == 1
    assert not (lake / "bronze").exists()


def test_the_contracts_text_lengths_are_the_sql_server_columns() -> None:
    """`too_long:<Column>` holds a value to what its SQL Server column (the stand-in's declared type) holds."""
    declared = {(table, c.name): c.sql_server for table, columns in SOURCE_TABLES.items() for c in columns}
    for spec in TABLES:
        for column, limit in spec.lengths.items():
            assert declared[(spec.source, column)].lower() in (f"nvarchar({limit})", f"varchar({limit})")
