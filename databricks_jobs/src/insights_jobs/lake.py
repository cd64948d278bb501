"""Paths inside the lake, joined with '/' whatever the platform.

The lake root is either one folder (or container) holding the layers as folders
(`/data/lake` -> `/data/lake/silver/customer`), or a URL template with one container per layer
(`abfss://{layer}@account.dfs.core.windows.net` -> `abfss://silver@account.dfs.core.windows.net/customer`).
"""

from __future__ import annotations

from insights_jobs.contract import SOURCE_SCHEMA


def join(base: str, *parts: str) -> str:
    """Join a path or URL and parts with '/'."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts if p.strip("/"))])


def layer(root: str, name: str) -> str:
    """Where a layer (`bronze`, `silver`, `gold`, `control`) lives under the lake root."""
    return root.replace("{layer}", name).rstrip("/") if "{layer}" in root else join(root, name)


def bronze_run_glob(root: str, source_table: str, run_ids: list[str], load_date: str | None = None) -> str:
    """Glob of the bronze Parquet files that one or more runs extracted for a table.

    With the runs' load date the glob names one folder; without it, it matches any load date, which costs
    one listing per `load_date=` folder on an object store (docs/jobs.md, "the bronze glob").
    """
    runs = run_ids[0] if len(run_ids) == 1 else "{" + ",".join(run_ids) + "}"
    dates = f"load_date={load_date or '*'}"
    return join(layer(root, "bronze"), SOURCE_SCHEMA, source_table, dates, f"run_id={runs}", "*.parquet")


def silver(root: str, table: str) -> str:
    return join(layer(root, "silver"), table)


def quarantine(root: str) -> str:
    return join(layer(root, "silver"), "_quarantine")


def gold(root: str, table: str) -> str:
    return join(layer(root, "gold"), table)


def gold_state(root: str) -> str:
    return join(layer(root, "control"), "gold_state")
