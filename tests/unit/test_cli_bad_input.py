"""Bad input at the door: each is refused by the real CLI at once, in one line, without a traceback.

Timed in process (typer's runner): the figure is the command's own work, not the interpreter's start.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from azure.identity import ChainedTokenCredential, EnvironmentCredential, SharedTokenCacheCredential
from typer.testing import CliRunner

from insights.cli import app
from insights.local.source.schema import ddl

LIMIT_SECONDS = 2.0
# What is timed is the command's own work: the modules it loads (once per process) are loaded first, so a
# busy machine's import time does not count against it.
for module in ("insights.local.preflight", "insights.local.pipeline", "insights.serving", "insights.credential"):
    importlib.import_module(module)


def invoke(*args: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, time.perf_counter() - started


def error_line(output: str) -> str:
    """The one error the user sees, unwrapped from the console's line breaks."""
    assert "Traceback" not in output
    assert output.count("error:") == 1, output
    return " ".join(output[output.index("error:") :].split())


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(ddl())
    return path


def test_a_file_that_is_not_a_duckdb_database(tmp_path: Path) -> None:
    not_a_database = tmp_path / "orders.csv"
    not_a_database.write_text("SalesOrderID,OrderDate\n71774,2008-06-01\n")
    lake = tmp_path / "lake"
    code, output, seconds = invoke("run", "--source", str(not_a_database), "--lake", str(lake))
    assert code == 1
    assert error_line(output) == (
        f"error: source database {not_a_database} is not a DuckDB database (create one with `insights source generate`)"
    )
    assert seconds < LIMIT_SECONDS
    assert not (lake / "bronze").exists()


def test_a_source_locked_by_another_writer(source: Path, tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(source)!r}); print('open'); "
            "sys.stdout.flush(); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        code, output, seconds = invoke("run", "--source", str(source), "--lake", str(tmp_path / "lake"))
    finally:
        writer.kill()
        writer.wait()
    assert code == 1
    line = error_line(output)
    assert line.startswith(f"error: source database {source} is locked by process {writer.pid} (")
    assert line.endswith("which has it open for writing: let it finish or stop it, then run again")
    assert seconds < LIMIT_SECONDS


@pytest.mark.parametrize("file_at", ["", "silver"])
def test_a_lake_folder_that_is_a_file(source: Path, tmp_path: Path, file_at: str) -> None:
    """A file where the lake or one of its layer folders should be: unreadable as a folder, even for root."""
    lake = tmp_path / "lake"
    blocked = lake / file_at if file_at else lake
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("not a folder")
    code, output, seconds = invoke("run", "--source", str(source), "--lake", str(lake))
    assert code == 1
    assert error_line(output) == (
        f"error: lake {lake}: {blocked} is a file, not a folder (move it away or pick another --lake)"
    )
    assert seconds < LIMIT_SECONDS
    assert blocked.read_text() == "not a folder"


@pytest.mark.parametrize("port", ["-5", "70000", "65536"])
def test_a_port_outside_the_tcp_range(tmp_path: Path, port: str) -> None:
    for command in ("dashboard", "demo"):
        code, output, seconds = invoke(command, "--port", port, "--lake", str(tmp_path / "lake"))
        assert code == 2
        assert "Traceback" not in output
        assert f"Invalid value for '--port': {port} is not a TCP port: use 1-65535, or 0 for any free port" in " ".join(
            output.replace("│", " ").split()
        )
        assert seconds < LIMIT_SECONDS
    assert not (tmp_path / "lake").exists()  # demo refused before running anything


def test_a_synapse_sign_in_failure_says_az_login_once(monkeypatch) -> None:
    """The one credential factory (`insights.credential`) around azure-identity's own chain, failing as it does
    where nothing is signed in."""
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_USERNAME",
        "AZURE_PASSWORD",
        "AZURE_FEDERATED_TOKEN_FILE",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    # DefaultAzureCredential's chain without the members that depend on this machine (az, a managed identity)
    monkeypatch.setattr(
        "azure.identity.DefaultAzureCredential",
        lambda **options: ChainedTokenCredential(EnvironmentCredential(), SharedTokenCacheCredential()),
    )
    code, output, seconds = invoke("dashboard", "--serving", "synapse", "--workspace", "contoso-syn", "--port", "0")
    assert code == 1
    assert error_line(output) == (
        "error: cannot sign in to Azure to read contoso-syn-ondemand.sql.azuresynapse.net: sign in with `az login` "
        "(then `az account set -s <subscription>`) (a deployed dashboard signs in with its managed identity)"
    )
    assert "EnvironmentCredential" not in output and "Attempted credentials" not in output
    assert seconds < LIMIT_SECONDS
