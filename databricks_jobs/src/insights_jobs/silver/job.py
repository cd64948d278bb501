"""The silver job: bronze of one run -> silver upserts and quarantine, retrying rows that wait."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from insights_jobs import bronze, lake
from insights_jobs.contract import BY_SOURCE, QUARANTINE, TableSpec, waves
from insights_jobs.silver.dedup import latest_per_key
from insights_jobs.silver.enrich import ENRICHERS
from insights_jobs.silver.merge import quarantine_rows, resolutions, silver_rows
from insights_jobs.silver.validate import (
    RULE,
    apply_row_rules,
    check_references,
    flag_duplicates,
    parse,
    passing,
)
from insights_jobs.small_frames import small_frame, struct_type
from insights_jobs.storage import Storage
from insights_jobs.summary import SilverSummary, TableResult

PARALLEL_TABLES = 4


def check_batch(batch: DataFrame, spec: TableSpec, parents: dict[str, DataFrame]) -> DataFrame:
    """Parsed batch -> checked batch: row rules, duplicate_key, the newest version per key, references."""
    return check_references(latest_per_key(flag_duplicates(apply_row_rules(batch, spec), spec), spec), spec, parents)


def enrich(passing: DataFrame, spec: TableSpec, current: DataFrame | None) -> DataFrame:
    """Passing rows with the table's enrichments; a whole-table enricher also re-derives current silver rows."""
    passing = passing.select(*spec.silver_columns)
    for name in spec.enrich:
        enricher = ENRICHERS[name]
        if enricher.whole_table and current is not None:
            passing = _newest_of(passing, current.select(*passing.columns), spec)
        passing = enricher.apply(passing)
    return passing


def _newest_of(batch: DataFrame, current: DataFrame, spec: TableSpec) -> DataFrame:
    """Batch rows and current silver rows, one per key: the newer one (the batch on a tie)."""
    both = batch.withColumn("_from_batch", F.lit(1)).unionByName(current.withColumn("_from_batch", F.lit(0)))
    order = [F.col(spec.silver_version).desc_nulls_last(), F.col("_from_batch").desc()]
    ranked = both.withColumn("_rank", F.row_number().over(Window.partitionBy(*spec.silver_key).orderBy(*order)))
    return ranked.filter("_rank = 1").drop("_rank", "_from_batch")


