"""Proof, without Spark, that a job has nothing to do: a daily run with no changes then starts no Spark.

Each check reads only Delta logs (`deltalake`), a few columns of small Parquet files, the bounds silver's
Parquet footers record (`plain_delta`: no pandas, whose import costs more than the whole check) and the
lake folder's listing. It answers True only when the job, run, would read nothing and write nothing.
Anything it cannot prove (a lake URL rather than a folder, no `deltalake` installed, a table missing or not
plain, a state `writing`, a quarantined row that waits, a file without bounds) answers False, and the job
runs as usual.
"""

from __future__ import annotations

import glob

from insights_jobs import lake
from insights_jobs.contract import QUARANTINE, TABLES
from insights_jobs.plain_delta import plain_rows, timestamp_bounds


def _local(root: str) -> bool:
    """Only a lake folder can be listed here (an `abfss://` lake is the cluster's to read)."""
    if "://" in root:
        return False
    try:
        import deltalake  # noqa: F401  (the local extra)
    except ImportError:
        return False
    return True


def silver_is_idle(root: str, run_id: str, load_date: str | None) -> bool:
    """True when run `run_id` extracted no bronze file, no quarantined row waits for a retry, and
    `_quarantine` exists with every contract column (the silver job would read, create and write nothing)."""
    if not _local(root):
        return False
    if any(glob.glob(lake.bronze_run_glob(root, spec.source, [run_id], load_date)) for spec in TABLES):
        return False
    from deltalake import DeltaTable

    path = lake.quarantine(root)
    if not DeltaTable.is_deltatable(path):
        return False
    quarantine = DeltaTable(path)
    if not set(QUARANTINE.names) <= {f.name for f in quarantine.schema().fields}:
        return False  # an older quarantine gains its new columns in a run
    rows = plain_rows(quarantine, ["resolved_run_id", "is_retryable", "run_id"])
    return rows is not None and not any(
        row["resolved_run_id"] is None and row["is_retryable"] and row["run_id"] != run_id for row in rows.to_pylist()
    )


def gold_is_idle(root: str) -> bool:
    """True when every gold table exists, the state is not `writing`, and silver's marks and order-date range
    equal the state's (the gold job would find no change and write nothing)."""
    if not _local(root):
        return False
    from deltalake import DeltaTable

    from insights_jobs.gold import GOLD_TABLES, SOURCES

    if not all(DeltaTable.is_deltatable(lake.gold(root, t)) for t in GOLD_TABLES):
        return False
    state = plain_rows(lake.gold_state(root))
    if state is None:
        return False
    before = {row["silver_table"]: row for row in state.to_pylist()}
    if any(row.get("writing") for row in before.values()):  # (a state older than the column: not writing)
        return False
    for table in SOURCES:
        consumed = before.get(table, {})
        header = table == "sales_order_header"
        columns = ["_updated_at", "order_date"] if header else ["_updated_at"]
        bounds = timestamp_bounds(lake.silver(root, table), columns)
        if bounds is None or bounds["_updated_at"][1] != consumed.get("consumed_until"):
            return False
        if header:
            dates = tuple(None if d is None else d.date() for d in bounds["order_date"])
            if dates != (consumed.get("first_order_date"), consumed.get("last_order_date")):
                return False
    return True
