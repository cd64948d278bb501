"""One run at a time on a lake: a second run is refused at once; a killed run's lock is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from insights.cli import app
from insights.local.lock import LOCK_FILE, LakeBusyError, run_lock

HOLD = """
import sys, time
from pathlib import Path
from insights.local.lock import run_lock
with run_lock(Path(sys.argv[1]), "run-that-holds"):
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process running on the lake (it holds the lock until it is killed)."""
    lake = tmp_path / "lake"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(lake)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    yield lake, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_a_second_run_is_refused_at_once_with_the_running_ones_id_and_start_time(holder, tmp_path):
    lake, process = holder
    source = tmp_path / "source.duckdb"
    duckdb.connect(str(source)).close()  # a DuckDB file (the preflight opens it) without tables: never read
    recorded = json.loads((lake / LOCK_FILE).read_text())

    started = time.perf_counter()
    result = CliRunner().invoke(app, ["run", "--source", str(source), "--lake", str(lake)])
    elapsed = time.perf_counter() - started

    assert result.exit_code == 1
    message = " ".join(result.output.split())  # the console wraps long lines
    assert "another run is in progress" in message
    assert "run-that-holds" in message and recorded["started_at"] in message and str(process.pid) in message
    assert "Traceback" not in result.output
    assert elapsed < 60  # it does not wait for the holder (which sleeps 600 s)
    assert not (lake / "bronze").exists()  # nothing was extracted


def test_the_lock_of_a_killed_run_is_detected_and_taken_over(holder):
    lake, process = holder
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert json.loads((lake / LOCK_FILE).read_text())["run_id"] == "run-that-holds"  # left behind

    stale = []
    with run_lock(lake, "next-run", on_takeover=stale.append) as me:
        assert json.loads((lake / LOCK_FILE).read_text())["run_id"] == "next-run"
        # and it holds: a third run is refused
        with pytest.raises(LakeBusyError, match="next-run"), run_lock(lake, "third-run"):
            pass
    assert [(s.run_id, s.pid) for s in stale] == [("run-that-holds", process.pid)]
    assert me.pid == os.getpid()
    assert (lake / LOCK_FILE).read_text() == ""  # released cleanly: nothing stale for the next run

    with run_lock(lake, "after", on_takeover=stale.append):
        pass
    assert len(stale) == 1


def test_a_lock_left_on_another_host_is_refused_not_taken(tmp_path: Path):
    lake = tmp_path / "lake"
    (lake / LOCK_FILE).parent.mkdir(parents=True)
    other = {"run_id": "r1", "started_at": "2026-12-01T02:00:00+00:00", "pid": 1, "host": f"not-{socket.gethostname()}"}
    (lake / LOCK_FILE).write_text(json.dumps(other))
    refused = pytest.raises(LakeBusyError, match="on another host: if that run is not running, delete")
    with refused, run_lock(lake, "r2"):
        pass
    assert json.loads((lake / LOCK_FILE).read_text()) == other