class SilverJob:
    """One silver run: per table in dependency order (parallel within a wave), read, check, merge,
    quarantine, resolve."""

    def __init__(
        self,
        spark: SparkSession,
        storage: Storage,
        root: str,
        run_id: str,
        started_at: datetime | None = None,
        log: Callable[[str], None] = print,
        load_date: str | None = None,
    ) -> None:
        self.spark, self.storage, self.root, self.run_id, self.log = spark, storage, root, run_id, log
        self.load_date = load_date  # the run's bronze load_date= folder; None: found by listing
        self.started_at = started_at or datetime.now(UTC)
        self.quarantine_path = lake.quarantine(root)
        self.open_rows: DataFrame | None = None
        # source table -> bronze folders holding retryable rows: (run id, load date or None when not recorded)
        self.waiting: dict[str, set[tuple[str, str | None]]] = {}
        self.open_tables: set[str] = set()
        self.quarantine_lock = threading.Lock()  # tables of a wave run in parallel; one quarantine writer

    def run(self) -> SilverSummary:
        start = time.perf_counter()
        summary = SilverSummary(self.run_id)
        self._load_open_quarantine()
        with ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as pool:
            for wave in waves():  # a wave's tables only wait for earlier waves: Spark runs their jobs side by side
                for result in pool.map(self._table, wave):
                    if result is not None:
                        summary.tables.append(result)
                        self.log(
                            f"  {result.source_table}: read {result.read}, upserted {result.upserted}, "
                            f"quarantined {result.quarantined}, resolved {result.resolved}"
                        )
        self._ensure_quarantine()
        summary.seconds = time.perf_counter() - start
        return summary

    def _load_open_quarantine(self) -> None:
        if not self.storage.exists(self.quarantine_path):
            return
        self.open_rows = self._quarantine().filter(F.col("resolved_run_id").isNull())
        folders = self.open_rows.select("source_table", "run_id", "load_date", "is_retryable").distinct()
        for row in folders.collect():
            self.open_tables.add(row.source_table)
            if row.is_retryable and row.run_id != self.run_id:
                self.waiting.setdefault(row.source_table, set()).add((row.run_id, row.load_date))

    def _quarantine(self) -> DataFrame:
        """`_quarantine` with the contract's columns: a table written before a column joined the contract
        gets it once, NULL in its rows."""
        current = self.storage.read(self.quarantine_path)
        missing = [c for c in QUARANTINE.names if c not in current.columns]
        if not missing:
            return current
        upgraded = current.select(
            *[F.lit(None).cast(t).alias(c) if c in missing else F.col(c) for c, t in QUARANTINE.types.items()]
        )
        self.storage.overwrite(self.quarantine_path, upgraded)
        self.log(f"  _quarantine: added the column(s) {', '.join(missing)}")
        return self.storage.read(self.quarantine_path)

    def _batch(self, spec: TableSpec) -> DataFrame | None:
        """This run's bronze rows plus the bronze rows of this table's open retryable quarantine rows."""
        parts = []
        current = bronze.read_run(self.spark, self.root, spec.source, self.run_id, self.load_date)
        if current is not None:
            parts.append(parse(current, spec, self.run_id, self.load_date))
        for run_id, load_date in sorted(self.waiting.get(spec.source, ()), key=lambda f: (f[0], f[1] or "")):
            earlier = bronze.read_run(self.spark, self.root, spec.source, run_id, load_date)  # None: every date
            if earlier is None:
                continue
            keys = self.open_rows.filter(
                (F.col("source_table") == spec.source)
                & (F.col("run_id") == run_id)
                & F.col("load_date").eqNullSafe(F.lit(load_date).cast("string"))
                & F.col("is_retryable")
            ).select(F.col("business_key").alias("_business_key"))
            parts.append(parse(earlier, spec, run_id, load_date).join(keys.distinct(), "_business_key", "left_semi"))
        return functools.reduce(DataFrame.unionByName, parts) if parts else None

    def _parent_keys(self, spec: TableSpec) -> dict[str, DataFrame]:
        """Per referenced table, its keys in silver (where this run already merged its rows)."""
        parents = {}
        for ref in spec.references:
            parent = BY_SOURCE[ref.parent]
            path = lake.silver(self.root, parent.silver)
            if self.storage.exists(path):
                parents[ref.parent] = self.storage.read(path, columns=list(parent.silver_key))
            else:
                types = [f"{k} {parent.columns[c]}" for k, c in zip(parent.silver_key, parent.key, strict=True)]
                parents[ref.parent] = small_frame(self.spark, [], ", ".join(types))
        return parents

    def _table(self, spec: TableSpec) -> TableResult | None:
        batch = self._batch(spec)
        if batch is None:
            return None
        silver_path = lake.silver(self.root, spec.silver)
        checked = check_batch(batch, spec, self._parent_keys(spec)).cache()
        try:
            counts = checked.agg(
                F.count(F.lit(1)).alias("read"),
                F.count(RULE).alias("rejected"),
                F.count(F.when(passing(), True)).alias("passing"),
            ).first()
            result = TableResult(spec.source, read=counts.read)
            if counts.passing or not self.storage.exists(silver_path):  # (creates the table on a first run)
                whole_table = any(ENRICHERS[name].whole_table for name in spec.enrich)
                current = self.storage.read(silver_path) if whole_table and self.storage.exists(silver_path) else None
                rows = silver_rows(enrich(checked.filter(passing()), spec, current), spec, self.run_id, self.started_at)
                result.upserted = self.storage.upsert(
                    silver_path, rows, list(spec.silver_key), version_column=spec.silver_version
                )
            rejected = quarantine_rows(checked.filter(F.col(RULE).isNotNull()), spec, self.run_id, self.started_at)
            with self.quarantine_lock:
                if counts.rejected:
                    result.quarantined = self.storage.upsert(
                        self.quarantine_path, rejected, list(QUARANTINE.identity), when_matched="ignore"
                    )
                if result.quarantined or spec.source in self.open_tables:
                    result.resolved = self._resolve(spec, rejected, silver_path)
        finally:
            checked.unpersist()
        return result

    def _resolve(self, spec: TableSpec, rejected: DataFrame, silver_path: str) -> int:
        """Mark open quarantine rows of this table resolved when their key is in silver at >= their version."""
        candidates = rejected if self.open_rows is None else self.open_rows.unionByName(rejected)
        candidates = candidates.dropDuplicates(list(QUARANTINE.identity))
        silver = self.storage.read(silver_path, columns=[*spec.silver_key, spec.silver_version])
        resolved = resolutions(candidates, silver, spec, self.run_id)
        return self.storage.upsert(
            self.quarantine_path, resolved, list(QUARANTINE.identity), compare_columns=["resolved_run_id"]
        )

    def _ensure_quarantine(self) -> None:
        """`_quarantine` exists after every run, empty when nothing was ever rejected."""
        self.storage.create(self.quarantine_path, struct_type(QUARANTINE.schema))


def run_silver(
    spark: SparkSession,
    storage: Storage,
    root: str,
    run_id: str,
    *,
    started_at: datetime | None = None,
    log: Callable[[str], None] = print,
    load_date: str | None = None,
) -> SilverSummary:
    """Bronze of run `run_id` (under `load_date` when given) -> silver upserts + quarantine (and retries of
    rows that wait, wherever their bronze is)."""
    return SilverJob(spark, storage, root, run_id, started_at, log, load_date).run()
