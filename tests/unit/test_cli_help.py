"""The help and version of the real `insights` command, as a new user first meets it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from insights.cli import app

INSIGHTS = [sys.executable, "-c", "from insights.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]


def commands(group: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every command and group of the CLI, with the words that reach it."""
    found = [(path, group)]
    for name, command in getattr(group, "commands", {}).items():
        found += commands(command, (*path, name))
    return found


ALL = commands(typer.main.get_command(app))


@pytest.mark.parametrize("path", [path for path, _ in ALL], ids=lambda path: " ".join(path) or "insights")
def test_no_flag_shows_a_value_type_in_help(path: tuple[str, ...]) -> None:
    command = dict(ALL)[path]
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    flags = [p for p in command.params if isinstance(p, click.Option) and p.is_flag and not p.hidden]
    for flag in flags:  # a flag's row: its names and its help, no value type
        [line] = [line for line in result.output.splitlines() if f" {flag.opts[0]} " in line]
        assert "<" not in line, line
    typed = [p for p in command.params if isinstance(p, click.Option) and not p.is_flag and not p.hidden]
    for option in typed:  # an option that takes a value still says what kind
        [line] = [line for line in result.output.splitlines() if f" {option.opts[0]} " in line]
        assert "<" in line, line


def test_the_category_help_lists_the_four_categories_of_the_data_contract() -> None:
    env = {**os.environ, "COLUMNS": "200"}
    result = subprocess.run([*INSIGHTS, "kpis", "--help"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if "--category" in line]
    assert "Top-level category: Accessories, Bikes, Clothing, Components; repeat for several." in line


def test_insights_version_prints_the_package_version() -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = subprocess.run([*INSIGHTS, "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"insights {expected}\n", "")
