"""Reading bronze: the Parquet files one extraction run wrote for a table (same call on both platforms)."""

from __future__ import annotations

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession

from insights_jobs import lake

_NOTHING_THERE = {"PATH_NOT_FOUND", "UNABLE_TO_INFER_SCHEMA"}


def read_run(
    spark: SparkSession, root: str, source_table: str, run_id: str, load_date: str | None = None
) -> DataFrame | None:
    """The rows run `run_id` extracted for `source_table` (under `load_date`, else under any load date), or
    None if it extracted none."""
    try:
        return spark.read.parquet(lake.bronze_run_glob(root, source_table, [run_id], load_date))
    except AnalysisException as exc:
        condition = exc.getCondition() if hasattr(exc, "getCondition") else exc.getErrorClass()
        if condition in _NOTHING_THERE:
            return None
        raise
