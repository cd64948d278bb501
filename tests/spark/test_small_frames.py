"""`small_frame` against `createDataFrame`, the PySpark call it stands in for: same schema, same rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from insights_jobs.gold.job import STATE_SCHEMA
from insights_jobs.small_frames import small_frame

pytestmark = pytest.mark.spark

SCHEMA = f"{STATE_SCHEMA}, amount decimal(19,4), lines int"
ROWS = [
    ("sales_order_header", datetime(2024, 3, 1, 8, 30, 0, 123456), date(2023, 1, 1), date(2025, 12, 31), "r1",
     datetime(2026, 12, 7, 6, 0), False, Decimal("1234.5678"), 7),
    ("customer", None, None, None, "r1", datetime(2026, 12, 7, 6, 0), True, None, None),
    ("it's", datetime(1900, 1, 1), date(2100, 1, 1), None, "", datetime(2026, 12, 7, 6, 0, 0, 1), None,
     Decimal("-0.0001"), -2147483648),
]  # fmt: skip


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], []], ids=["several", "one", "none"])
def test_a_small_frame_is_what_create_data_frame_makes_of_the_same_rows(spark, rows) -> None:
    expected = spark.createDataFrame(rows, SCHEMA)
    frame = small_frame(spark, rows, SCHEMA)
    assert frame.schema == expected.schema  # every column nullable, as the DDL declares
    assert frame.collect() == expected.collect()
