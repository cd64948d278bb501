"""A command that meets a missing optional dependency ends in one line naming the extra to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from insights.cli import main
from insights.extras import extra_providing


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("dash", "dashboard"),
        ("plotly.graph_objects", "dashboard"),
        ("pulumi", "azure"),
        ("pulumi_azure_native.storage", "azure"),
        ("azure.identity", "azure"),  # azure-identity
        ("databricks.sdk", "azure"),  # databricks-sdk
        ("mssql_python", "azure"),
        ("duckdb", None),  # a core dependency: not an extra's
        ("no_such_module", None),
    ],
)
def test_the_extra_of_a_module_comes_from_the_package_metadata(module: str, extra: str | None) -> None:
    # pyproject.toml: [project.optional-dependencies] azure = [pulumi..., azure-identity, databricks-sdk, ...]
    assert extra_providing(module) == extra


def test_the_dashboard_without_dash_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "dash", None)  # `import dash` now fails as if it were not installed
    for name in [m for m in sys.modules if m == "dashboard" or m.startswith("dashboard.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(SystemExit) as exit_:
        main(["dashboard", "--lake", str(tmp_path), "--port", "0"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: `insights dashboard` needs the [dashboard] extra (dash is not installed): "
        "pip install 'customer-insights[dashboard]'"
    ]


def test_another_missing_module_is_not_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)
    for name in [m for m in sys.modules if m.startswith("insights.serving")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ModuleNotFoundError, match="duckdb"):
        main(["kpis", "--lake", str(tmp_path)])
