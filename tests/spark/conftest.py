"""Fixtures for the medallion job tests: a lake folder per test, the storage seam, table readers.

Every test runs on the one session-scoped `spark` fixture of tests/conftest.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deltalake import DeltaTable

from insights_jobs.gold.job import run_gold
from insights_jobs.silver.job import run_silver
from insights_jobs.storage import LocalDelta

pytestmark = pytest.mark.spark


class Lake:
    """A lake folder and the jobs run against it, with readers for its Delta tables."""

    def __init__(self, spark, root: Path) -> None:
        self.spark, self.root = spark, root
        self.storage = LocalDelta(spark)

    def silver(self, run_id: str, load_date: str | None = None):
        return run_silver(self.spark, self.storage, str(self.root), run_id, log=lambda _: None, load_date=load_date)

    def gold(self, run_id: str = "gold"):
        return run_gold(self.spark, self.storage, str(self.root), run_id, log=lambda _: None)

    def path(self, layer: str, table: str) -> Path:
        return self.root / layer / table

    def exists(self, layer: str, table: str) -> bool:
        return DeltaTable.is_deltatable(str(self.path(layer, table)))

    def rows(self, layer: str, table: str) -> list[dict]:
        return DeltaTable(str(self.path(layer, table))).to_pyarrow_table().to_pylist()

    def by_key(self, layer: str, table: str, *key: str) -> dict:
        return {tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]: r for r in self.rows(layer, table)}

    def quarantine(self) -> list[dict]:
        return self.rows("silver", "_quarantine") if self.exists("silver", "_quarantine") else []

    def open_quarantine(self, table: str | None = None) -> list[dict]:
        return [
            q for q in self.quarantine()
            if q["resolved_run_id"] is None and (table is None or q["source_table"] == table)
        ]  # fmt: skip

    def version(self, layer: str, table: str) -> int:
        return DeltaTable(str(self.path(layer, table))).version()


@pytest.fixture
def lake(spark, tmp_path) -> Lake:
    return Lake(spark, tmp_path / "lake")


@pytest.fixture(scope="session")
def make_lake(spark):
    """For module-scoped scenarios: `make_lake(folder)`."""
    return lambda folder: Lake(spark, Path(folder))


def payload(row: dict) -> dict:
    return json.loads(row["payload"])
