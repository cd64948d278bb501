"""Read a plain Delta table's columns with pyarrow's Parquet reader: no Spark and no pandas.

A plain table (reader version 1, no partition columns) is exactly the data files of its current snapshot,
so reading those files is reading the table. This is what a command with little to do can afford:
`DeltaTable.to_pyarrow_table` goes through `pyarrow.dataset`, which imports pandas, and that import costs
more than the reads (the idle checks, the lake check, loading gold for the KPIs).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

if TYPE_CHECKING:
    import pyarrow as pa
    from deltalake import DeltaTable

EPOCH = datetime(1970, 1, 1)  # where a Parquet timestamp counts from (in UTC)


def data_files(table: DeltaTable) -> list[str]:
    """The local paths of the snapshot's data files (deltalake gives them as percent-encoded URIs)."""
    return [unquote(urlparse(uri).path) for uri in table.file_uris()]


def plain_rows(source: str | DeltaTable, columns: list[str] | None = None) -> pa.Table | None:
    """The table's columns (all by default) typed as its Delta schema says, timestamps as naive UTC and
    strings plain; a column a file lacks reads as NULL. None when there is no table at the path, or it is
    not plain (partitions, deletion vectors, column mapping)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = _plain_table(source)
    if source is None:
        return None
    schema = _plain(pa.schema(source.schema()))
    target = pa.schema([schema.field(name) for name in columns]) if columns else schema  # KeyError: no column
    parts = []
    for path in data_files(source):
        part = pq.ParquetFile(path).read(columns=target.names)  # (a column the file lacks is left out)
        for field in target:
            if field.name not in part.column_names:
                part = part.append_column(field, pa.nulls(part.num_rows, field.type))
        parts.append(part.select(target.names).cast(target))
    return pa.concat_tables(parts) if parts else pa.Table.from_batches([], schema=target)


def timestamp_bounds(
    source: str | DeltaTable, columns: list[str]
) -> dict[str, tuple[datetime | None, datetime | None]] | None:
    """Per timestamp column, its earliest and latest value as naive UTC, from the statistics in the Parquet
    footers of the table's files: no value is read, and no pandas imported (which pyarrow needs to box a
    zoned statistic, so the raw microseconds are read instead). NULLs are left out, as by MIN and MAX;
    (None, None) without a value. None when there is no plain table at the path, or a file holds values
    without recorded bounds, or not in microseconds (Delta's timestamps)."""
    import pyarrow.parquet as pq

    table = _plain_table(source)
    if table is None:
        return None
    raw: dict[str, list[int]] = {column: [] for column in columns}
    for path in data_files(table):
        footer = pq.read_metadata(path)
        leaves = [footer.schema.column(i).path for i in range(footer.num_columns)]
        for column in columns:
            if column not in leaves:
                continue  # a file written before the column: NULL there
            index = leaves.index(column)
            if json.loads(footer.schema.column(index).logical_type.to_json()).get("timeUnit") != "microseconds":
                return None
            for group in range(footer.num_row_groups):
                chunk = footer.row_group(group).column(index)
                stats = chunk.statistics
                nulls = stats.null_count if stats is not None and stats.has_null_count else None
                if stats is not None and stats.has_min_max:
                    raw[column] += [stats.min_raw, stats.max_raw]
                elif chunk.num_values and chunk.num_values != nulls:
                    return None  # values, but no bounds recorded for them
    return {
        column: (EPOCH + timedelta(microseconds=min(found)), EPOCH + timedelta(microseconds=max(found)))
        if found
        else (None, None)
        for column, found in raw.items()
    }


def read_rows(source: str | DeltaTable, columns: list[str] | None = None) -> pa.Table:
    """The table's columns: as `plain_rows` when the table is plain, else through deltalake's reader."""
    rows = plain_rows(source, columns)
    if rows is None:
        from deltalake import DeltaTable

        table = source if isinstance(source, DeltaTable) else DeltaTable(source)
        rows = table.to_pyarrow_table(columns=columns)
    return rows


def _plain_table(source: str | DeltaTable) -> DeltaTable | None:
    """The table, if there is one at the path and it is plain."""
    from deltalake import DeltaTable

    if isinstance(source, str):
        if not DeltaTable.is_deltatable(source):
            return None
        source = DeltaTable(source)
    if source.protocol().min_reader_version != 1 or source.metadata().partition_columns:
        return None
    return source


def _plain(schema: pa.Schema) -> pa.Schema:
    """One type per column whoever wrote the file: strings plain (delta-rs's MERGE writes view strings, Spark's
    Arrow plain ones), timestamps naive UTC."""
    import pyarrow as pa

    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_string_view(t) or pa.types.is_large_string(t):
            return pa.string()
        return pa.timestamp(t.unit) if pa.types.is_timestamp(t) and t.tz else t

    return pa.schema([f.with_type(plain(f.type)) for f in schema])
