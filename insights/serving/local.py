"""The serving views of `synapse_views/`, run on DuckDB over a lake folder's gold Delta tables.

Each view file is parsed as T-SQL (`SynapseServerless`); its `OPENROWSET(BULK '<table>/', DATA_SOURCE =
'gold_lake', FORMAT = 'DELTA') WITH (...)` is bound to the local Delta table `<lake>/gold/<table>`: the
data source's location comes from the setup script (`LOCATION = $(goldUrl)`, bound here to
`<lake>/gold`), the table is read into Arrow (`plain_delta`: the snapshot's files, no pandas; DuckDB's
delta extension cannot be downloaded here) and loaded into DuckDB with the view's typed column list, and
the view itself is written out for DuckDB by sqlglot. What Synapse would refuse, this refuses too, with
the table and column named: a missing table or column, a Delta type the `WITH` type does not read, a
table above reader version 1.

The loaded tables are a snapshot (a view that filters or computes is computed once, into a table of its
rows): `LocalViews` reloads them when a Delta table's version changes (checked at most every
`refresh_seconds`), so a dashboard left open shows the next pipeline run's gold.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError
from sqlglot import exp
from sqlglot.errors import ParseError

import synapse_views
from insights.serving import queries
from insights.serving.dialect import OpenRowset, SynapseServerless
from insights.serving.versions import identity
from insights_jobs.plain_delta import read_rows

DATABASE = "serving"
LOADED_SCHEMA = "_openrowset"
ENUM_MIN_ROWS, ENUM_MAX_VALUES = 1_000, 64
BITMAP_MAX_BITS = 1 << 24  # a distinct count over an integer column of this range or less uses a 2 MiB bitmap
DATA_SOURCE_DEF = re.compile(
    r"CREATE\s+EXTERNAL\s+DATA\s+SOURCE\s+\[?(\w+)\]?\s+WITH\s*\(\s*LOCATION\s*=\s*\$\((\w+)\)", re.IGNORECASE
)


class ServingError(Exception):
    """The serving views cannot be read: the message names the view, the table or the column."""


# --- T-SQL types of a WITH clause: the DuckDB type they load as, and the Arrow types they read --------

T = exp.DataType.Type
_TEXT = (T.VARCHAR, T.NVARCHAR, T.CHAR, T.NCHAR, T.TEXT)


def duckdb_type(kind: exp.DataType) -> str:
    """The DuckDB type a serverless `WITH` column type loads as."""
    simple = {
        T.INT: "INTEGER",
        T.BIGINT: "BIGINT",
        T.SMALLINT: "SMALLINT",
        T.BIT: "BOOLEAN",
        T.BOOLEAN: "BOOLEAN",
        T.DATE: "DATE",
        T.DATETIME2: "TIMESTAMP",
        T.DATETIME: "TIMESTAMP",
        T.FLOAT: "DOUBLE",
        T.DOUBLE: "DOUBLE",
    }
    if kind.this in simple:
        return simple[kind.this]
    if kind.this in _TEXT:
        return "VARCHAR"
    if kind.this == T.DECIMAL:
        precision, scale = _decimal_args(kind)
        return f"DECIMAL({precision}, {scale})"
    raise ServingError(f"type {kind.sql(dialect=SynapseServerless)} is not supported in a view's WITH clause")


def _decimal_args(kind: exp.DataType) -> tuple[int, int]:
    args = [int(param.name) for param in kind.expressions]
    precision, scale = (args + [18, 0][len(args) :])[:2]
    return precision, scale


def reads(kind: exp.DataType, arrow_type: pa.DataType) -> bool:
    """Whether serverless reads a Delta column of this Arrow type into this `WITH` type."""
    if kind.this in (T.INT,):
        return pa.types.is_int32(arrow_type)
    if kind.this == T.BIGINT:
        return pa.types.is_int64(arrow_type)
    if kind.this == T.SMALLINT:
        return pa.types.is_int16(arrow_type)
    if kind.this in (T.BIT, T.BOOLEAN):
        return pa.types.is_boolean(arrow_type)
    if kind.this == T.DATE:
        return pa.types.is_date32(arrow_type)
    if kind.this in (T.DATETIME2, T.DATETIME):
        return pa.types.is_timestamp(arrow_type) and arrow_type.tz in (None, "UTC", "+00:00")
    if kind.this in _TEXT:
        return (
            pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type)
            or pa.types.is_string_view(arrow_type)
        )
    if kind.this == T.DECIMAL:
        return pa.types.is_decimal(arrow_type) and (arrow_type.precision, arrow_type.scale) == _decimal_args(kind)
    if kind.this in (T.FLOAT, T.DOUBLE):
        return pa.types.is_float64(arrow_type)
    return False


# --- the view files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewFile:
    """One parsed `views/*.sql` file: the view's name and its T-SQL tree."""

    path: str  # views/fct_sales.sql
    name: str  # gold.fct_sales
    tree: exp.Create

    @property
    def rowsets(self) -> list[OpenRowset]:
        return list(self.tree.find_all(OpenRowset))


