"""One run at a time on a lake: `control/run.lock`, held for the whole run.

The lock is a kernel file lock (`flock`) on the file, so it ends with its process however that process
ends (SIGKILL included) and never outlives it; the file's content (run id, start time, pid, host) is
what a refused run shows. Content left behind by a run that did not finish, with no live holder, is a
stale lock: on the same host the next run takes it over (the kernel has already released it: the pid
is dead); a lock written on another host cannot be judged from here and is refused.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = Path("control") / "run.lock"


class LakeBusyError(RuntimeError):
    """Another run holds the lake."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock."""

    run_id: str
    started_at: str
    pid: int
    host: str

    def __str__(self) -> str:
        return f"run {self.run_id}, started {self.started_at} (pid {self.pid} on {self.host})"


def _holder(text: str) -> Holder | None:
    try:
        return Holder(**json.loads(text))
    except (ValueError, TypeError):
        return None  # empty (released) or not ours: nothing to report


@contextmanager
def run_lock(lake: Path, run_id: str, *, on_takeover=lambda stale: None) -> Iterator[Holder]:
    """Hold the lake's run lock for the body; refuse at once with the holder's run id and start time."""
    path = lake / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        handle.seek(0)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle.read())
            who = str(holder) if holder else "a run that has not written its id yet"
            raise LakeBusyError(f"another run is in progress on {lake}: {who}") from None
        try:
            stale = _holder(handle.read())
            if stale is not None:
                if stale.host != socket.gethostname():
                    raise LakeBusyError(
                        f"{path} names {stale}, on another host: if that run is not running, delete {path}"
                    )
                on_takeover(stale)
            me = Holder(run_id, datetime.now(UTC).isoformat(timespec="seconds"), os.getpid(), socket.gethostname())
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(asdict(me)))
            handle.flush()
            os.fsync(handle.fileno())
            try:
                yield me
            finally:
                handle.seek(0)
                handle.truncate()  # released cleanly: nothing stale is left
                handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
