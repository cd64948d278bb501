"""The kill suite's seed: random per session unless `INSIGHTS_FAULT_SEED` gives one; printed in the header."""

from __future__ import annotations

import os
import random

import pytest

FAULT_SEED = int(os.environ.get("INSIGHTS_FAULT_SEED") or random.SystemRandom().randrange(1, 10**6))


def pytest_report_header(config) -> str:
    return f"kill suite seed: {FAULT_SEED} (replay with INSIGHTS_FAULT_SEED={FAULT_SEED})"


@pytest.fixture(scope="session")
def fault_seed() -> int:
    return FAULT_SEED