def parse_view(path: str, sql: str) -> ViewFile:
    """Parse a view file as serverless T-SQL: exactly one `CREATE [OR ALTER] VIEW`."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=SynapseServerless) if s is not None]
    except ParseError as error:
        raise ServingError(f"synapse_views/{path} does not parse as T-SQL: {error}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Create) or statements[0].kind != "VIEW":
        raise ServingError(f"synapse_views/{path} must hold exactly one CREATE VIEW statement")
    tree = statements[0]
    return ViewFile(path=path, name=tree.this.sql(dialect=SynapseServerless), tree=tree)


def view_files(root: Path = synapse_views.ROOT) -> list[ViewFile]:
    return [parse_view(s["path"], s["sql"]) for s in synapse_views.load_scripts(root) if s["path"].startswith("views/")]


def data_sources(root: Path = synapse_views.ROOT) -> dict[str, str]:
    """`{data source name: the parameter of its LOCATION}` from the setup scripts."""
    found: dict[str, str] = {}
    for script in synapse_views.load_scripts(root):
        if script["path"].startswith("setup/"):
            found.update((name.lower(), param) for name, param in DATA_SOURCE_DEF.findall(script["sql"]))
    return found


@lru_cache(maxsize=512)
def to_duckdb(tsql: str, bitmap_columns: frozenset[str] = frozenset()) -> str:
    """A serving query written in T-SQL, as DuckDB runs it (cached: the dashboard repeats its queries).

    `COUNT(DISTINCT c)` of a column named in `bitmap_columns` (integers of a small range in every loaded
    table) is counted as the bits set in a bitmap of the column's range: exact, and cheaper than hashing
    the values (the dashboard's customers and orders).
    """
    try:
        statements = [s for s in sqlglot.parse(tsql, dialect=SynapseServerless) if s is not None]
    except ParseError as error:
        raise ServingError(f"query does not parse as T-SQL: {error}") from None
    if len(statements) != 1:
        raise ServingError("a serving query is exactly one statement")
    tree = statements[0]
    for cte in tree.find_all(exp.CTE):
        # T-SQL has no hint for it; DuckDB computes a CTE used several times once (same rows either way)
        cte.set("materialized", True)
        _distinct_set_as_bitmaps(tree, cte, bitmap_columns)
    for count in list(tree.find_all(exp.Count)):
        column = _distinct_column(count)
        if column is not None and column.name in bitmap_columns:
            count.replace(_bit_count(exp.func("BITSTRING_AGG", column.copy())))  # the range: DuckDB's statistics
    return tree.sql(dialect="duckdb")


def _distinct_column(count: exp.Count) -> exp.Column | None:
    """The column `c` of a `COUNT(DISTINCT c)`."""
    distinct = count.this
    if isinstance(distinct, exp.Distinct) and len(distinct.expressions) == 1:
        column = distinct.expressions[0]
        return column if isinstance(column, exp.Column) else None
    return None


def _bit_count(bitmap: exp.Expression) -> exp.Expression:
    return exp.func("COALESCE", exp.func("BIT_COUNT", bitmap), exp.Literal.number(0))  # no rows: NULL, COUNT says 0


def _distinct_set_as_bitmaps(tree: exp.Expression, cte: exp.CTE, bitmap_columns: frozenset[str]) -> None:
    """`WITH s AS (SELECT DISTINCT c, k1, k2 FROM ...)` read only by selects that aggregate `s` as
    `COUNT(DISTINCT c)` alone (`c` a bitmap column): `s` becomes one row per (k1, k2) holding the bitmap of
    its `c` values, and each count the bits of the OR of its rows' bitmaps.

    A union of sets is exact at any grouping of the keys (the customers of a category are the union of its
    genders' customers), and setting a bit per line is cheaper than hashing every distinct (c, k1, k2).
    """
    inner = cte.this
    if not isinstance(inner, exp.Select) or not inner.args.get("distinct") or cte.args["alias"].columns:
        return
    if any(inner.args.get(arg) for arg in ("group", "having", "qualify", "order", "limit", "offset")):
        return  # TOP, ORDER BY ...: rows of the distinct set, not of its keys
    if not all(isinstance(output, exp.Column) for output in inner.expressions):
        return
    counted = [output for output in inner.expressions if output.name in bitmap_columns]
    name = cte.alias.lower()
    readers = [table for table in tree.find_all(exp.Table) if table.name.lower() == name and not table.db]
    if len(counted) != 1 or not readers or not all(_counts_distinct_only(t, counted[0].name) for t in readers):
        return
    keys = [output.copy() for output in inner.expressions if output is not counted[0]]
    inner.set("distinct", None)
    inner.set("group", exp.Group(expressions=keys))
    counted[0].replace(exp.alias_(exp.func("BITSTRING_AGG", counted[0].copy()), counted[0].name))
    for table in readers:
        for count in _own(table.parent_select, exp.Count):
            count.replace(_bit_count(exp.func("BIT_OR", count.this.expressions[0].copy())))


def _counts_distinct_only(table: exp.Table, name: str) -> bool:
    """Whether `table` is read by a select of it alone whose every aggregate is `COUNT(DISTINCT name)`,
    and which reads `name` nowhere else (a row count, another aggregate or a plain select would see one
    row per key where there was one per distinct value)."""
    select = table.parent_select
    if select is None or select.args["from_"].this is not table or select.args.get("joins"):
        return False
    if _own(select, exp.Select)[1:] or _own(select, exp.Window):
        return False  # a subquery or a window: not one aggregate over the rows of `table`
    aggregates = _own(select, exp.AggFunc)
    columns = [column for column in _own(select, exp.Column) if column.name == name]
    counts = [_distinct_column(a) for a in aggregates if isinstance(a, exp.Count)]
    return (
        bool(aggregates)
        and len(columns) == len(counts) == len(aggregates)
        and all(column is not None and column.name == name for column in counts)
    )


def _own(select: exp.Select, kind: type[exp.Expression]) -> list:
    """The nodes of `kind` in `select` (itself first, if of that kind), outside its own WITH clause."""
    ctes = select.args.get("with_")
    return [node for node in select.find_all(kind) if ctes is None or not _within(node, ctes)]


def _within(node: exp.Expression, subtree: exp.Expression) -> bool:
    while node is not None and node is not subtree:
        node = node.parent
    return node is subtree


# --- binding and running -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    view: str
    table: str  # the Delta table's folder name, e.g. fct_sales
    path: Path
    loaded_as: str  # the DuckDB table in LOADED_SCHEMA
    columns: tuple[tuple[str, exp.DataType], ...]


@dataclass
class _Snapshot:
    connection: duckdb.DuckDBPyConnection
    versions: dict[str, list]  # what it was loaded from: LocalViews.versions()
    checked_at: float
    bitmap_columns: frozenset[str]


class LocalViews:
    """The serving views over `<lake>/gold`, on an in-memory DuckDB; one instance serves many threads."""

    label = "local DuckDB views"

    def __init__(
        self,
        lake: Path,
        *,
        views_root: Path = synapse_views.ROOT,
        refresh_seconds: float = 2.0,
        bitmap_max_bits: int = BITMAP_MAX_BITS,
        prepare: bool = True,
    ):
        self.lake = Path(lake)
        self.refresh_seconds = refresh_seconds
        # Spend load time on cheaper queries (row order, views as tables, compression): for a source that
        # answers many queries, the dashboard; one KPI document reads each view once.
        self.prepare = prepare
        self.bitmap_max_bits = bitmap_max_bits  # 0: every distinct count by hashing (the bench's baseline)
        self._views = view_files(views_root)
        locations = {"goldUrl": self.lake / "gold"}  # the deploy-time parameter, bound locally
        sources = data_sources(views_root)
        self._bound_at = {
            (view.name, index): self._bind(view, index, rowset, sources, locations)
            for view in self._views
            for index, rowset in enumerate(view.rowsets)
        }
        self._bound = list(self._bound_at.values())
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    @property
    def views(self) -> list[str]:
        return [view.name for view in self._views]

    def _bind(
        self, view: ViewFile, index: int, rowset: OpenRowset, sources: dict[str, str], locations: dict[str, Path]
    ) -> _Bound:
        where = f"synapse_views/{view.path}"
        if (rowset.option("FORMAT") or "").upper() != "DELTA":
            raise ServingError(f"{where}: OPENROWSET reads FORMAT = 'DELTA' only (the gold tables are Delta)")
        data_source = (rowset.option("DATA_SOURCE") or "").lower()
        if data_source not in sources or sources[data_source] not in locations:
            raise ServingError(f"{where}: DATA_SOURCE {data_source!r} is not an external data source of setup/")
        if not rowset.columns:
            raise ServingError(f"{where}: OPENROWSET needs a typed WITH (...) column list")
        table = rowset.bulk.strip("/")
        columns = tuple((column.name, column.args["kind"]) for column in rowset.columns)
        for _, kind in columns:
            duckdb_type(kind)  # fails on a type the local platform cannot load
        loaded_as = f"{view.name.replace('.', '_')}_{index}"
        return _Bound(view.name, table, locations[sources[data_source]] / table, loaded_as, columns)

    # --- snapshots ---

    def versions(self) -> dict[str, list]:
        """`{gold table: [its Delta table id, its version]}` as they are now: any write changes the version,
        and a table deleted and written again has a new id."""
        versions = {}
        for bound in self._bound:
            if bound.table not in versions:
                versions[bound.table] = identity(self._open(bound))
        return versions

    def _open(self, bound: _Bound) -> DeltaTable:
        try:
            return DeltaTable(str(bound.path))
        except TableNotFoundError:
            raise ServingError(f"no gold table {bound.table!r} in {self.lake}: run `insights run` first") from None

    def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        now = time.monotonic()
        if snapshot is not None and now - snapshot.checked_at < self.refresh_seconds:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is not None and time.monotonic() - snapshot.checked_at < self.refresh_seconds:
                return snapshot
            versions = self.versions()
            if snapshot is not None and snapshot.versions == versions:
                snapshot.checked_at = time.monotonic()
                return snapshot
            self._snapshot = self._load()
            return self._snapshot

    def _load(self) -> _Snapshot:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")  # DATETIME2 reads Delta's UTC timestamps as UTC wall-clock time
        # A compressed in-memory database (compressed at the CHECKPOINT below, when preparing): bit-packed
        # and dictionary-encoded columns scan, filter and group much faster.
        con.execute(f"ATTACH ':memory:' AS {DATABASE} (COMPRESS)")
        con.execute(f"USE {DATABASE}")
        con.execute(f"CREATE SCHEMA {LOADED_SCHEMA}")
        versions: dict[str, list] = {}
        for bound in self._bound:
            versions[bound.table] = self._load_table(con, bound)
        for schema in sorted({view.tree.this.db for view in self._views if view.tree.this.db}):
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for view in self._views:  # in file order, as Synapse creates them: a view reads the ones before it
            try:
                con.execute(self._view_sql(view))
            except duckdb.Error as error:
                raise ServingError(f"synapse_views/{view.path} does not run on DuckDB: {error}") from None
        if self.prepare:
            con.execute("CHECKPOINT")
        return _Snapshot(con, versions, time.monotonic(), self._bitmap_columns(con))

    def _bitmap_columns(self, con: duckdb.DuckDBPyConnection) -> frozenset[str]:
        """The column names that are integers in every view, with all their values in a range of less than
        `bitmap_max_bits` (one range across the views: a query may combine their columns)."""
        columns = con.execute(
            "SELECT table_schema, table_name, column_name, data_type IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT') "
            "FROM information_schema.columns WHERE table_catalog = current_database() "
            f"AND table_schema <> '{LOADED_SCHEMA}'"  # the queries read the views only
        ).fetchall()
        integers: dict[tuple[str, str], list[str]] = {}
        other: set[str] = set()
        for schema, table, name, integer in columns:
            if integer:
                integers.setdefault((schema, table), []).append(name)
            else:
                other.add(name)
        values: dict[str, list[int]] = {}
        for (schema, table), names in integers.items():  # one scan per table or view
            bounds = ", ".join(f'MIN("{name}"), MAX("{name}")' for name in names)
            [found] = con.execute(f'SELECT {bounds} FROM "{schema}"."{table}"').fetchall()
            for index, name in enumerate(names):
                values.setdefault(name, []).extend(v for v in found[2 * index : 2 * index + 2] if v is not None)
        return frozenset(
            name
            for name, found in values.items()
            if name not in other and (not found or max(found) - min(found) < self.bitmap_max_bits)
        )

    def _load_table(self, con: duckdb.DuckDBPyConnection, bound: _Bound) -> list:
        delta = self._open(bound)
        protocol = delta.protocol()
        if protocol.min_reader_version != 1:
            raise ServingError(
                f"gold table {bound.table!r} is at Delta reader version {protocol.min_reader_version}: "
                "Synapse serverless reads version 1 only (no deletion vectors, no column mapping)"
            )
        schema = pa.schema(delta.schema())
        for name, kind in bound.columns:
            if name not in schema.names:
                raise ServingError(f"gold table {bound.table!r} has no column {name!r}, which {bound.view} reads")
            if not reads(kind, schema.field(name).type):
                raise ServingError(
                    f"{bound.view} reads {bound.table}.{name} as {kind.sql(dialect=SynapseServerless)}, "
                    f"but the Delta column is {schema.field(name).type}"
                )
        arrow = read_rows(delta, [name for name, _ in bound.columns])  # the snapshot whose schema was checked
        # Prepared, sorted by the KPI filter's columns (category, gender, then date): a filter then skips
        # whole row groups, or finds one value throughout, instead of testing every row.
        names = {name for name, _ in bound.columns}
        keys = [f'"{name}"' for name in queries.FILTER_COLUMNS if name in names]
        order = f" ORDER BY {', '.join(keys)}" if keys and self.prepare else ""
        con.register("_delta_rows", arrow)
        try:
            casts = ", ".join(
                f'CAST("{name}" AS {self._local_type(con, bound, name, kind, arrow)}) AS "{name}"'
                for name, kind in bound.columns
            )
            con.execute(f'CREATE TABLE {LOADED_SCHEMA}."{bound.loaded_as}" AS SELECT {casts} FROM _delta_rows{order}')
        finally:
            con.unregister("_delta_rows")
        return identity(delta)

    @staticmethod
    def _local_type(con, bound: _Bound, name: str, kind: exp.DataType, arrow: pa.Table) -> str:
        """The column's DuckDB type; text with few distinct values (category, gender) as a sorted ENUM.

        Grouping and filtering on an ENUM work on small integers, twice as fast as on text; values, sort
        order (code point, as BIN2) and comparisons with text parameters stay those of the text.
        """
        target = duckdb_type(kind)
        if target != "VARCHAR" or arrow.num_rows < ENUM_MIN_ROWS:
            return target
        column = arrow.column(name)
        for rows in (column.slice(0, ENUM_MIN_ROWS), column):  # the first rows rule out most columns at once
            if pc.count_distinct(rows).as_py() > ENUM_MAX_VALUES:
                return target
        enum = f'{LOADED_SCHEMA}."{bound.loaded_as}__{name}"'
        con.execute(
            f'CREATE TYPE {enum} AS ENUM (SELECT DISTINCT "{name}" FROM _delta_rows '
            f'WHERE "{name}" IS NOT NULL ORDER BY "{name}")'
        )
        return enum

    def _view_sql(self, view: ViewFile) -> str:
        """The view as DuckDB creates it, over the loaded tables. When preparing, a view that filters
        rows or computes columns becomes a table of its rows: a snapshot does not change until the next
        load, so no query recomputes the sales filter or the week of every line."""
        tree = view.tree.copy()
        select = tree.expression
        computes = select.args.get("where") or not all(isinstance(column, exp.Column) for column in select.expressions)
        if self.prepare and computes:
            tree.set("kind", "TABLE")
            tree.set("replace", False)
        rowsets = list(tree.find_all(OpenRowset))
        for index, rowset in enumerate(rowsets):
            bound = self._bound_at[(view.name, index)]
            table = rowset.parent
            alias = table.args.get("alias")
            table.replace(
                exp.Table(
                    this=exp.to_identifier(bound.loaded_as, quoted=True),
                    db=exp.to_identifier(LOADED_SCHEMA),
                    alias=alias.copy() if alias else None,
                )
            )
        return tree.sql(dialect="duckdb")

    # --- queries ---

    def execute(self, tsql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one T-SQL query (qmark parameters) over the views; the rows as tuples."""
        snapshot = self._current()
        sql = to_duckdb(tsql, snapshot.bitmap_columns)
        cursor = snapshot.connection.cursor()
        try:
            cursor.execute(f"USE {DATABASE}")  # a cursor is a new connection: its own default database
            return cursor.execute(sql, list(params)).fetchall()
        except duckdb.Error as error:
            raise ServingError(f"serving query failed on DuckDB: {error}") from None
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.connection.close()
                self._snapshot = None
