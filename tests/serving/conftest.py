"""Fixtures for the serving layer's tests: gold tables written by the tests themselves (tests/support/gold.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gold import write_gold


@pytest.fixture
def gold_lake(tmp_path: Path) -> Path:
    """A lake whose gold holds the hand-made SMALL set."""
    return write_gold(tmp_path / "lake")
