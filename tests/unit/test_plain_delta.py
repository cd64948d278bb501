"""`timestamp_bounds`: timestamp columns' earliest and latest values from the Parquet footers of a Delta table
written by delta-rs (as the local seam writes silver), against the values written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
from deltalake import ColumnProperties, WriterProperties, write_deltalake

from insights_jobs.plain_delta import timestamp_bounds

ZONED = pa.timestamp("us", tz="UTC")


def written(path: Path, values: list[datetime | None], **options) -> None:
    write_deltalake(
        str(path), pa.table({"id": range(len(values)), "at": pa.array(values, ZONED)}), mode="append", **options
    )


def naive(values: list[datetime | None]) -> list[datetime]:
    return [v.astimezone(UTC).replace(tzinfo=None) for v in values if v is not None]


def test_bounds_span_every_file_leave_nulls_out_and_read_as_naive_utc(tmp_path: Path) -> None:
    first = [datetime(2024, 3, 1, 8, 30, 0, 123456, tzinfo=UTC), None, datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)]
    second = [None, datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)]
    written(tmp_path / "t", first)
    written(tmp_path / "t", second, writer_properties=WriterProperties(max_row_group_size=1))  # a group per row
    values = naive(first + second)
    assert timestamp_bounds(str(tmp_path / "t"), ["at"]) == {"at": (min(values), max(values))}


def test_a_file_written_before_the_column_counts_as_nulls(tmp_path: Path) -> None:
    write_deltalake(str(tmp_path / "t"), pa.table({"id": [1, 2]}))
    later = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in (5, 1, 3)]
    written(tmp_path / "t", later, schema_mode="merge")
    assert timestamp_bounds(str(tmp_path / "t"), ["at"]) == {"at": (min(naive(later)), max(naive(later)))}


def test_without_a_value_the_bounds_are_none(tmp_path: Path) -> None:
    written(tmp_path / "nulls", [None, None])
    write_deltalake(str(tmp_path / "empty"), pa.table({"id": pa.array([], pa.int64()), "at": pa.array([], ZONED)}))
    assert timestamp_bounds(str(tmp_path / "nulls"), ["at"]) == {"at": (None, None)}
    assert timestamp_bounds(str(tmp_path / "empty"), ["at"]) == {"at": (None, None)}


def test_what_the_footers_cannot_prove_is_none(tmp_path: Path) -> None:
    no_statistics = WriterProperties(column_properties={"at": ColumnProperties(statistics_enabled="NONE")})
    written(tmp_path / "unrecorded", [datetime(2024, 1, 1, tzinfo=UTC)], writer_properties=no_statistics)
    naive_time = pa.table({"at": pa.array([datetime(2024, 1, 1)], pa.timestamp("us"))})
    write_deltalake(str(tmp_path / "reader-features"), naive_time)  # timestampNtz: not a plain table
    assert timestamp_bounds(str(tmp_path / "unrecorded"), ["at"]) is None
    assert timestamp_bounds(str(tmp_path / "reader-features"), ["at"]) is None
    assert timestamp_bounds(str(tmp_path / "no-table"), ["at"]) is None
