"""`import_csv`: the real AdventureWorksLT rows, from a CSV export, into a SalesLT source.

The export has one `SalesLT.<Table>.csv` per table: UTF-8 with a byte-order mark, a header row, the
text NULL for SQL NULL, timestamps as `YYYY-MM-DD hh:mm:ss.fff` and varbinary as `0x...` hex. Every
value is read as text and cast to the schema's type, so a value that does not fit fails loudly,
naming its file and column, instead of turning silently into NULL. Computed columns are not in the
export; the schema's generated columns add them.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import duckdb

from insights.local.source.db import ProgressFn, SourceError, SourceStats, new_database, no_progress
from insights.local.source.schema import TABLES, all_columns, create_schema, qualified, stored_columns, table_counts


class CsvImportError(SourceError):
    """The folder is not an AdventureWorksLT CSV export, or one of its values does not fit the schema."""


def csv_file(csv_dir: Path, table: str) -> Path:
    return csv_dir / f"SalesLT.{table}.csv"


def read_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise CsvImportError(f"{path.name} is empty: expected a header row with the column names")
    return [h.strip() for h in header]


def check_export(csv_dir: Path) -> dict[str, list[str]]:
    """The header of every table's file; raises naming each missing file or column."""
    if not csv_dir.is_dir():
        raise CsvImportError(f"{csv_dir} is not a folder")
    missing = [csv_file(csv_dir, t).name for t in TABLES if not csv_file(csv_dir, t).is_file()]
    if missing:
        raise CsvImportError(f"{csv_dir} is not an AdventureWorksLT CSV export: missing {', '.join(missing)}")
    headers = {}
    problems = []
    for table in TABLES:
        path = csv_file(csv_dir, table)
        header = read_header(path)
        known = {c.lower() for c in all_columns(table)}
        lacking = [c for c in stored_columns(table) if c.lower() not in {h.lower() for h in header}]
        unknown = [h for h in header if h.lower() not in known]
        if lacking:
            problems.append(f"{path.name} lacks column(s) {', '.join(lacking)}")
        if unknown:
            problems.append(f"{path.name} has unknown column(s) {', '.join(unknown)}")
        headers[table] = header
    if problems:
        raise CsvImportError(f"{csv_dir} does not match the SalesLT schema: " + "; ".join(problems))
    return headers


def _cast(column: str, duck_type: str) -> str:
    if duck_type == "BLOB":  # 0x-prefixed hex, as SQL Server exports varbinary
        return f"unhex(regexp_replace(\"{column}\", '^0[xX]', ''))"
    return f'CAST("{column}" AS {duck_type})'


def _bad_column(con: duckdb.DuckDBPyConnection, source: str, table: str) -> str:
    """The first column with a value that does not convert, and that value, for the error message."""
    for col in TABLES[table]:
        if col.computed or col.duckdb == "BLOB":
            continue
        bad = con.execute(
            f'SELECT "{col.name}" FROM {source} WHERE "{col.name}" IS NOT NULL '
            f'AND TRY_CAST("{col.name}" AS {col.duckdb}) IS NULL LIMIT 1'
        ).fetchall()
        if bad:
            return f"column {col.name}: {bad[0][0]!r} is not a valid {col.sql_server}"
    return "a value does not fit the schema"


def import_csv(
    csv_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    progress: ProgressFn | None = None,
    overwrite: bool = False,
) -> SourceStats:
    """Load an AdventureWorksLT CSV export (`SalesLT.<Table>.csv` files) into a new source `out`."""
    csv_dir = Path(csv_dir)
    progress = progress or no_progress
    check_export(csv_dir)
    started = time.perf_counter()
    with new_database(out, overwrite) as con:
        create_schema(con)
        for i, table in enumerate(TABLES):
            path = csv_file(csv_dir, table)
            progress(table, i, len(TABLES))
            source = (
                f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', header = true, all_varchar = true, "
                "delim = ',', quote = '\"', escape = '\"', nullstr = 'NULL', encoding = 'utf-8')"
            )
            cols = [c for c in TABLES[table] if c.computed is None]
            select = ", ".join(_cast(c.name, c.duckdb) for c in cols)
            target = ", ".join(f'"{c.name}"' for c in cols)
            try:
                con.execute(f"INSERT INTO {qualified(table)} ({target}) SELECT {select} FROM {source}")
            except duckdb.ConversionException as exc:
                raise CsvImportError(f"{path.name}: {_bad_column(con, source, table)} ({exc})") from exc
            except duckdb.Error as exc:
                raise CsvImportError(f"{path.name} could not be read as CSV: {exc}") from exc
        progress("done", len(TABLES), len(TABLES))
        rows = table_counts(con)
    return SourceStats(Path(out), rows, time.perf_counter() - started)
