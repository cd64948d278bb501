"""The one storage seam: every Delta read and write of the jobs goes through a `Storage`.

Two implementations with the same behaviour:
- `NativeDelta` on Databricks: Delta Lake's own Spark API (`delta.tables.DeltaTable`, `format("delta")`);
- `LocalDelta` on one machine: `deltalake` (delta-rs) for the Delta log, MERGE and writes, rows handed
  over as Arrow (`toArrow()`), never through pandas; reads with Spark's Parquet reader over the files of
  the deltalake snapshot (see `LocalDelta`).

Every table is created with `TABLE_PROPERTIES` (deletion vectors off, no column mapping), so every Delta
table stays at reader version 1, which is what Synapse serverless reads. It is set here, once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import WriterProperties
    from deltalake.table import TableMerger

TABLE_PROPERTIES = {"delta.enableDeletionVectors": "false"}

WhenMatched = Literal["update", "ignore"]


class Storage(Protocol):
    """Delta tables addressed by path (local folder or `abfss://...`)."""

    def exists(self, table_path: str) -> bool:
        """True when a Delta table is at `table_path`."""
        ...

    def read(self, table_path: str, columns: Sequence[str] | None = None) -> DataFrame:
        """The current snapshot of a table (optionally only some columns)."""
        ...

    def upsert(
        self,
        table_path: str,
        df: DataFrame,
        keys: Sequence[str],
        *,
        version_column: str | None = None,
        compare_columns: Sequence[str] | None = None,
        when_matched: WhenMatched = "update",
    ) -> int:
        """MERGE on `keys`: insert new keys; update a matched row when the source is at least as new
        (`version_column`) and differs in `compare_columns` (default: every column that is not a key and
        does not start with '_'), so a rerun changes nothing. Creates the table. Returns rows written."""
        ...

    def accumulate(
        self, table_path: str, df: DataFrame, keys: Sequence[str], measures: Sequence[str], count: str
    ) -> int:
        """MERGE on `keys` that adds `df`'s `measures` to the matching row (aggregates adjusted by
        differences): inserts a new key, deletes a row whose `count` measure falls to 0. Not idempotent:
        the caller makes a crash safe (gold's `writing` mark). The table must exist. Returns rows written."""
        ...

    def overwrite(self, table_path: str, df: DataFrame) -> int:
        """Replace the whole table by `df`. Creates the table."""
        ...

    def create(self, table_path: str, schema: StructType) -> None:
        """An empty table of `schema`, unless a table is already there (no Spark job: nothing to compute)."""
        ...


def match_on(keys: Sequence[str]) -> str:
    """The MERGE join predicate on `keys` (target `t`, source `s`)."""
    return " AND ".join(f"t.{k} = s.{k}" for k in keys)


def accumulation(measures: Sequence[str], count: str) -> tuple[str, dict[str, str]]:
    """An adding MERGE's matched-delete condition (`count` falls to 0) and its updates (target + source),
    in SQL both engines accept (`s`/`t`)."""
    return f"t.{count} + s.{count} <= 0", {m: f"t.{m} + s.{m}" for m in measures}


def merge_conditions(
    columns: Sequence[str],
    keys: Sequence[str],
    version_column: str | None,
    compare_columns: Sequence[str] | None,
) -> tuple[str, str]:
    """The MERGE join predicate and matched-update condition, in SQL both engines accept (`s`/`t`)."""
    on = match_on(keys)
    compare = (
        compare_columns
        if compare_columns is not None
        else [c for c in columns if c not in keys and not c.startswith("_")]
    )
    differs = " OR ".join(f"(s.{c} IS DISTINCT FROM t.{c})" for c in compare) or "true"
    condition = f"({differs})"
    if version_column:
        condition = f"s.{version_column} >= t.{version_column} AND {condition}"
    return on, condition


class NativeDelta:
    """Delta Lake on a Databricks cluster (not run locally: `delta` is not installed there)."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        for name, value in TABLE_PROPERTIES.items():  # defaults for every table this session creates
            spark.conf.set(f"spark.databricks.delta.properties.defaults.{name.removeprefix('delta.')}", value)

    def exists(self, table_path: str) -> bool:
        from delta.tables import DeltaTable

        return DeltaTable.isDeltaTable(self.spark, table_path)

    def read(self, table_path: str, columns: Sequence[str] | None = None) -> DataFrame:
        df = self.spark.read.format("delta").load(table_path)
        return df.select(*columns) if columns else df

    def upsert(
        self,
        table_path: str,
        df: DataFrame,
        keys: Sequence[str],
        *,
        version_column: str | None = None,
        compare_columns: Sequence[str] | None = None,
        when_matched: WhenMatched = "update",
    ) -> int:
        if not self.exists(table_path):
            return self._create(table_path, df)
        on, condition = merge_conditions(df.columns, keys, version_column, compare_columns)
        merge = self._merge(table_path, df, on)
        if when_matched == "update":
            merge = merge.whenMatchedUpdateAll(condition=condition)
        merge.whenNotMatchedInsertAll().execute()
        return self._rows_written(table_path)

    def accumulate(
        self, table_path: str, df: DataFrame, keys: Sequence[str], measures: Sequence[str], count: str
    ) -> int:
        emptied, updates = accumulation(measures, count)
        merge = self._merge(table_path, df, match_on(keys)).whenMatchedDelete(condition=emptied)
        merge.whenMatchedUpdate(set=updates).whenNotMatchedInsertAll().execute()
        return self._rows_written(table_path)

    def overwrite(self, table_path: str, df: DataFrame) -> int:
        if not self.exists(table_path):
            return self._create(table_path, df)
        df.write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(table_path)
        return self._rows_written(table_path)

    def create(self, table_path: str, schema: StructType) -> None:
        from delta.tables import DeltaTable

        builder = DeltaTable.createIfNotExists(self.spark).location(table_path).addColumns(schema)
        for name, value in TABLE_PROPERTIES.items():
            builder = builder.property(name, value)
        builder.execute()

    def _merge(self, table_path: str, df: DataFrame, on: str) -> Any:
        """A MERGE builder of `df` (alias `s`) into the table (alias `t`)."""
        from delta.tables import DeltaTable

        return DeltaTable.forPath(self.spark, table_path).alias("t").merge(df.alias("s"), on)

    def _create(self, table_path: str, df: DataFrame) -> int:
        df.write.format("delta").mode("errorifexists").options(**TABLE_PROPERTIES).save(table_path)
        return self._rows_written(table_path)

    def _rows_written(self, table_path: str) -> int:
        from delta.tables import DeltaTable

        metrics = DeltaTable.forPath(self.spark, table_path).history(1).collect()[0]["operationMetrics"]
        names = (
            ("numTargetRowsInserted", "numTargetRowsUpdated", "numTargetRowsDeleted")
            if "numTargetRowsInserted" in metrics
            else ("numOutputRows",)
        )
        return sum(int(metrics.get(n, 0)) for n in names)


class LocalDelta:
    """Delta on one machine with delta-rs; Spark hands Delta its rows as Arrow (`toArrow()`).

    Reads: the snapshot's data files with Spark's Parquet reader and the schema from the Delta log when the
    table is plain (reader version 1: no deletion vectors, no column mapping; not partitioned), which every
    table written through this seam is; any other table comes back through `createDataFrame(arrow)`.
    """

    ROW_GROUP_ROWS = 128 * 1024  # several row groups per file, so Spark can split a scan across cores
    # A column whose dictionary outgrows this is written plain: an id column stops paying for a dictionary
    # of every value, a low-cardinality one (gender, category) keeps its dictionary: MERGEs of the largest
    # tables run faster and the files are no larger.
    DICTIONARY_PAGE_BYTES = 64 * 1024

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def exists(self, table_path: str) -> bool:
        from deltalake import DeltaTable

        return DeltaTable.is_deltatable(table_path)

    def read(self, table_path: str, columns: Sequence[str] | None = None) -> DataFrame:
        from deltalake import DeltaTable

        table = DeltaTable(table_path)
        files = table.file_uris()
        if files and table.protocol().min_reader_version == 1 and not table.metadata().partition_columns:
            schema = StructType.fromJson(json.loads(table.schema().to_json()))
            df = self.spark.read.schema(schema).parquet(*files)
        else:
            df = self.spark.createDataFrame(table.to_pyarrow_table())
        return df.select(*columns) if columns else df

    def upsert(
        self,
        table_path: str,
        df: DataFrame,
        keys: Sequence[str],
        *,
        version_column: str | None = None,
        compare_columns: Sequence[str] | None = None,
        when_matched: WhenMatched = "update",
    ) -> int:
        data = df.toArrow()
        if not self.exists(table_path):
            return self._create(table_path, data)
        if data.num_rows == 0:
            return 0
        on, condition = merge_conditions(data.column_names, keys, version_column, compare_columns)
        merge = self._merge(table_path, data, on)
        if when_matched == "update":
            merge = merge.when_matched_update_all(predicate=condition)
        return self._merged(merge.when_not_matched_insert_all().execute())

    def accumulate(
        self, table_path: str, df: DataFrame, keys: Sequence[str], measures: Sequence[str], count: str
    ) -> int:
        data = df.toArrow()
        if data.num_rows == 0:
            return 0
        emptied, updates = accumulation(measures, count)
        merge = self._merge(table_path, data, match_on(keys)).when_matched_delete(predicate=emptied)
        return self._merged(merge.when_matched_update(updates=updates).when_not_matched_insert_all().execute())

    def overwrite(self, table_path: str, df: DataFrame) -> int:
        data = df.toArrow()
        if not self.exists(table_path):
            return self._create(table_path, data)
        self._write(table_path, data, mode="overwrite", schema_mode="overwrite")
        return data.num_rows

    def create(self, table_path: str, schema: StructType) -> None:
        from pyspark.sql.pandas.types import to_arrow_schema

        if not self.exists(table_path):  # a write of no rows: the schema, as `toArrow()` types it, in the log
            self._create(table_path, to_arrow_schema(schema, timezone="UTC").empty_table())

    def _merge(self, table_path: str, data: pa.Table, on: str) -> TableMerger:
        """A MERGE builder of `data` (alias `s`) into the table (alias `t`), with this seam's writer settings."""
        from deltalake import DeltaTable

        return DeltaTable(table_path).merge(
            data, on, source_alias="s", target_alias="t", writer_properties=self._writer_properties()
        )

    @staticmethod
    def _merged(metrics: dict[str, Any]) -> int:
        """Rows a MERGE wrote: inserted, updated and deleted."""
        return sum(int(metrics.get(f"num_target_rows_{n}", 0)) for n in ("inserted", "updated", "deleted"))

    def _create(self, table_path: str, data: pa.Table) -> int:
        self._write(table_path, data, mode="error", configuration=TABLE_PROPERTIES)
        return data.num_rows

    def _write(self, table_path: str, data: pa.Table, **options: Any) -> None:
        from deltalake import write_deltalake

        write_deltalake(table_path, data, writer_properties=self._writer_properties(), **options)

    def _writer_properties(self) -> WriterProperties:
        from deltalake import WriterProperties

        return WriterProperties(
            max_row_group_size=self.ROW_GROUP_ROWS, dictionary_page_size_limit=self.DICTIONARY_PAGE_BYTES
        )


def storage_for(spark: SparkSession) -> Storage:
    """Native Delta on a Databricks runtime, delta-rs everywhere else."""
    return NativeDelta(spark) if os.environ.get("DATABRICKS_RUNTIME_VERSION") else LocalDelta(spark)
