"""Merge: shape passing rows for silver and rejected rows for `_quarantine`; resolve waiting rows."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from insights_jobs.contract import QUARANTINE, RETRYABLE_RULES, TableSpec
from insights_jobs.silver.validate import BOOKKEEPING, DETAIL, RULE, business_key

EPOCH = "0001-01-01 00:00:00"


def silver_rows(passing: DataFrame, spec: TableSpec, run_id: str, updated_at: datetime) -> DataFrame:
    """Passing rows in silver's shape: source columns, enrichments, `_run_id` = this run, `_updated_at`."""
    enriched = [c for c in passing.columns if c not in spec.silver_columns and c not in BOOKKEEPING]
    return passing.select(
        *spec.silver_columns,
        *enriched,
        F.lit(run_id).alias("_run_id"),
        F.lit(updated_at).alias("_updated_at"),
    )


def quarantine_rows(rejected: DataFrame, spec: TableSpec, run_id: str, quarantined_at: datetime) -> DataFrame:
    """Rejected rows in `_quarantine`'s shape (one row per source row and rule; payload = the bronze row)."""
    rows = rejected.select(
        F.lit(spec.source).alias("source_table"),
        F.col("_business_key").alias("business_key"),
        F.col(RULE).alias("rule"),
        F.col(DETAIL).alias("detail"),
        F.col("_run_id").alias("run_id"),
        F.lit(run_id).alias("quarantined_run_id"),
        F.col(RULE).isin(*sorted(RETRYABLE_RULES)).alias("is_retryable"),
        F.lit(None).cast("string").alias("resolved_run_id"),
        F.col("_payload").alias("payload"),
        F.lit(quarantined_at).alias("quarantined_at"),
        F.col("_load_date").alias("load_date"),
    )
    return rows


def resolutions(open_rows: DataFrame, silver: DataFrame, spec: TableSpec, run_id: str) -> DataFrame:
    """Open quarantine rows whose key is now in silver at a version at least as new, marked resolved."""
    landed = silver.select(
        business_key(list(spec.silver_key)).alias("business_key"),
        F.col(spec.silver_version).alias("_silver_version"),
    )
    rejected_version = F.coalesce(
        F.expr(f"try_cast(get_json_object(payload, '$.{spec.version}') AS timestamp)"),  # (Column.try_cast: Spark 4)
        F.lit(EPOCH).cast("timestamp"),
    )
    return (
        open_rows.filter(F.col("source_table") == spec.source)
        .join(landed, "business_key")
        .filter(F.col("_silver_version") >= rejected_version)
        .withColumn("resolved_run_id", F.lit(run_id))
        .select(*QUARANTINE.names)
    )
