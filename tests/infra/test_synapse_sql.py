"""The Synapse dynamic provider, tested at the connection seam: the statements create, update and
delete send, in order, with the parameters substituted safely by `synapse_views`."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from infra import synapse_sql
from infra.synapse_sql import SqlScriptError, SynapseSqlProvider
from synapse_views import load_scripts, serving_parameters, view_names

FIXTURE_VIEWS = Path(__file__).parent / "fixtures" / "synapse_views"
SERVER = "syn-cip-dev-k3x9q-ondemand.sql.azuresynapse.net"
PARAMETERS = serving_parameters(
    database="insights",
    gold_url="https://stcipdevk3x9q.dfs.core.windows.net/gold",
    analysts_group="sg-insights-analysts",
    master_key_password="pa'ss]word",
)


class FakeCursor:
    def __init__(self, connection: FakeConnection):
        self.connection = connection

    def execute(self, statement: str) -> None:
        if self.connection.fail_on and self.connection.fail_on in statement:
            raise RuntimeError("serverless said no")
        self.connection.statements.append(statement)


class FakeConnection:
    """Stands in for mssql_python's connection: records what is sent."""

    def __init__(self, server: str, database: str, fail_on: str | None = None):
        self.server, self.database, self.fail_on = server, database, fail_on
        self.statements: list[str] = []
        self.closed = False

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[FakeConnection]:
    opened: list[FakeConnection] = []

    def connect(server: str, database: str) -> FakeConnection:
        opened.append(FakeConnection(server, database))
        return opened[-1]

    monkeypatch.setattr(synapse_sql, "open_connection", connect)
    return opened


def props(scripts: list[dict[str, str]], database: str = "insights") -> dict:
    return {"server": SERVER, "database": database, "scripts": scripts, "parameters": PARAMETERS}


CREATE_STATEMENTS = [
    "-- database: master\n-- Sample scripts in the layout of synapse_views/ (the real ones live there).\n"
    "IF DB_ID(N'insights') IS NULL\n    CREATE DATABASE [insights] COLLATE Latin1_General_100_BIN2_UTF8;",
    "USE [insights]",
    "IF NOT EXISTS (SELECT 1 FROM sys.symmetric_keys WHERE name = '##MS_DatabaseMasterKey##')\n"
    "    CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'pa''ss]word';",
    "IF NOT EXISTS (SELECT 1 FROM sys.external_data_sources WHERE name = 'gold_lake')\n"
    "    CREATE EXTERNAL DATA SOURCE [gold_lake] WITH (LOCATION = N'https://stcipdevk3x9q.dfs.core.windows.net/gold');",
]


def test_create_sends_every_batch_in_order_on_one_connection(connections) -> None:
    scripts = load_scripts(FIXTURE_VIEWS)
    result = SynapseSqlProvider().create(props(scripts))

    [connection] = connections
    assert (connection.server, connection.database, connection.closed) == (SERVER, "master", True)
    sent = connection.statements
    assert sent[:4] == CREATE_STATEMENTS
    assert sent[4].startswith("CREATE OR ALTER VIEW gold.dim_customer AS")
    assert sent[5].startswith("CREATE OR ALTER VIEW [gold].[fct_sales] AS")  # a lower-case `go` ends it
    assert sent[6:] == [
        "IF DATABASE_PRINCIPAL_ID(N'sg-insights-analysts') IS NULL\n"
        "    CREATE USER [sg-insights-analysts] FROM EXTERNAL PROVIDER;",
        "GRANT SELECT ON SCHEMA::[gold] TO [sg-insights-analysts];",
    ]
    assert not any("$(" in statement for statement in sent)
    assert result.id == f"{SERVER}/insights"
    assert result.outs["views"] == ["[gold].[fct_sales]", "gold.dim_customer"]


