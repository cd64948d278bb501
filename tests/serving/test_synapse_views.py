"""The T-SQL of synapse_views/ and the one module that substitutes its deploy-time parameters."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot.tokens import TokenType

import synapse_views
from insights.serving.local import view_files
from synapse_views import (
    SqlScriptError,
    batches,
    check_placeholders,
    load_scripts,
    quote_identifier,
    quote_literal,
    serving_parameters,
    statements,
    substitute,
)
from tests.support.gold import SCHEMAS

BENIGN = serving_parameters(
    database="insights",
    gold_url="https://stcipdev.dfs.core.windows.net/gold",
    analysts_group="sg-insights-analysts",
    master_key_password="Pa55-word-Pa55-word",
)
HOSTILE = serving_parameters(
    database="x]; DROP DATABASE master; --",
    gold_url="https://a.dfs.core.windows.net/gold'; DROP EXTERNAL DATA SOURCE gold_lake; --",
    analysts_group="evil] WITH PASSWORD = 'x'; GRANT CONTROL TO [evil",
    master_key_password="p'; CREATE LOGIN x WITH PASSWORD = 'y'; --$(database)",
)


def sent(parameters=BENIGN) -> list[str]:
    return statements(load_scripts(), parameters, parameters["database"]["value"])


def test_scripts_apply_setup_then_views_then_grants_each_in_file_name_order() -> None:
    paths = [script["path"] for script in load_scripts()]
    folders = [path.split("/")[0] for path in paths]
    assert folders == sorted(folders, key=synapse_views.FOLDERS.index)
    for folder in synapse_views.FOLDERS:
        in_folder = [p for p in paths if p.startswith(folder + "/")]
        assert in_folder == sorted(in_folder) and in_folder
    assert paths[0] == "setup/00_database.sql"
    targets = {script["path"]: script["target"] for script in load_scripts()}
    assert targets.pop("setup/00_database.sql") == "master"
    assert set(targets.values()) == {"database"}


def test_setup_creates_the_utf8_bin2_database_the_identity_credential_and_the_data_source() -> None:
    text = sent()
    assert text[0].endswith(
        "IF DB_ID(N'insights') IS NULL\n    CREATE DATABASE [insights] COLLATE Latin1_General_100_BIN2_UTF8;"
    )
    assert text[1] == "USE [insights]"  # everything after runs in the serving database
    joined = "\n".join(text)
    assert "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Pa55-word-Pa55-word';" in joined
    assert "CREATE DATABASE SCOPED CREDENTIAL [workspace_identity] WITH IDENTITY = 'Managed Identity';" in joined
    assert (
        "CREATE EXTERNAL DATA SOURCE [gold_lake] WITH (LOCATION = N'https://stcipdev.dfs.core.windows.net/gold', "
        "CREDENTIAL = [workspace_identity]);"
    ) in joined
    assert "EXEC ('CREATE SCHEMA gold')" in joined
    assert not any("$(" in statement for statement in text)


def test_every_view_reads_its_gold_delta_folder_through_the_data_source_of_setup() -> None:
    views = view_files()
    assert [view.name for view in views] == [
        "gold.agg_daily_sales",
        "gold.dim_customer",
        "gold.dim_date",
        "gold.dim_product",
        "gold.fct_sales",
        "gold.sales",
    ]
    for view in views:
        for rowset in view.rowsets:
            assert rowset.option("DATA_SOURCE") == synapse_views.DATA_SOURCE
            assert rowset.option("FORMAT") == "DELTA"
            # one name from Delta folder to view: gold/<table> is read by gold.<table>
            assert f"gold.{rowset.bulk.rstrip('/')}" == view.name
            assert rowset.bulk.endswith("/")
    assert not view_files()[-1].rowsets  # gold.sales reads gold.fct_sales, not the lake


@pytest.mark.parametrize("table", sorted(SCHEMAS))
def test_every_typed_with_clause_lists_the_data_contract_columns(table: str) -> None:
    [view] = [view for view in view_files() if view.name == f"gold.{table}"]
    [rowset] = view.rowsets
    assert [column.name for column in rowset.columns] == SCHEMAS[table].names


def test_grants_let_the_analysts_group_read_the_views_and_nothing_else() -> None:
    grant_batches = [b["sql"] for b in batches(load_scripts(), BENIGN) if b["path"].startswith("grants/")]
    code = [_without_comments(sql) for sql in grant_batches]
    assert code == [
        "IF DATABASE_PRINCIPAL_ID(N'sg-insights-analysts') IS NULL\n"
        "    CREATE USER [sg-insights-analysts] FROM EXTERNAL PROVIDER;",
        "GRANT SELECT ON SCHEMA::[gold] TO [sg-insights-analysts];",
        "GRANT REFERENCES ON DATABASE SCOPED CREDENTIAL::[workspace_identity] TO [sg-insights-analysts];",
    ]
    everything = _without_comments("\n".join(s["sql"] for s in load_scripts()))
    assert not re.search(r"\b(ALTER ROLE|sp_addrolemember|GRANT\s+(CONTROL|ALTER|INSERT|UPDATE|DELETE))", everything)


def _without_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--")).strip()


def _token_types(sql: str) -> list[TokenType]:
    return [token.token_type for token in sqlglot.Dialect.get_or_raise("tsql").tokenize(sql)]


def test_hostile_parameter_values_cannot_change_the_shape_of_any_statement() -> None:
    benign, hostile = sent(BENIGN), sent(HOSTILE)
    assert len(benign) == len(hostile)
    for quiet, loud in zip(benign, hostile, strict=True):
        if quiet.startswith("USE "):
            assert loud == "USE [x]]; DROP DATABASE master; --]"
            continue
        # each value stays one identifier or one string token: the same token types, in the same order
        assert _token_types(loud) == _token_types(quiet), loud
    joined = "\n".join(hostile)
    assert "[evil]] WITH PASSWORD = 'x'; GRANT CONTROL TO [evil]" in joined
    assert "N'https://a.dfs.core.windows.net/gold''; DROP EXTERNAL DATA SOURCE gold_lake; --'" in joined
    # substituted once: a value that looks like a placeholder stays text
    assert "N'p''; CREATE LOGIN x WITH PASSWORD = ''y''; --$(database)'" in joined


def test_quoting_rules() -> None:
    assert quote_identifier("a]b") == "[a]]b]"
    assert quote_literal("it's") == "N'it''s'"
    for bad in ("", "x" * 129, "tab\there", "nul\x00"):
        with pytest.raises(SqlScriptError, match="not a valid SQL identifier"):
            quote_identifier(bad)
    with pytest.raises(SqlScriptError, match="cannot be a SQL string literal"):
        quote_literal("a\x00b")


def test_a_placeholder_without_a_parameter_names_the_file() -> None:
    scripts = [{"path": "views/x.sql", "sql": "SELECT * FROM gold.x WHERE a = $(nope)"}]
    with pytest.raises(SqlScriptError, match=r"synapse_views/views/x\.sql: placeholder \$\(nope\) has no parameter"):
        check_placeholders(scripts, BENIGN)
    with pytest.raises(SqlScriptError, match=r"views/x\.sql: placeholder \$\(nope\)"):
        batches(scripts, BENIGN)


@pytest.mark.parametrize("sql", ["SELECT '$(goldUrl)'", "SELECT N'$(goldUrl)'", "CREATE USER [$(analystsGroup)]"])
def test_a_placeholder_inside_quotes_or_brackets_is_refused(sql: str) -> None:
    with pytest.raises(SqlScriptError, match="inside quotes or brackets"):
        substitute(sql, BENIGN, "setup/x.sql")
    with pytest.raises(SqlScriptError, match="inside quotes or brackets"):
        check_placeholders([{"path": "setup/x.sql", "sql": sql}], BENIGN)


def test_an_unknown_parameter_kind_is_refused() -> None:
    with pytest.raises(SqlScriptError, match="unknown parameter kind 'raw'"):
        substitute("SELECT $(x)", {"x": {"kind": "raw", "value": "1; DROP"}}, "setup/x.sql")


def test_go_ends_a_batch_and_comment_only_batches_are_dropped() -> None:
    sql = "-- header\nSELECT 1;\nGO\n-- only a comment\ngo  -- trailing\nSELECT 2;\n  GO\n"
    assert synapse_views.split_batches(sql) == ["-- header\nSELECT 1;", "SELECT 2;"]


def test_view_names_are_what_the_view_scripts_create() -> None:
    assert synapse_views.view_names(load_scripts()) == [view.name for view in view_files()]
