"""Reaching the Synapse serverless endpoint with an Entra access token, the way `mssql-python` takes it.

One place for the token's scope, its packing (`SQL_COPT_SS_ACCESS_TOKEN`, set before the connection
opens) and the connection string, for everything that talks to the endpoint: the deploy (`infra/`, which
applies these scripts), the operator's smoke test (`insights.ops`) and the dashboard's Synapse
source (`insights.serving`). The driver is imported only when a connection is opened.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

TOKEN_SCOPE = "https://database.windows.net/.default"
SQL_COPT_SS_ACCESS_TOKEN = 1256


def _odbc_value(value: str) -> str:
    """A connection-string value in braces, `}` doubled, so `;` or `=` in it cannot add a keyword."""
    return "{" + value.replace("}", "}}") + "}"


def connection_string(server: str, database: str, timeout_seconds: int | None = None) -> str:
    """Encrypted TCP to `server`, database quoted; the driver's default login timeout unless one is given."""
    timeout = f"Connection Timeout={int(timeout_seconds)};" if timeout_seconds is not None else ""
    return f"Server=tcp:{server},1433;Database={_odbc_value(database)};Encrypt=yes;TrustServerCertificate=no;{timeout}"


def token_struct(token: str) -> bytes:
    """The access token as SQL Server's driver takes it: its UTF-16-LE bytes, prefixed with their length."""
    raw = token.encode("utf-16-le")
    return struct.pack(f"<I{len(raw)}s", len(raw), raw)


def open_connection(server: str, database: str, token: str) -> Any:
    """An autocommit connection signed in with `token` (an access token for `TOKEN_SCOPE`)."""
    import mssql_python

    return mssql_python.connect(
        connection_string(server, database),
        autocommit=True,
        attrs_before={SQL_COPT_SS_ACCESS_TOKEN: token_struct(token)},
    )


def fetch_all(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one query with `?` parameters and close the connection; the rows as tuples."""
    try:
        cursor = connection.cursor()
        if params:  # mssql-python takes one sequence of qmark parameters
            cursor.execute(sql, tuple(params))
        else:
            cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()
