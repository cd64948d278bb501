"""The storage seam's MERGE rules on delta-rs, lake paths, and the job entry points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from insights_jobs import lake as paths
from insights_jobs.jobs import gold_main, silver_main
from insights_jobs.plain_delta import data_files
from insights_jobs.storage import LocalDelta, NativeDelta, merge_conditions, storage_for
from tests.support.bronze import customer, write_bronze

pytestmark = pytest.mark.spark

SCHEMA = "id int, name string, modified_date timestamp, _run_id string"


def rows(path) -> dict:
    return {r["id"]: (r["name"], r["_run_id"]) for r in DeltaTable(str(path)).to_pyarrow_table().to_pylist()}


def test_upsert_updates_only_with_a_version_at_least_as_new_and_different_content(spark, tmp_path):
    store, path = LocalDelta(spark), str(tmp_path / "t")
    jan, feb = dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)
    first = spark.createDataFrame([(1, "a", feb, "r1"), (2, "b", jan, "r1")], SCHEMA)
    assert store.upsert(path, first, ["id"], version_column="modified_date") == 2
    second = spark.createDataFrame(
        [(1, "older", jan, "r2"), (2, "b", jan, "r2"), (3, "new", jan, "r2")], SCHEMA
    )  # 1: older version, 2: same version and content, 3: new key
    assert store.upsert(path, second, ["id"], version_column="modified_date") == 1
    third = spark.createDataFrame([(2, "b2", jan, "r3")], SCHEMA)  # same version, different content
    assert store.upsert(path, third, ["id"], version_column="modified_date") == 1
    assert rows(path) == {1: ("a", "r1"), 2: ("b2", "r3"), 3: ("new", "r2")}


def test_insert_only_upsert_never_touches_existing_rows(spark, tmp_path):
    store, path = LocalDelta(spark), str(tmp_path / "t")
    store.upsert(path, spark.createDataFrame([(1, "a", None, "r1")], SCHEMA), ["id"], when_matched="ignore")
    batch = spark.createDataFrame([(1, "changed", None, "r2"), (2, "b", None, "r2")], SCHEMA)
    assert store.upsert(path, batch, ["id"], when_matched="ignore") == 1
    assert rows(path) == {1: ("a", "r1"), 2: ("b", "r2")}


def test_accumulate_adds_to_matching_rows_inserts_new_keys_and_deletes_a_row_whose_count_falls_to_zero(spark, tmp_path):
    store, path = LocalDelta(spark), str(tmp_path / "t")
    schema = "k int, n bigint, amount decimal(38,6)"
    store.overwrite(
        path, spark.createDataFrame([(1, 2, Decimal("10.5")), (2, 1, Decimal(3)), (3, 1, Decimal(1))], schema)
    )
    gains = spark.createDataFrame([(1, -1, Decimal("-0.5")), (2, -1, Decimal(-3)), (4, 2, Decimal("7.25"))], schema)
    assert store.accumulate(path, gains, ["k"], ["n", "amount"], "n") == 3  # 1 updated, 2 deleted, 4 inserted
    got = {r["k"]: (r["n"], r["amount"]) for r in DeltaTable(path).to_pyarrow_table().to_pylist()}
    assert got == {1: (1, Decimal("10.000000")), 3: (1, Decimal("1.000000")), 4: (2, Decimal("7.250000"))}


def test_read_gives_the_table_back_with_its_types(spark, tmp_path):
    store, path = LocalDelta(spark), str(tmp_path / "t")
    store.overwrite(path, spark.createDataFrame([(1, "a", dt.datetime(2024, 1, 1), "r1")], SCHEMA))
    df = store.read(path)
    assert df.schema.simpleString() == "struct<id:int,name:string,modified_date:timestamp,_run_id:string>"
    assert store.read(path, columns=["name"]).collect()[0].name == "a"


def test_create_makes_an_empty_table_readers_see_like_a_written_one_and_leaves_an_existing_table_alone(spark, tmp_path):
    store, empty, written = LocalDelta(spark), str(tmp_path / "empty"), str(tmp_path / "written")
    schema = spark.createDataFrame([], SCHEMA).schema
    store.create(empty, schema)
    store.overwrite(written, spark.createDataFrame([(1, "a", dt.datetime(2024, 1, 1), "r1")], SCHEMA))
    assert store.read(empty).schema == store.read(written).schema == schema
    assert store.read(empty).count() == 0
    for table in (DeltaTable(empty), DeltaTable(written)):  # what Synapse serverless and DuckDB read
        assert (table.protocol().min_reader_version, table.metadata().configuration) == (
            1,
            {"delta.enableDeletionVectors": "false"},
        )
    store.upsert(empty, spark.createDataFrame([(2, "b", None, "r2")], SCHEMA), ["id"])
    store.create(empty, schema)
    assert rows(empty) == {2: ("b", "r2")}


def test_a_high_cardinality_column_stops_its_dictionary_and_a_low_one_keeps_it(spark, tmp_path):
    """100,000 distinct ints would need a 400 KB dictionary: it stops once past 64 KB (checked per write
    batch, so a little past) and the rest is written plain; three genders stay one small dictionary."""
    store, path = LocalDelta(spark), str(tmp_path / "t")
    store.overwrite(
        path,
        spark.range(100_000).selectExpr(
            "CAST(id AS int) AS id", "element_at(array('F', 'M', 'U'), CAST(id % 3 AS int) + 1) AS gender"
        ),
    )
    (file,) = data_files(DeltaTable(path))
    row_group = pq.ParquetFile(file).metadata.row_group(0)
    columns = {row_group.column(i).path_in_schema: row_group.column(i) for i in range(row_group.num_columns)}

    def dictionary_bytes(name: str) -> int:
        column = columns[name]
        return column.data_page_offset - column.dictionary_page_offset

    assert dictionary_bytes("id") < 80 * 1024  # not 100,000 x 4 bytes
    assert "PLAIN" in columns["id"].encodings
    assert columns["gender"].has_dictionary_page and dictionary_bytes("gender") < 1024


def test_merge_conditions_compare_content_columns_only():
    on, condition = merge_conditions(["k", "v", "modified_date", "_run_id"], ["k"], "modified_date", None)
    assert on == "t.k = s.k"
    assert condition == (
        "s.modified_date >= t.modified_date AND ((s.v IS DISTINCT FROM t.v) OR "
        "(s.modified_date IS DISTINCT FROM t.modified_date))"
    )


def test_storage_is_native_delta_on_a_databricks_runtime(spark, monkeypatch):
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    assert isinstance(storage_for(spark), LocalDelta)
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "17.3")
    monkeypatch.setattr(NativeDelta, "__init__", lambda self, spark: None)  # no Delta jars on this machine
    assert isinstance(storage_for(spark), NativeDelta)


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("/data/lake", "/data/lake/silver/customer"),
        ("/data/lake/", "/data/lake/silver/customer"),
        ("abfss://{layer}@acct.dfs.core.windows.net", "abfss://silver@acct.dfs.core.windows.net/customer"),
        ("abfss://lake@acct.dfs.core.windows.net/", "abfss://lake@acct.dfs.core.windows.net/silver/customer"),
    ],
)
def test_lake_paths(root, expected):
    assert paths.silver(root, "customer") == expected


def test_bronze_glob_reads_a_run_under_its_load_date_or_any():
    root = "abfss://{layer}@a.dfs.core.windows.net"
    assert paths.bronze_run_glob(root, "Customer", ["r1"]) == (
        "abfss://bronze@a.dfs.core.windows.net/SalesLT/Customer/load_date=*/run_id=r1/*.parquet"
    )
    assert paths.bronze_run_glob(root, "Customer", ["r1"], "2024-01-02") == (
        "abfss://bronze@a.dfs.core.windows.net/SalesLT/Customer/load_date=2024-01-02/run_id=r1/*.parquet"
    )


def test_entry_points_take_lake_and_run_id_and_return_a_summary(tmp_path, capsys):
    lake = tmp_path / "lake"
    write_bronze(lake, "Customer", "r1", [customer(1)])
    silver = silver_main(["--lake", str(lake), "--run-id", "r1"])
    gold = gold_main(["--lake", str(lake), "--run-id", "r1"])
    assert (silver["read"], silver["upserted"], silver["quarantined"]) == (1, 1, 0)
    assert gold["mode"] == "skipped"  # silver has no orders yet
    out = capsys.readouterr().out
    assert "insights-silver: lake" in out and "1 rows read, 1 upserted, 0 quarantined" in out


def test_silver_with_a_load_date_reads_that_folder_only(tmp_path):
    lake = tmp_path / "lake"
    write_bronze(lake, "Customer", "r1", [customer(1)], load_date="2024-01-02")
    write_bronze(lake, "Customer", "r1", [customer(2)], load_date="2024-01-03", part=1)  # same run, next day
    summary = silver_main(["--lake", str(lake), "--run-id", "r1", "--load-date", "2024-01-03"])
    assert (summary["read"], summary["upserted"]) == (1, 1)
    assert [r["customer_id"] for r in DeltaTable(str(lake / "silver" / "customer")).to_pyarrow_table().to_pylist()] == [
        2
    ]


def test_a_malformed_load_date_is_refused_not_read_as_nothing(capsys):
    with pytest.raises(SystemExit) as exit_info:
        silver_main(["--lake", "/nowhere", "--run-id", "r1", "--load-date", "2024-1-3"])
    assert exit_info.value.code == 2
    assert "--load-date" in capsys.readouterr().err


def test_entry_points_fail_with_a_clear_message_and_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        silver_main(["--lake", "/nowhere"])
    assert exit_info.value.code == 2
    assert "--run-id" in capsys.readouterr().err
