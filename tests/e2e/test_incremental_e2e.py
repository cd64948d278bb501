"""Incremental runs, crashes and bad rows, end to end: generated source -> pipeline -> gold.

The reference for an incremental lake is a full rebuild from the final source in a fresh lake; the
reference for reconciliation is the source database itself, counted with DuckDB.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from insights.local.adf.executor import ActivityRun
from insights.local.pipeline import run_pipeline
from insights.local.source import KEYS, TABLE_NAMES, advance, generate
from insights_jobs.contract import BY_SOURCE

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

GOLD = ("fct_sales", "agg_daily_sales", "dim_customer", "dim_product", "dim_date")


def gold_rows(lake: Path, table: str) -> list[tuple]:
    """A gold table's rows, sorted, without the bookkeeping column that records when they were written."""
    data = DeltaTable(str(lake / "gold" / table)).to_pyarrow_table()
    data = data.drop_columns([c for c in data.column_names if c.startswith("_")])
    return sorted(tuple(row.values()) for row in data.to_pylist())


def assert_gold_equals_full_rebuild(source: Path, lake: Path, tmp_path: Path) -> None:
    rebuilt = tmp_path / "rebuilt-lake"
    copy = tmp_path / "rebuilt-source.duckdb"
    shutil.copyfile(source, copy)
    assert run_pipeline(copy, rebuilt).status == "Succeeded"
    for table in GOLD:
        assert gold_rows(lake, table) == gold_rows(rebuilt, table), table


def ok(summary):
    assert summary.status == "Succeeded", summary.error
    return summary


def test_incremental_run_equals_a_full_rebuild_and_a_rerun_extracts_nothing(tmp_path):
    source, lake = tmp_path / "source.duckdb", tmp_path / "lake"
    generate(source, scale=0.02, seed=11)
    ok(run_pipeline(source, lake))
    changes = advance(source, days=3, seed=5, update_share=0.05)
    assert sum(changes.updated.values()) > 0 and sum(changes.inserted.values()) > 0

    incremental = ok(run_pipeline(source, lake))
    assert incremental.extracted["SalesOrderDetail"] > 0
    assert incremental.extracted["ProductCategory"] == 0  # untouched tables extract nothing
    assert_gold_equals_full_rebuild(source, lake, tmp_path)

    versions = {t: DeltaTable(str(lake / "gold" / t)).version() for t in GOLD}
    again = ok(run_pipeline(source, lake))
    assert sum(again.extracted.values()) == 0
    assert {t: DeltaTable(str(lake / "gold" / t)).version() for t in GOLD} == versions


class SimulatedCrash(BaseException):
    """The process dies: not an activity failure the executor could handle."""


def test_a_run_killed_after_silver_and_before_the_watermarks_converges(tmp_path):
    source, lake = tmp_path / "source.duckdb", tmp_path / "lake"
    generate(source, scale=0.02, seed=12)
    ok(run_pipeline(source, lake))
    advance(source, days=2, seed=3, update_share=0.05)
    committed = {p.name: p.read_text() for p in (lake / "control" / "watermarks").glob("*.json")}

    def die_after_silver(activity: ActivityRun) -> None:
        if activity.name == "Build Silver" and activity.status == "Succeeded":
            raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        run_pipeline(source, lake, on_activity_end=die_after_silver)
    assert {p.name: p.read_text() for p in (lake / "control" / "watermarks").glob("*.json")} == committed

    recovery = ok(run_pipeline(source, lake))
    assert recovery.extracted["SalesOrderDetail"] > 0  # the same changes, extracted again
    assert_gold_equals_full_rebuild(source, lake, tmp_path)


def quarantine(lake: Path) -> list[dict]:
    return DeltaTable(str(lake / "silver" / "_quarantine")).to_pyarrow_table().to_pylist()


