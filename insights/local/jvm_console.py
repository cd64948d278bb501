"""The local Spark JVM's standard error, without its start-up notices.

The JVM that PySpark launches inherits this process's standard error and writes to it directly: the Java
launcher's notice about the incubator module Spark adds (`jdk.incubator.vector`), which no JVM option turns
off, and whatever a library prints before logging is configured. `filtered_stderr()` hands the JVM a pipe
instead while it starts; a thread forwards every line to the real standard error except the known notices,
so a real error from Spark still reaches the console.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NOTICES = (
    "WARNING: Using incubator modules",  # the Java launcher, for --add-modules=jdk.incubator.vector
    'Setting default log level to "',  # Spark, when it treats the PySpark gateway as a shell
    "To adjust logging level use sc.setLogLevel",
    "SLF4J:",  # SLF4J's own diagnostics (binding found or not), printed before logging is set up
    "NativeCodeLoader: Unable to load native-hadoop library",
)


def is_notice(line: str) -> bool:
    return any(notice in line for notice in NOTICES)


def _forward(source: int, target: int) -> None:
    with os.fdopen(source, "rb") as lines, os.fdopen(target, "wb", buffering=0) as out:
        for line in lines:
            if not is_notice(line.decode(errors="replace")):
                out.write(line)


@contextmanager
def filtered_stderr() -> Iterator[None]:
    """Processes started inside this block write their standard error through the filter, for their lifetime."""
    read_end, write_end = os.pipe()
    real = os.dup(2)
    sys.stderr.flush()
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_forward, args=(read_end, os.dup(real)), name="jvm-stderr", daemon=True).start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # this process writes to the console again; only the children keep the pipe
        os.close(real)
