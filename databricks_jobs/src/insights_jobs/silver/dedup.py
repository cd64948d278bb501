"""Deduplication: one row per business key, the latest version (by ModifiedDate); older ones are superseded."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from insights_jobs.contract import TableSpec
from insights_jobs.silver.validate import RULE, SUPERSEDED


def latest_per_key(df: DataFrame, spec: TableSpec) -> DataFrame:
    """Flag `_superseded` every passing row but the newest of its key, and exact repeats of a rejected row."""
    by_key = Window.partitionBy(*spec.silver_key)
    newest_first = by_key.orderBy(
        F.col(RULE).isNull().desc(), F.col(spec.silver_version).desc_nulls_last(), F.col("_run_id").desc()
    )
    same_rows_together = by_key.orderBy(RULE, "_run_id", "_payload")
    repeat = (
        F.col(RULE).isNotNull()
        & (F.lag(RULE).over(same_rows_together) == F.col(RULE))
        & (F.lag("_run_id").over(same_rows_together) == F.col("_run_id"))
        & (F.lag("_payload").over(same_rows_together) == F.col("_payload"))
    )
    older = F.col(RULE).isNull() & (F.row_number().over(newest_first) > 1)
    return df.withColumn(SUPERSEDED, older | F.coalesce(repeat, F.lit(False)))
