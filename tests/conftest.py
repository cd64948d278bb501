"""Fixtures shared by every test: one local Spark session for the whole run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SHARED_DATA


@pytest.fixture(scope="session")
def spark():
    from insights.local.spark import local_spark

    session = local_spark()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def adventureworks_csv_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the real AdventureWorksLT rows are expected at {SHARED_DATA}")
    return SHARED_DATA