def test_bad_rows_land_in_quarantine_with_their_rule_and_counts_reconcile(tmp_path):
    source, lake = tmp_path / "source.duckdb", tmp_path / "lake"
    stats = generate(source, scale=0.02, seed=13, dirty_share=0.01)
    # a column widened within its type family (the schema check accepts it), holding a value the contract's int
    # cannot: silver quarantines that row (a change of type family is refused before extraction instead)
    with duckdb.connect(str(source)) as con:
        header = con.execute("SELECT min(SalesOrderID) FROM SalesLT.SalesOrderHeader").fetchall()[0][0]
        con.execute("ALTER TABLE SalesLT.SalesOrderHeader ALTER RevisionNumber TYPE BIGINT")
        con.execute(f"UPDATE SalesLT.SalesOrderHeader SET RevisionNumber = 5000000000 WHERE SalesOrderID = {header}")
        source_rows = {t: con.execute(f"SELECT count(*) FROM SalesLT.{t}").fetchall()[0][0] for t in TABLE_NAMES}
    ok(run_pipeline(source, lake))

    rows = quarantine(lake)
    rules = {(r["source_table"], r["rule"]) for r in rows}
    for table, kinds in stats.dirty.items():
        for kind in kinds:
            assert (table, kind) in rules, (table, kind)
    assert ("SalesOrderHeader", "unparseable:RevisionNumber") in rules
    assert all(r["run_id"] and r["payload"] and r["detail"] for r in rows)
    parked = json.loads(next(r["payload"] for r in rows if r["rule"] == "unparseable:RevisionNumber"))
    assert (parked["SalesOrderID"], parked["RevisionNumber"]) == (header, 5000000000)

    for table in TABLE_NAMES:
        in_silver = DeltaTable(str(lake / "silver" / BY_SOURCE[table].silver)).to_pyarrow_table().num_rows
        in_quarantine = sum(1 for r in rows if r["source_table"] == table and r["resolved_run_id"] is None)
        assert source_rows[table] == in_silver + in_quarantine, table


def test_a_line_waiting_for_its_product_arrives_once_the_product_does(tmp_path):
    source, lake = tmp_path / "source.duckdb", tmp_path / "lake"
    generate(source, scale=0.02, seed=14)
    with duckdb.connect(str(source)) as con:
        product_id, lines = con.execute(
            "SELECT ProductID, count(*) FROM SalesLT.SalesOrderDetail GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchall()[0]
        con.execute(f"CREATE TABLE held AS SELECT * FROM SalesLT.Product WHERE ProductID = {product_id}")
        con.execute(f"DELETE FROM SalesLT.Product WHERE ProductID = {product_id}")  # not extracted yet

    ok(run_pipeline(source, lake))
    waiting = [r for r in quarantine(lake) if r["rule"] == "unknown_product"]
    assert len(waiting) == lines and all(r["is_retryable"] for r in waiting)
    fact = DeltaTable(str(lake / "gold" / "fct_sales")).to_pyarrow_table()
    assert product_id not in set(fact.column("product_id").to_pylist())

    with duckdb.connect(str(source)) as con:  # the product arrives, later than every watermark
        con.execute("INSERT INTO SalesLT.Product SELECT * FROM held")
        con.execute(f"UPDATE SalesLT.Product SET ModifiedDate = now()::TIMESTAMP WHERE ProductID = {product_id}")
        con.execute("DROP TABLE held")
    ok(run_pipeline(source, lake))

    fact = DeltaTable(str(lake / "gold" / "fct_sales")).to_pyarrow_table()
    assert fact.column("product_id").to_pylist().count(product_id) == lines
    assert all(r["resolved_run_id"] for r in quarantine(lake) if r["rule"] == "unknown_product")
    assert_gold_equals_full_rebuild(source, lake, tmp_path)


def test_keys_of_the_contract_match_the_source_keys():
    """The jobs' business keys and the source's documented keys are the same table."""
    assert {t: tuple(BY_SOURCE[t].key) for t in TABLE_NAMES} == {t: tuple(KEYS[t]) for t in TABLE_NAMES}
