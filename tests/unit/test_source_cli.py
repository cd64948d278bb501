"""The `source` CLI: says what it does, ends with a summary table or a clear error and a non-zero exit,
and never overwrites a source unless told to."""

from __future__ import annotations

import duckdb
from typer.testing import CliRunner

from insights.local.source.cli import app

runner = CliRunner()


class Run:
    """A CLI run: its exit code and its output with line wrapping undone (rich wraps to the terminal)."""

    def __init__(self, *args: str) -> None:
        result = runner.invoke(app, list(args))
        self.exit_code = result.exit_code
        self.output = " ".join(result.output.split())


invoke = Run


def count(path, table: str) -> int:
    with duckdb.connect(str(path), read_only=True) as c:
        return c.execute(f"SELECT count(*) FROM SalesLT.{table}").fetchall()[0][0]


def test_generate_then_refuse_to_overwrite_then_force(tmp_path):
    out = tmp_path / "s.duckdb"
    result = invoke("generate", "--scale", "0.01", "--seed", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Generating a synthetic source" in result.output
    assert "SalesOrderDetail" in result.output and "Generated" in result.output
    lines = count(out, "SalesOrderDetail")
    assert f"{lines:,}" in result.output

    again = invoke("generate", "--scale", "0.02", "--seed", "3", "--out", str(out))
    assert again.exit_code == 1
    assert "already exists" in again.output and "--force" in again.output
    assert count(out, "SalesOrderDetail") == lines

    forced = invoke("generate", "--scale", "0.02", "--seed", "3", "--out", str(out), "--force", "--dirty-share", "0.01")
    assert forced.exit_code == 0, forced.output
    assert "duplicate_key" in forced.output
    assert count(out, "SalesOrderDetail") > lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb"]


def test_generate_refuses_a_bad_scale(tmp_path):
    result = invoke("generate", "--scale", "-1", "--out", str(tmp_path / "s.duckdb"))
    assert result.exit_code == 1
    assert "scale must be a positive number" in result.output
    assert not (tmp_path / "s.duckdb").exists()


def test_import_csv(adventureworks_csv_dir, tmp_path):
    out = tmp_path / "aw.duckdb"
    result = invoke("import-csv", str(adventureworks_csv_dir), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Imported" in result.output
    assert count(out, "SalesOrderDetail") == 542


def test_import_csv_of_a_folder_that_is_not_an_export(tmp_path):
    (tmp_path / "export").mkdir()
    result = invoke("import-csv", str(tmp_path / "export"), "--out", str(tmp_path / "aw.duckdb"))
    assert result.exit_code == 1
    assert "not an AdventureWorksLT CSV export" in result.output and "SalesLT.Customer.csv" in result.output
    assert not (tmp_path / "aw.duckdb").exists()


def test_advance(tmp_path):
    out = tmp_path / "s.duckdb"
    assert invoke("generate", "--scale", "0.01", "--out", str(out)).exit_code == 0
    before = count(out, "SalesOrderHeader")
    result = invoke("advance", "--days", "3", "--source", str(out), "--seed", "2", "--update-share", "0.01")
    assert result.exit_code == 0, result.output
    assert "Advancing" in result.output and "inserted" in result.output and "updated" in result.output
    assert "2026-01-01 to 2026-01-03" in result.output
    assert count(out, "SalesOrderHeader") > before


def test_advance_a_missing_source(tmp_path):
    result = invoke("advance", "--days", "1", "--source", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 1
    assert "does not exist" in result.output
