"""A run with nothing to do starts no Spark; a run that has work (waiting rows, a `writing` mark, a silver
change) still asks for Spark and does it.

The mains take the session as a factory (the local runner's way of starting Spark only when a job needs it):
here a factory that counts its calls and hands out the test session.
"""

from __future__ import annotations

import pytest
from deltalake import DeltaTable, write_deltalake

from insights_jobs.jobs import gold_main, silver_main
from tests.support.bronze import category, customer, detail, header, product, write_bronze

pytestmark = pytest.mark.spark


class Sessions:
    """A session factory that counts how often a job asked for Spark."""

    def __init__(self, spark) -> None:
        self.spark, self.calls = spark, 0

    def __call__(self):
        self.calls += 1
        return self.spark


def main(job, lake, run_id, sessions):
    return job(["--lake", str(lake.root), "--run-id", run_id], session=sessions)


@pytest.fixture
def built(lake, spark):
    """A lake with one order line in silver and gold, and one line waiting for product 77."""
    write_bronze(lake.root, "Customer", "r1", [customer(1, "Ms.")])
    write_bronze(lake.root, "ProductCategory", "r1", [category(1, "Bikes"), category(5, "Mountain Bikes", 1)])
    write_bronze(lake.root, "Product", "r1", [product(10, "Bike", 5)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 1, order_date="2024-03-01")])
    write_bronze(lake.root, "SalesOrderDetail", "r1", [detail(100, 1, 10, 1, "10"), detail(100, 2, 77, 3, "5")])
    sessions = Sessions(spark)
    assert (
        main(silver_main, lake, "r1", sessions)["upserted"] == 6
    )  # 1 customer, 2 categories, 1 product, 1 order, 1 line
    assert main(gold_main, lake, "r1", sessions)["mode"] == "full"
    assert sessions.calls == 2
    return lake


def versions(lake) -> dict[str, int]:
    folders = [p for layer in ("silver", "gold", "control") for p in (lake.root / layer).iterdir() if p.is_dir()]
    return {str(p): DeltaTable(str(p)).version() for p in folders if DeltaTable.is_deltatable(str(p))}


def resolve_waiting_line(lake) -> None:
    """The waiting line lands (its product arrives), so nothing waits any more."""
    write_bronze(lake.root, "Product", "r2", [product(77, "Late bike", 5)])
    assert silver_main(["--lake", str(lake.root), "--run-id", "r2"])["resolved"] == 1
    gold_main(["--lake", str(lake.root), "--run-id", "r2"])


def test_a_run_with_nothing_to_do_starts_no_spark_and_reports_the_same_summary(built, spark, capsys):
    resolve_waiting_line(built)
    before = versions(built)
    refuse = Sessions(spark)

    silver = main(silver_main, built, "r3", refuse)
    gold = main(gold_main, built, "r3", refuse)

    assert refuse.calls == 0
    assert {k: v for k, v in silver.items() if k != "seconds"} == {
        "tables": 0, "read": 0, "upserted": 0, "quarantined": 0, "resolved": 0
    }  # fmt: skip
    assert {k: v for k, v in gold.items() if k != "seconds"} == {
        "mode": "incremental",
        "touched_lines": 0,
        "touched_dates": 0,
    }
    assert versions(built) == before
    out = capsys.readouterr().out
    assert "silver run r3: 0 tables, 0 rows read" in out and "gold run r3 (incremental): 0 order lines" in out


def test_a_run_with_nothing_extracted_still_retries_the_rows_that_wait(built, spark):
    sessions = Sessions(spark)
    silver = main(silver_main, built, "r3", sessions)
    assert sessions.calls == 1
    assert (silver["tables"], silver["read"]) == (1, 1)  # the waiting line, read again from r1's bronze
    assert [q["rule"] for q in built.open_quarantine()] == ["unknown_product"]


def test_the_check_reads_a_quarantine_whose_files_hold_strings_as_spark_and_as_delta_rs_write_them(built, spark):
    """The first file came through Spark's Arrow (plain strings); an insert-only MERGE adds a second one that
    delta-rs writes with view strings. The check reads both as one table, and the two waiting lines retry."""
    write_bronze(built.root, "SalesOrderDetail", "r2", [detail(100, 3, 88, 1, "7")])  # product 88 is unknown too
    assert main(silver_main, built, "r2", Sessions(spark))["quarantined"] == 1
    quarantine = DeltaTable(str(built.root / "silver" / "_quarantine"))
    assert len(quarantine.file_uris()) == 2
    sessions = Sessions(spark)
    silver = main(silver_main, built, "r3", sessions)
    assert sessions.calls == 1 and (silver["tables"], silver["read"]) == (1, 2)


def test_a_run_with_nothing_extracted_still_repairs_gold_left_writing(built, spark):
    resolve_waiting_line(built)
    state = str(built.root / "control" / "gold_state")
    rows = DeltaTable(state).to_pyarrow_table()
    writing = rows.set_column(rows.schema.get_field_index("writing"), "writing", [[True] * rows.num_rows])
    write_deltalake(state, writing, mode="overwrite")  # a run died while writing gold
    sessions = Sessions(spark)
    assert main(silver_main, built, "r3", sessions)["tables"] == 0
    gold = main(gold_main, built, "r3", sessions)
    assert sessions.calls == 1  # silver had nothing to do, gold had a crash to repair
    assert gold["mode"] == "full"
    assert not any(r["writing"] for r in DeltaTable(state).to_pyarrow_table().to_pylist())


def test_gold_runs_when_silver_changed_since_it_last_ran(built, spark):
    resolve_waiting_line(built)
    write_bronze(built.root, "Customer", "r3", [customer(1, "Mr.", modified="2024-02-01")])
    silver_main(["--lake", str(built.root), "--run-id", "r3"])  # silver changes; gold has not run since
    sessions = Sessions(spark)
    gold = main(gold_main, built, "r4", sessions)
    assert sessions.calls == 1
    assert gold["mode"] == "incremental" and gold["touched_lines"] == 2
    genders = {r["gender"] for r in built.rows("gold", "fct_sales")}
    assert genders == {"Male"}
