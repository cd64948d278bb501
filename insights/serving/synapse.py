"""The serving views on the Synapse serverless endpoint: the same T-SQL, sent with an Entra token.

`<workspace>-ondemand.sql.azuresynapse.net` is reached with `mssql-python` (Microsoft's driver, no ODBC
install) and an access token from the one credential factory, `insights.credential` (`az login` on a laptop,
the managed identity of an App Service or container in Azure). The token is passed before the connection
opens (`SQL_COPT_SS_ACCESS_TOKEN`), as the driver expects, and reused until five minutes before it
expires. Each query opens a connection from the driver's pool and closes it, so threads never share one.
`connect` and `credential` are the seams the tests replace.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from insights.serving.local import ServingError
from synapse_views.connection import SQL_COPT_SS_ACCESS_TOKEN, TOKEN_SCOPE, connection_string, fetch_all, token_struct

ENDPOINT_SUFFIX = "-ondemand.sql.azuresynapse.net"
_WORKSPACE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")


def endpoint(workspace: str) -> str:
    """The serverless SQL endpoint of a Synapse workspace."""
    if not _WORKSPACE.match(workspace or ""):
        raise ServingError(
            f"{workspace!r} is not a Synapse workspace name (1 to 50 lower-case letters, digits and hyphens)"
        )
    return f"{workspace}{ENDPOINT_SUFFIX}"


class SignInError(ServingError):
    """No Azure sign-in gives a token for the serverless endpoint."""


class SynapseViews:
    """The serving views in the serverless database `database` of the workspace `workspace`."""

    def __init__(
        self,
        workspace: str,
        database: str,
        *,
        credential: Any = None,
        connect: Callable[..., Any] | None = None,
        timeout_seconds: int = 30,
    ):
        if not database:
            raise ServingError("a Synapse serving source needs the serverless database name")
        self.server = endpoint(workspace)
        self.database = database
        self.label = f"Synapse serverless {self.server}/{database}"
        self._credential = credential
        self._connect = connect
        self._timeout = timeout_seconds
        self._token: tuple[bytes, float] | None = None
        self._lock = threading.Lock()

    def _access_token(self) -> bytes:
        with self._lock:
            if self._token is None or self._token[1] - time.time() < 300:
                if self._credential is None:
                    from insights.credential import azure_credential

                    self._credential = azure_credential()
                token = self._get_token()
                self._token = (token_struct(token.token), float(token.expires_on))
            return self._token[0]

    def _get_token(self) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        from insights.credential import LOCAL_HINT
        from insights.credential import SignInError as CredentialSignInError

        try:
            return self._credential.get_token(TOKEN_SCOPE)
        except (CredentialSignInError, ClientAuthenticationError):
            # the failure's text lists every credential of azure-identity's chain: say what to do instead
            raise SignInError(
                f"cannot sign in to Azure to read {self.server}: {LOCAL_HINT} "
                "(a deployed dashboard signs in with its managed identity)"
            ) from None

    def _open(self) -> Any:
        connect = self._connect
        if connect is None:
            import mssql_python

            connect = mssql_python.connect
        return connect(
            connection_string(self.server, self.database, self._timeout),
            attrs_before={SQL_COPT_SS_ACCESS_TOKEN: self._access_token()},
        )

    def execute(self, tsql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Send one T-SQL query with `?` parameters; the rows as tuples."""
        try:
            connection = self._open()
        except SignInError:
            raise
        except Exception as error:  # the driver's and azure-identity's errors have no common base
            raise ServingError(f"cannot connect to {self.server} (database {self.database}): {error}") from error
        try:
            return fetch_all(connection, tsql, params)
        except Exception as error:
            raise ServingError(f"serving query failed on {self.server}: {error}") from error
