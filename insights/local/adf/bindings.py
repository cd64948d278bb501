"""Local stand-ins for the factory's linked services: the source database, the lake, Databricks.

In Azure the same pipeline JSON reaches SQL Server through the self-hosted runtime, ADLS Gen2 through
the factory's identity and Databricks jobs by id; here each is bound to a local engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot

from insights.local.source.db import connect

JOBS_DISTRIBUTION = "insights-jobs"


class BindingError(RuntimeError):
    """A linked service, dataset or job the local platform cannot bind."""


def _adf_arrow_type(arrow_type: pa.DataType) -> pa.DataType:
    """The type ADF's interim type system writes to Parquet (unsigned bytes widen, as SQL tinyint does)."""
    widen = {pa.uint8(): pa.int16(), pa.uint16(): pa.int32(), pa.uint32(): pa.int64()}
    return widen.get(arrow_type, arrow_type)


@dataclass(frozen=True)
class SqlServerSource:
    """`ls_sqlserver_source`: T-SQL translated with sqlglot and run on the DuckDB stand-in."""

    database: Path

    def translate(self, tsql: str) -> str:
        try:
            return sqlglot.transpile(tsql, read="tsql", write="duckdb")[0]
        except sqlglot.errors.ParseError as error:
            raise BindingError(f"not valid T-SQL: {error}\n{tsql}") from None

    def query(self, tsql: str, batch_size: int = 256_000) -> pa.RecordBatchReader:
        """Run a query and stream the rows in ADF's interim types (uniqueidentifier arrives as text)."""
        connection = connect(self.database, read_only=True)
        reader = connection.sql(self.translate(tsql)).to_arrow_reader(batch_size=batch_size)
        schema = pa.schema([field.with_type(_adf_arrow_type(field.type)) for field in reader.schema])
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
        scripts = [
            script
            for script in entry_points(group="console_scripts", name=job_id)
            if script.dist is not None and script.dist.name == JOBS_DISTRIBUTION
        ]
        if not scripts:
            raise BindingError(f"job {job_id!r} is not an entry point of the {JOBS_DISTRIBUTION} wheel")
        argv = [arg for key, value in parameters.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
        return scripts[0].load()(argv, session=self.session)
