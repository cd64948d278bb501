"""Before a run: refuse a source file or a lake folder that cannot serve, in one line.

Checked once, before any engine loads, so the error comes at once instead of from every activity
that touches the source, and its retries.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from insights.local.source.db import connect

LAKE_LAYERS = ("bronze", "silver", "gold", "control")


class LakeError(RuntimeError):
    """The lake folder cannot be used: the message names the path and what is wrong with it."""


def check_source(path: Path) -> None:
    """The source opens as a DuckDB database, for reading, now (`SourceError` says why not)."""
    connect(path, read_only=True).close()


def check_lake(root: Path) -> None:
    """Create the lake folder if needed; refuse a file where a folder should be, or a folder this user
    cannot list or write."""
    folders = (root, *(root / layer for layer in LAKE_LAYERS))
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise LakeError(f"lake {root}: {folder} is a file, not a folder (move it away or pick another --lake)")
    try:
        root.mkdir(parents=True, exist_ok=True)
        for folder in (f for f in folders if f.exists()):
            next(folder.iterdir(), None)
            tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        raise LakeError(f"lake {root}: cannot use {error.filename or root}: {error.strerror}") from None


def check(source: Path, lake: Path) -> None:
    check_source(source)
    check_lake(lake)
