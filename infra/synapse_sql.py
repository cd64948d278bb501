"""Applying `synapse_views/` to the Synapse serverless endpoint at deploy time (a dynamic resource).

What the scripts are, the order they run in, which database each targets (`-- database: master`) and
how the `$(name)` placeholders are quoted (identifiers bracketed, literals N'...') is defined once, in
the `synapse_views` package, which the local platform uses too; this module only sends the result.

Create and update open one connection to `master` with an Entra token for the deploying identity
(from the one credential factory, `insights.credential`: `az login`, or a fresh GitHub OIDC assertion in CI) through
`mssql-python`, send every batch in order (`USE` between databases), then drop the views whose files
were removed. Delete drops the serving database. `open_connection` is the seam the tests replace.

The first deploy creates the views before any gold Delta folder exists. Microsoft's documentation does not
promise that serverless accepts a view over a Delta folder it cannot list yet (OPENROWSET examines the folder),
so a view whose folder is missing is set aside (`pending`) instead of failing the deploy; the resource shows a
change while any view is pending, and `insights deploy` runs `pulumi up` again once the smoke test's pipeline
run has written gold (docs/infra.md, "The first deploy").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

import synapse_views
from synapse_views import SqlScriptError, check_placeholders, quote_identifier, quote_literal, view_names
from synapse_views import connection as serverless

__all__ = ["SqlScriptError", "SynapseSqlProvider", "SynapseSqlScripts", "drop_plan", "plan"]

INPUT_KEYS = ("server", "database", "scripts", "parameters")
# How serverless answers a query over a storage path that holds nothing yet.
_MISSING_FOLDER = re.compile(r"cannot be listed|does not exist|_delta_log|no such (file|folder|path)", re.IGNORECASE)
_VIEW = re.compile(r"\bCREATE\s+(?:OR\s+ALTER\s+)?VIEW\s+(\S+)", re.IGNORECASE)


def plan(props: dict[str, Any], previous_views: Iterable[str] = ()) -> list[str]:
    """Every statement that create/update sends, in order, on one connection opened on `master`."""
    statements = synapse_views.statements(props["scripts"], props["parameters"], props["database"])
    removed = sorted(set(previous_views) - set(view_names(props["scripts"])))
    if removed:
        statements.append(f"USE {quote_identifier(props['database'])}")
        statements.extend(f"DROP VIEW IF EXISTS {view}" for view in removed)
    return statements


def drop_plan(props: dict[str, Any]) -> list[str]:
    name = props["database"]
    return [f"IF DB_ID({quote_literal(name)}) IS NOT NULL DROP DATABASE {quote_identifier(name)}"]


def scripts_digest(scripts: Iterable[dict[str, str]]) -> str:
    digest = hashlib.sha256()
    for script in scripts:
        digest.update(script["path"].encode() + b"\0" + script["sql"].encode() + b"\0")
    return digest.hexdigest()


# --- the connection seam ------------------------------------------------------------------------


def open_connection(server: str, database: str) -> Any:
    """A DB-API connection to the serverless endpoint, authenticated with an Entra access token."""
    from insights.credential import azure_credential

    token = azure_credential().get_token(serverless.TOKEN_SCOPE).token
    return serverless.open_connection(server, database, token)


def execute(server: str, statements: list[str], connect: Callable[[str, str], Any] | None = None) -> list[str]:
    """Send the statements in order; return the views set aside because their gold folder does not exist yet."""
    pending = []
    connection = (connect or open_connection)(server, "master")
    try:
        cursor = connection.cursor()
        for statement in statements:
            try:
                cursor.execute(statement)
            except Exception as exc:
                view = _VIEW.search(statement)
                if view is None or not _MISSING_FOLDER.search(str(exc)):
                    raise
                pending.append(view.group(1))
    finally:
        connection.close()
    return pending


# --- the dynamic provider ----------------------------------------------------------------------


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in INPUT_KEYS}


def _outs(props: dict[str, Any], pending: list[str]) -> dict[str, Any]:
    return {
        **_inputs(props),
        "views": view_names(props["scripts"]),
        "digest": scripts_digest(props["scripts"]),
        "pending": pending,
    }


class SynapseSqlProvider(ResourceProvider):
    """Create/update/delete of the serverless database and the scripts applied to it."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        pending = execute(props["server"], plan(props))
        return CreateResult(id_=f"{props['server']}/{props['database']}", outs=_outs(props, pending))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in INPUT_KEYS if olds.get(key) != news.get(key)]
        replaces = [key for key in ("server", "database") if key in changed]
        return DiffResult(changes=bool(changed or olds.get("pending")), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        pending = execute(news["server"], plan(news, previous_views=olds.get("views") or []))
        return UpdateResult(outs=_outs(news, pending))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        execute(props["server"], drop_plan(props))


class SynapseSqlScripts(pulumi.dynamic.Resource):
    """The serverless database and the scripts of synapse_views/, applied by `SynapseSqlProvider`."""

    views: pulumi.Output[list[str]]
    digest: pulumi.Output[str]
    pending: pulumi.Output[list[str]]  # views whose gold folder did not exist yet

    def __init__(
        self,
        name: str,
        server: pulumi.Input[str],
        database: str,
        scripts: list[dict[str, str]],
        parameters: dict[str, dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        # Fail before anything is declared, not halfway through a deploy, on a placeholder without a
        # parameter (the parameter names are plain; only their values may be outputs).
        check_placeholders(scripts, set(parameters))
        super().__init__(
            SynapseSqlProvider(),
            name,
            {
                "server": server,
                "database": database,
                "scripts": scripts,
                "parameters": parameters,
                "views": None,
                "digest": None,
                "pending": None,
            },
            opts,
        )
