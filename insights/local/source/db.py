"""Opening, writing and filling source database files, shared by generate, import-csv and advance.

A new source is built in a temporary file beside its target and renamed into place only when
complete, so a crash or a Ctrl-C never leaves a half-written source under the target name.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source.schema import missing_tables, qualified, stored_columns

ProgressFn = Callable[[str, int, int], None]
"""progress(what, done, total): called as work advances (units are rows, or steps for advance)."""


def no_progress(what: str, done: int, total: int) -> None:
    """The default progress callback: report nothing."""


@dataclass
class SourceStats:
    """What a command built: rows per table, seconds spent, and what it injected or changed."""

    path: Path
    rows: dict[str, int]
    seconds: float
    dirty: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class SourceError(RuntimeError):
    """A source file that cannot be used as asked (missing, not a SalesLT source, already there)."""


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """No DuckDB progress bar of its own: the commands draw theirs."""
    con.execute("SET enable_progress_bar = false")


@contextlib.contextmanager
def new_database(out: str | os.PathLike[str], overwrite: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh database that becomes `out` only if the block completes."""
    out = Path(out)
    if out.is_dir():
        raise SourceError(f"{out} is a directory, not a database file")
    if out.exists() and not overwrite:
        raise SourceError(f"{out} already exists (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    _remove(tmp)
    con = duckdb.connect(str(tmp))
    quiet(con)
    try:
        yield con
        con.execute("CHECKPOINT")
        con.close()
        _remove(out.with_name(out.name + ".wal"))  # a stale log must never be replayed into the new file
        os.replace(tmp, out)
    except BaseException:
        con.close()
        _remove(tmp)
        raise


DUCKDB_MAGIC = (8, b"DUCK")  # a DuckDB file's main header: an 8-byte checksum, then these bytes
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")


def connect(path: str | os.PathLike[str], *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open an existing source file; why it cannot be opened, in one line a person can act on."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"source database {path} does not exist (create one with `insights source generate`)")
    if not path.is_file():
        raise SourceError(f"source database {path} is a folder, not a DuckDB file")
    with path.open("rb") as file:
        # checked before DuckDB sees the file: it opens some names (`*.csv`) as something else
        is_duckdb = file.read(len(DUCKDB_MAGIC[1]) + DUCKDB_MAGIC[0])[DUCKDB_MAGIC[0] :] == DUCKDB_MAGIC[1]
    if not is_duckdb:
        raise SourceError(
            f"source database {path} is not a DuckDB database (create one with `insights source generate`)"
        )
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc)
        holder = _LOCK_HOLDER.search(text)
        if holder or "Could not set lock" in text:
            who = f"process {holder.group(2)} ({holder.group(1)})" if holder else "another process"
            raise SourceError(
                f"source database {path} is locked by {who}, which has it open for writing: "
                "let it finish or stop it, then run again"
            ) from None
        raise SourceError(f"cannot open source database {path}: {text.splitlines()[0]}") from None


def open_source(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Open an existing source for reading and writing, after checking it has the SalesLT tables."""
    path = Path(path)
    con = connect(path)
    quiet(con)
    missing = missing_tables(con)
    if missing:
        con.close()
        raise SourceError(f"{path} is not a SalesLT source: missing table(s) {', '.join(missing)}")
    return con


def insert_arrow(
    con: duckdb.DuckDBPyConnection,
    table: str,
    data: pa.Table,
    exprs: Mapping[str, str] | None = None,
    params: Mapping[str, object] | None = None,
) -> None:
    """INSERT the rows of an Arrow table; `exprs` gives SQL (over the Arrow columns) for some columns.

    A stored column without an expression is taken from the Arrow column of the same name.
    """
    exprs = dict(exprs or {})
    cols = stored_columns(table)
    select = ", ".join(exprs.pop(c, f'"{c}"') + f' AS "{c}"' for c in cols)
    if exprs:
        raise KeyError(f"expressions for columns {table} does not store: {sorted(exprs)}")
    name = "_chunk"
    con.register(name, data)
    try:
        target = ", ".join(f'"{c}"' for c in cols)
        con.execute(f"INSERT INTO {qualified(table)} ({target}) SELECT {select} FROM {name}", dict(params or {}))
    finally:
        con.unregister(name)


def uuids(rng: np.random.Generator, n: int) -> pa.ExtensionArray:
    """n random (version 4) UUIDs from a seeded generator, as Arrow's uuid type (DuckDB reads UUID)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(raw.tobytes())])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def timestamps(values: np.ndarray) -> pa.Array:
    """Arrow timestamps (microseconds) from numpy datetime64 values; NaT becomes NULL."""
    return pa.array(values.astype("datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)


def scaled(column: str, scale: int = 4, target: str = "DECIMAL(19,4)") -> str:
    """SQL turning an integer column of 10**-scale units into a decimal type, exactly."""
    return f'CAST("{column}" * {10.0**-scale:.{scale}f} AS {target})'
