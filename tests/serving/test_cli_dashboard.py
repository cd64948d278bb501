"""`insights dashboard` as a user runs it: a real process serving on 127.0.0.1, stopped with Ctrl-C."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from insights.cli import app

INSIGHTS = [sys.executable, "-c", "from insights.cli import main; main()"]


def _lines(stream, sink: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        sink.put(line)
    sink.put(None)


def test_insights_dashboard_serves_on_localhost_prints_its_url_and_stops_on_ctrl_c(gold_lake: Path) -> None:
    process = subprocess.Popen(
        [*INSIGHTS, "dashboard", "--lake", str(gold_lake), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, stdout), daemon=True).start()
    try:
        url = stdout.get(timeout=60)
        assert url is not None, process.stderr.read()
        url = url.strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert "<title>Customer Insights</title>" in response.read().decode()
        with urllib.request.urlopen(url + "_dash-layout", timeout=10) as response:
            assert "filter-categories" in response.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    stderr = process.stderr.read()
    assert code == 0, stderr
    assert "Reading the serving views: local DuckDB views" in stderr
    assert "Stopped." in stderr


def test_insights_dashboard_without_gold_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dashboard", "--lake", str(tmp_path / "nothing"), "--port", "0"])
    assert result.exit_code == 1
    assert "no gold table" in result.output and "run `insights run` first" in " ".join(result.output.split())


def test_insights_dashboard_needs_a_workspace_for_synapse(monkeypatch) -> None:
    monkeypatch.delenv("INSIGHTS_SYNAPSE_WORKSPACE", raising=False)
    result = CliRunner().invoke(app, ["dashboard", "--serving", "synapse"])
    assert result.exit_code == 1
    assert "needs a workspace" in result.output


def test_insights_demo_is_documented_in_the_help() -> None:
    result = CliRunner().invoke(app, ["demo", "--help"])
    assert result.exit_code == 0
    for option in ("--source", "--lake", "--port"):
        assert option in result.output
