"""Which writes of the gold tables a reader has seen: each table's Delta id and version.

Any write changes a table's version, and a table deleted and written again has a new id, so equal
readings mean the same rows. They come from the Delta logs alone, so comparing them is cheap: the
dashboard's refresh and the kept KPI documents do it before loading anything.
"""

from __future__ import annotations

from pathlib import Path

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError


def identity(table: DeltaTable) -> list:
    """`[Delta table id, version]` of an open table."""
    return [table.metadata().id, table.version()]


def gold_versions(lake: Path) -> dict[str, list]:
    """`{table: identity}` of every Delta table under `<lake>/gold` (a folder not yet a table is left out)."""
    versions = {}
    for log in sorted((Path(lake) / "gold").glob("*/_delta_log")):
        try:
            versions[log.parent.name] = identity(DeltaTable(str(log.parent)))
        except TableNotFoundError:
            continue
    return versions
