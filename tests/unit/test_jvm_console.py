"""A process started inside `filtered_stderr()` (as the Spark JVM is) keeps the filter for its lifetime:
the launcher's and Spark's start-up notices are dropped, every other line reaches the real standard error."""

from __future__ import annotations

import subprocess
import sys
import time

from insights.local.jvm_console import filtered_stderr

# What the JVM printed on a real `insights run` before the filter (see docs/decisions.md), and a real error.
CHILD = r"""
import sys, time
sys.stderr.write("WARNING: Using incubator modules: jdk.incubator.vector\n")
sys.stderr.write('Setting default log level to "WARN".\n')
sys.stderr.write("To adjust logging level use sc.setLogLevel(newLevel). For SparkR, use setLogLevel(newLevel).\n")
sys.stderr.flush()
time.sleep(0.5)  # after the block has ended: the child still writes through the filter
sys.stderr.write("12:00:01 ERROR Executor: Exception in task 0.0 in stage 3.0\n")
"""


def test_notices_are_dropped_and_errors_pass_for_the_child_s_lifetime(capfd) -> None:
    with filtered_stderr():
        child = subprocess.Popen([sys.executable, "-c", CHILD])
    sys.stderr.write("this process writes to the console again\n")
    sys.stderr.flush()
    assert child.wait(timeout=30) == 0
    time.sleep(0.3)  # the forwarding thread reaches the end of the pipe
    err = capfd.readouterr().err
    assert "ERROR Executor: Exception in task 0.0 in stage 3.0" in err
    assert "this process writes to the console again" in err
    for notice in ("incubator", "Setting default log level", "setLogLevel"):
        assert notice not in err, err
