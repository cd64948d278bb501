"""Local stand-ins for the factory's linked services: the source database, the lake, Databricks.

In Azure the same pipeline JSON reaches SQL Server through the self-hosted runtime, ADLS Gen2 through
the factory's identity and Databricks jobs by id; here each is bound to a local engine.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from importlib.metadata import EntryPoints, PackageNotFoundError, distribution, version
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from insights.local.atomic import write_atomically
from insights.local.source.db import connect

JOBS_DISTRIBUTION = "insights-jobs"
POINT_IN_TIME = re.compile(r"'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?'")  # a T-SQL literal, quotes included
STAND_IN = re.compile(r"'0001-01-01T00:00:00\.(\d{7})'")  # what Translations keeps in a point in time's place


class BindingError(RuntimeError):
    """A linked service, dataset or job the local platform cannot bind."""


def _adf_arrow_type(arrow_type: pa.DataType) -> pa.DataType:
    """The type ADF's interim type system writes to Parquet (unsigned bytes widen, as SQL tinyint does)."""
    widen = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64()}
    return widen.get(arrow_type, arrow_type)


class Translations:
    """T-SQL to DuckDB SQL with sqlglot, kept in a file from one run to the next.

    A daily run sends the source the queries of the run before (the schema check, each table's watermark
    lookup), and translating them is most of a run with nothing to extract: importing sqlglot and building
    its two dialects. A literal point in time (a watermark) is data, so a translation is kept with each one
    as a stand-in, and applies to every query that differs only there. The file holds the last run's
    translations under sqlglot's version; one that cannot be read is translated again.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._kept = self._read()
        self._used: dict[str, str] = {}  # this run's, saved for the next (the source's threads share it)

    def to_duckdb(self, tsql: str) -> str:
        values = POINT_IN_TIME.findall(tsql)
        order = iter(range(len(values)))
        template = POINT_IN_TIME.sub(lambda _: _stand_in(next(order)), tsql)
        text = self._kept.get(template)
        if text is None or not _keeps_stand_ins(text, len(values)):
            text = _transpiled(template)
            if not (_keeps_stand_ins(template, len(values)) and _keeps_stand_ins(text, len(values))):
                return _transpiled(tsql)  # a stand-in did not come through as itself: this query is not kept
        self._used[template] = text
        return STAND_IN.sub(lambda found: values[int(found[1])], text)  # one pass: a value is never read again

    def save(self) -> None:
        """Keep this run's translations in place of the last run's."""
        if self.path is None or self._used == self._kept:
            return
        text = json.dumps({"sqlglot": version("sqlglot"), "queries": self._used}, indent=1)
        with suppress(OSError):  # a lake this user cannot write to: the next run translates again
            write_atomically(self.path, lambda path: path.write_text(text, encoding="utf-8"))

    def _read(self) -> dict[str, str]:
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8")) if self.path else None
        except (OSError, ValueError):
            return {}  # none yet, or unreadable
        if not isinstance(kept, dict) or kept.get("sqlglot") != version("sqlglot"):
            return {}
        queries = kept.get("queries")
        if not isinstance(queries, dict) or not all(isinstance(text, str) for text in queries.values()):
            return {}
        return queries


def _stand_in(index: int) -> str:
    return f"'0001-01-01T00:00:00.{index:07d}'"


def _keeps_stand_ins(text: str, count: int) -> bool:
    """Whether each of the first `count` stand-ins is in `text` once, and no other."""
    return sorted(STAND_IN.findall(text)) == [f"{index:07d}" for index in range(count)]


def _transpiled(tsql: str) -> str:
    import sqlglot  # here: a run that asks only the queries of the last one never imports it

    try:
        return sqlglot.transpile(tsql, read="tsql", write="duckdb")[0]
    except sqlglot.errors.ParseError as error:
        raise BindingError(f"not valid T-SQL: {error}\n{tsql}") from None


@dataclass
class SqlServerSource:
    """`ls_sqlserver_source`: T-SQL translated with sqlglot and run on the DuckDB stand-in."""

    database: Path
    translations: Translations = field(default_factory=Translations)
    # Opened once for many queries (opening the file costs more than a watermark lookup), under a lock: the
    # extract's threads share it
    _connection: duckdb.DuckDBPyConnection | None = field(default=None, init=False, repr=False)
    _opening: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _open(self) -> duckdb.DuckDBPyConnection:
        with self._opening:
            if self._connection is None:
                self._connection = connect(self.database, read_only=True)
            return self._connection

    def release(self) -> None:
        """Close the file (a later query opens it again): while it is open, no other process can write it."""
        with self._opening:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def query(self, tsql: str, batch_size: int = 256_000) -> pa.RecordBatchReader:
        """Run a query and stream the rows in ADF's interim types (uniqueidentifier arrives as text)."""
        cursor = self._open().cursor()  # a connection of its own for each thread's query
        reader = cursor.sql(self.translations.to_duckdb(tsql)).to_arrow_reader(batch_size=batch_size)
        schema = pa.schema([column.with_type(_adf_arrow_type(column.type)) for column in reader.schema])
        if schema == reader.schema:
            return reader
        return pa.RecordBatchReader.from_batches(schema, (batch.cast(schema) for batch in reader))


@dataclass(frozen=True)
class Lake:
    """`ls_lake`: an ADLS Gen2 account whose containers are folders under one root."""

    root: Path

    def path(self, location: dict) -> Path:
        if location.get("type") != "AzureBlobFSLocation":
            raise BindingError(f"location type {location.get('type')!r} is not bound locally (AzureBlobFSLocation is)")
        parts = [location.get("fileSystem") or "", location.get("folderPath") or "", location.get("fileName") or ""]
        path = self.root.joinpath(*[part.strip("/") for part in parts if part])
        if self.root.resolve() not in (path.resolve(), *path.resolve().parents):
            raise BindingError(f"location {location} leaves the lake")
        return path


@dataclass
class LocalJobs:
    """`ls_databricks`: a job id is the name of a console script of the jobs wheel, run in this process.

    Job parameters become named parameters (`run_id` -> `--run-id`), as the jobs' python_wheel_task
    passes them on Databricks. `session` is handed to the job, which calls it only when it has work: local
    Spark starts when a job needs it, not for a run with nothing to do.
    """

    session: Callable[[], Any] | None = None

    def run(self, job_id: str, parameters: dict[str, Any]) -> Any:
        try:  # the wheel's own entry points: not every installed distribution's
            found = distribution(JOBS_DISTRIBUTION).entry_points
        except PackageNotFoundError:
            found = EntryPoints()
        scripts = found.select(group="console_scripts", name=job_id)
        if not scripts:
            raise BindingError(f"job {job_id!r} is not an entry point of the {JOBS_DISTRIBUTION} wheel")
        argv = [arg for key, value in parameters.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
        return next(iter(scripts)).load()(argv, session=self.session)