def test_update_reruns_the_scripts_and_drops_views_whose_file_was_removed(connections) -> None:
    scripts = load_scripts(FIXTURE_VIEWS)
    old = {**props(scripts), "views": view_names(scripts)}
    new = props([s for s in scripts if s["path"] != "views/fct_sales.sql"])

    result = SynapseSqlProvider().update(f"{SERVER}/insights", old, new)

    sent = connections[0].statements
    assert sent[:4] == CREATE_STATEMENTS
    assert sent[-2:] == ["USE [insights]", "DROP VIEW IF EXISTS [gold].[fct_sales]"]
    assert not any("CREATE OR ALTER VIEW [gold].[fct_sales]" in statement for statement in sent)
    assert result.outs["views"] == ["gold.dim_customer"]


def test_delete_drops_the_serving_database(connections) -> None:
    SynapseSqlProvider().delete(f"{SERVER}/insights", props([]))
    assert connections[0].database == "master"
    assert connections[0].statements == ["IF DB_ID(N'insights') IS NOT NULL DROP DATABASE [insights]"]


def test_diff_updates_on_a_sql_change_and_replaces_on_a_new_database() -> None:
    provider = SynapseSqlProvider()
    scripts = load_scripts(FIXTURE_VIEWS)
    assert provider.diff("id", {**props(scripts), "views": [], "digest": "x"}, props(scripts)).changes is False

    edited = [dict(s) for s in scripts]
    edited[2]["sql"] += "\n-- a comment"
    changed = provider.diff("id", props(scripts), props(edited))
    assert changed.changes is True and not changed.replaces

    moved = provider.diff("id", props(scripts), props(scripts, database="insights2"))
    assert moved.changes is True and moved.replaces == ["database"]


def test_the_connection_is_closed_when_a_statement_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[FakeConnection] = []

    def connect(server: str, database: str) -> FakeConnection:
        opened.append(FakeConnection(server, database, fail_on="CREATE OR ALTER VIEW"))
        return opened[-1]

    monkeypatch.setattr(synapse_sql, "open_connection", connect)
    with pytest.raises(RuntimeError, match="serverless said no"):
        SynapseSqlProvider().create(props(load_scripts(FIXTURE_VIEWS)))
    assert opened[0].closed


def test_a_placeholder_without_parameter_fails_before_anything_is_declared() -> None:
    scripts = [{"path": "views/x.sql", "sql": "SELECT * FROM $(lakeRoot)"}]
    with pytest.raises(SqlScriptError, match=r"synapse_views/views/x\.sql: placeholder \$\(lakeRoot\)"):
        synapse_sql.SynapseSqlScripts("x", server="s", database="d", scripts=scripts, parameters=PARAMETERS)


def test_open_connection_signs_in_with_an_entra_token_from_the_one_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    import mssql_python

    from insights import credential

    scopes: list[str] = []

    class Credential:
        def get_token(self, scope: str):
            scopes.append(scope)
            return type("Token", (), {"token": "eyJ0b2tlbg"})()

    calls = []
    monkeypatch.setattr(credential, "azure_credential", Credential)
    monkeypatch.setattr(mssql_python, "connect", lambda *a, **kw: calls.append((a, kw)) or "connection")

    assert synapse_sql.open_connection(SERVER, "master") == "connection"
    [(args, kwargs)] = calls
    assert args[0] == f"Server=tcp:{SERVER},1433;Database={{master}};Encrypt=yes;TrustServerCertificate=no;"
    assert kwargs["autocommit"] is True
    raw = "eyJ0b2tlbg".encode("utf-16-le")
    assert kwargs["attrs_before"] == {1256: struct.pack(f"<I{len(raw)}s", len(raw), raw)}
    assert scopes == ["https://database.windows.net/.default"]


def test_the_program_applies_every_script_of_synapse_views(dev_run, artifacts: Path) -> None:
    resource = dev_run.one("pulumi-python:dynamic:Resource")
    scripts = load_scripts(artifacts / "synapse_views")
    assert resource.inputs["scripts"] == scripts
    folders = [s["path"].split("/")[0] for s in scripts]
    assert folders == sorted(folders, key=["setup", "views", "grants"].index)
    statements = synapse_sql.plan(resource.inputs)
    assert statements
    assert not any("$(" in statement for statement in statements)
    assert "CREATE DATABASE [insights]" in statements[0]
    assert "USE [insights]" in statements
