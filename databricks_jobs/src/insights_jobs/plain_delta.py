"""Read a plain Delta table's columns with pyarrow's Parquet reader: no Spark and no pandas.

A plain table (reader version 1, no partition columns) is exactly the data files of its current snapshot,
so reading those files is reading the table. This is what a command with little to do can afford:
`DeltaTable.to_pyarrow_table` goes through `pyarrow.dataset`, which imports pandas, and that import costs
more than the reads (the idle checks, the lake check, loading gold for the KPIs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa


def plain_rows(path: str, columns: list[str] | None = None) -> pa.Table | None:
    """The table's columns, timestamps as naive UTC and strings plain; None when there is no table or it is
    not plain (partitions, deletion vectors, column mapping)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    if not DeltaTable.is_deltatable(path):
        return None
    table = DeltaTable(path)
    if table.protocol().min_reader_version != 1 or table.metadata().partition_columns:
        return None
    parts = [pq.ParquetFile(uri.removeprefix("file://")).read(columns=columns) for uri in table.file_uris()]
    if not parts:
        empty = pa.Table.from_batches([], schema=_plain(pa.schema(table.schema())))  # (empty_table imports pandas)
        return empty.select(columns) if columns else empty
    return pa.concat_tables([part.cast(_plain(part.schema)) for part in parts], promote_options="default")


def read_rows(path: str, columns: list[str] | None = None) -> pa.Table:
    """The table's columns: as `plain_rows` when the table is plain, else through deltalake's reader."""
    rows = plain_rows(path, columns)
    if rows is None:
        from deltalake import DeltaTable

        rows = DeltaTable(path).to_pyarrow_table(columns=columns)
    return rows


def _plain(schema: pa.Schema) -> pa.Schema:
    """One type per column whoever wrote the file: strings plain (delta-rs's MERGE writes view strings, Spark's
    Arrow plain ones), timestamps naive UTC."""
    import pyarrow as pa

    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_string_view(t) or pa.types.is_large_string(t):
            return pa.string()
        return pa.timestamp(t.unit) if pa.types.is_timestamp(t) and t.tz else t

    return pa.schema([f.with_type(plain(f.type)) for f in schema])
