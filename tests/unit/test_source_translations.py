"""The source queries' DuckDB text kept from one run to the next (`Translations`), run on a real DuckDB."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest
import sqlglot

from insights.local.adf.bindings import BindingError, Translations

LOOKUP = "SELECT COALESCE(CONVERT(VARCHAR(27), MAX([ModifiedDate]), 126), '{}') AS Watermark FROM {}"
WATERMARK = LOOKUP.format("2022-06-01T00:00:00", "t")
ROWS = "SELECT TOP 2 [id] FROM t ORDER BY [id] DESC"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS id, TIMESTAMP '2024-01-02 03:04:05' AS ModifiedDate FROM range(5)")
    return con


def kept_file(path: Path, queries: dict[str, str], sqlglot: str | None = None) -> Path:
    path.write_text(json.dumps({"sqlglot": sqlglot or version("sqlglot"), "queries": queries}), encoding="utf-8")
    return path


def test_a_query_asked_again_is_answered_from_the_file(tmp_path: Path, con) -> None:
    path = kept_file(tmp_path / "translations.json", {ROWS: "SELECT 42 AS id"})  # what a last run kept
    assert con.sql(Translations(path).to_duckdb(ROWS)).fetchall() == [(42,)]


@pytest.mark.parametrize("text", ["", '{"sqlglot": ', "[]", '{"queries": {"SELECT 1": 2}}'])
def test_a_file_that_cannot_be_read_is_translated_again(tmp_path: Path, con, text: str) -> None:
    (tmp_path / "translations.json").write_text(text, encoding="utf-8")
    assert con.sql(Translations(tmp_path / "translations.json").to_duckdb(ROWS)).fetchall() == [(4,), (3,)]


def test_translations_of_another_sqlglot_are_not_used(tmp_path: Path, con) -> None:
    path = kept_file(tmp_path / "translations.json", {ROWS: "SELECT 42 AS id"}, sqlglot="0.0.1")
    assert con.sql(Translations(path).to_duckdb(ROWS)).fetchall() == [(4,), (3,)]


def test_a_run_keeps_its_own_translations_in_place_of_the_last_runs(tmp_path: Path, con) -> None:
    path = kept_file(tmp_path / "translations.json", {"SELECT 1 AS gone": "SELECT 1 AS gone", ROWS: "SELECT 42 AS id"})
    run = Translations(path)
    run.to_duckdb(ROWS)
    run.to_duckdb(WATERMARK)
    run.save()
    kept = json.loads(path.read_text(encoding="utf-8"))
    assert kept["sqlglot"] == version("sqlglot")
    assert len(kept["queries"]) == 2 and kept["queries"][ROWS] == "SELECT 42 AS id"  # and not "gone"
    [(kept_watermark,)] = con.sql(Translations(path).to_duckdb(WATERMARK)).fetchall()
    assert datetime.fromisoformat(kept_watermark) == datetime(2024, 1, 2, 3, 4, 5)


def test_invalid_t_sql_is_refused_and_not_kept(tmp_path: Path) -> None:
    run = Translations(tmp_path / "translations.json")
    with pytest.raises(BindingError, match="not valid T-SQL"):
        run.to_duckdb("SELECT FROM WHERE (")
    run.save()
    assert not (tmp_path / "translations.json").exists()


def test_queries_that_differ_by_points_in_time_share_one_translation(tmp_path: Path, con) -> None:
    con.execute("CREATE TABLE empty AS SELECT * FROM t LIMIT 0")  # the lookup answers its literal
    copy = (
        "SELECT [id] FROM t WHERE [ModifiedDate] > CAST('{}' AS DATETIME2) "
        "AND [ModifiedDate] <= CAST('{}' AS DATETIME2)"
    )
    queries = [LOOKUP.format(w, "empty") for w in ("2022-06-01T00:00:00.000000", "2024-05-06T07:08:09.1234567")]
    queries += [
        copy.format("2024-01-01T00:00:00", "2024-01-02T03:04:05"),
        copy.format("2024-01-03T00:00:00", "2025-01-01T00:00:00.5"),
    ]
    run = Translations(tmp_path / "translations.json")
    assert [run.to_duckdb(q) for q in queries] == [
        sqlglot.transpile(q, read="tsql", write="duckdb")[0] for q in queries
    ]
    run.save()
    assert len(json.loads((tmp_path / "translations.json").read_text(encoding="utf-8"))["queries"]) == 2

    next_run = Translations(tmp_path / "translations.json")
    assert con.sql(next_run.to_duckdb(LOOKUP.format("2026-12-07T06:00:00.000001", "empty"))).fetchall() == [
        ("2026-12-07T06:00:00.000001",)
    ]
    assert con.sql(next_run.to_duckdb(copy.format("2024-01-01T00:00:00", "2024-01-02T03:04:05"))).fetchall() == [
        (i,) for i in range(5)
    ]
    assert con.sql(next_run.to_duckdb(copy.format("2024-01-02T03:04:05", "2025-01-01T00:00:00"))).fetchall() == []


def test_each_point_in_time_comes_back_where_it_was_whatever_its_value(tmp_path: Path, con) -> None:
    first = Translations(tmp_path / "translations.json")
    odd = "SELECT '{}' AS a, '{}' AS b"
    values = [
        ("2024-05-01T00:00:00", "0001-01-01T00:00:00.0000000"),
        ("0001-01-01T00:00:00.0000001", "2024-05-01T00:00:00"),
    ]
    for a, b in values:
        assert con.sql(first.to_duckdb(odd.format(a, b))).fetchall() == [(a, b)]
    first.save()
    for a, b in values:
        assert con.sql(Translations(tmp_path / "translations.json").to_duckdb(odd.format(a, b))).fetchall() == [(a, b)]


def test_a_kept_text_without_its_points_in_time_is_translated_again(tmp_path: Path, con) -> None:
    con.execute("CREATE TABLE empty AS SELECT * FROM t LIMIT 0")
    first = Translations(tmp_path / "translations.json")
    first.to_duckdb(LOOKUP.format("2022-06-01T00:00:00", "empty"))
    first.save()
    kept = json.loads((tmp_path / "translations.json").read_text(encoding="utf-8"))
    kept["queries"] = dict.fromkeys(kept["queries"], "SELECT 42 AS Watermark")  # damaged: the watermark lost
    (tmp_path / "translations.json").write_text(json.dumps(kept), encoding="utf-8")
    lookup = Translations(tmp_path / "translations.json").to_duckdb(LOOKUP.format("2024-05-06T07:08:09", "empty"))
    assert con.sql(lookup).fetchall() == [("2024-05-06T07:08:09",)]
