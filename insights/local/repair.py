"""`insights repair`: rebuild what can be rebuilt after files were damaged or lost.

Nothing found damaged is deleted: it moves to `<lake>/_damaged/<time>/` (same relative path). Then:
- a damaged bronze file cannot be rebuilt (bronze is what the source said then): its table's watermark goes
  back to the start, so the next run extracts that table whole again (silver's MERGE skips what it has);
- damaged silver (a table or `_quarantine`): silver is rebuilt from bronze, every extraction run replayed
  through the silver job in the order they ran (bronze is append-only: it holds every row ever extracted);
- damaged gold or `control/gold_state`, or a rebuilt silver: gold is rebuilt from silver (a full build);
- a watermark that is garbled or was deleted: restored from the newest `ModifiedDate` silver and
  `_quarantine` hold for that table (what silver has processed: no row is skipped, few are extracted twice).

While it rebuilds, `control/repair.json` says so: a run refuses to start on a half-rebuilt lake, and the next
`insights repair` (after a kill) rebuilds those layers again.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from deltalake import DeltaTable

from insights.local.atomic import write_atomically
from insights.local.lake_check import REPAIR_MARKER, WATERMARKS, Damage, all_bronze, find_damage
from insights.local.lock import run_lock
from insights_jobs.contract import BY_SOURCE, SOURCE_SCHEMA

INITIAL_WATERMARK = "1900-01-01T00:00:00"  # pl_extract_table's value for a table never extracted


@dataclass
class RepairSummary:
    damage: list[Damage] = field(default_factory=list)
    moved_to: Path | None = None
    actions: list[str] = field(default_factory=list)


def repair(lake: Path, log: Callable[[str], None] = print) -> RepairSummary:
    """Find every damaged or missing file (reading every data file whole) and rebuild what depends on it."""
    run_id = f"repair-{uuid.uuid4()}"
    with run_lock(lake, run_id):
        log(f"Checking every file of {lake} (bronze, silver, gold, control)…")
        summary = RepairSummary(find_damage(lake, thorough=True))
        if not summary.damage:
            return summary
        for damage in summary.damage:
            log(f"  damaged: {damage}")
        aside = lake / "_damaged" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        summary.moved_to = aside
        unfinished = _unfinished(lake)
        layers = {d.layer for d in summary.damage} | set(unfinished)
        rebuild_silver = "silver" in layers
        rebuild_gold = (
            rebuild_silver or "gold" in layers or any(d.table == "control/gold_state" for d in summary.damage)
        )
        # from here until the marker goes, a run refuses: silver and gold may be half rebuilt
        marker = lake / REPAIR_MARKER
        plan = [layer for layer, due in (("silver", rebuild_silver), ("gold", rebuild_gold)) if due]
        write_atomically(marker, lambda tmp: tmp.write_text(json.dumps({"rebuild": plan}), encoding="utf-8"))
        for damage in (d for d in summary.damage if d.layer == "bronze"):
            _move(lake, damage.file, aside)
            source = damage.table.split(".")[-1]
            _write_watermark(lake, source, INITIAL_WATERMARK)
            summary.actions.append(f"{SOURCE_SCHEMA}.{source}: watermark reset, the next run extracts it whole")
        for layer in plan:
            _move(lake, lake / layer, aside)
        if rebuild_gold:
            _move(lake, lake / "control" / "gold_state", aside)
        if plan:
            _rebuild(lake, run_id, rebuild_silver, summary, log)
        re_extracted = {d.table.split(".")[-1] for d in summary.damage if d.layer == "bronze"}
        for damage in (d for d in summary.damage if d.table.startswith("control/watermarks")):
            if damage.table.split(".")[-1] not in re_extracted:
                summary.actions.append(_restore_watermark(lake, damage.table.split(".")[-1], aside))
        marker.unlink()
        for action in summary.actions:
            log(f"  {action}")
    return summary


def _unfinished(lake: Path) -> list[str]:
    """The layers a repair that did not finish was rebuilding (its marker), to rebuild them again."""
    try:
        return list(json.loads((lake / REPAIR_MARKER).read_text(encoding="utf-8"))["rebuild"])
    except (OSError, ValueError, KeyError):
        return ["silver", "gold"] if (lake / REPAIR_MARKER).exists() else []


def _move(lake: Path, path: Path, aside: Path) -> None:
    if path.exists():
        target = aside / path.relative_to(lake)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)


def bronze_runs(lake: Path) -> list[tuple[str, str]]:
    """Every extraction run in bronze as (run id, load date), in the order they ran (their files' times)."""
    first: dict[tuple[str, str], float] = {}
    for file in all_bronze(lake):
        key = (file.parent.name.removeprefix("run_id="), file.parents[1].name.removeprefix("load_date="))
        first[key] = min(first.get(key, file.stat().st_mtime), file.stat().st_mtime)
    return sorted(first, key=lambda key: (first[key], key))


def _rebuild(lake: Path, run_id: str, silver: bool, summary: RepairSummary, log: Callable[[str], None]) -> None:
    from insights.local.spark import is_large, local_spark
    from insights_jobs.gold.job import run_gold
    from insights_jobs.silver.job import run_silver
    from insights_jobs.storage import storage_for

    log("  starting local Spark…")
    spark = local_spark(large=is_large(all_bronze(lake)))  # a repair rebuilds from all of it
    spark.sparkContext.setLogLevel("ERROR")
    storage = storage_for(spark)
    if silver:
        runs = bronze_runs(lake)
        for number, (bronze_run, load_date) in enumerate(runs, 1):
            log(f"  silver from bronze: run {number} of {len(runs)} ({bronze_run}, {load_date})")
            run_silver(spark, storage, str(lake), bronze_run, load_date=load_date, log=lambda _: None)
        summary.actions.append(f"silver rebuilt from bronze ({len(runs)} extraction runs replayed)")
    log("  gold from silver…")
    gold = run_gold(spark, storage, str(lake), run_id, log=lambda _: None)
    summary.actions.append(f"gold rebuilt from silver ({gold.mode}: {sum(gold.written.values()):,} rows)")


def _write_watermark(lake: Path, source: str, value: str) -> None:
    target = lake / WATERMARKS / f"{SOURCE_SCHEMA}.{source}.json"
    write_atomically(target, lambda tmp: tmp.write_text(json.dumps({"Watermark": value}) + "\n", encoding="utf-8"))


def _restore_watermark(lake: Path, source: str, aside: Path) -> str:
    """The newest ModifiedDate silver and `_quarantine` hold for the table, as its watermark."""
    spec = BY_SOURCE[source]
    newest = []
    silver = lake / "silver" / spec.silver
    if (silver / "_delta_log").is_dir():
        newest += DeltaTable(str(silver)).to_pyarrow_table(columns=[spec.silver_version]).column(0).to_pylist()
    quarantine = lake / "silver" / "_quarantine"
    if (quarantine / "_delta_log").is_dir():
        rows = DeltaTable(str(quarantine)).to_pyarrow_table(columns=["source_table", "payload"]).to_pylist()
        newest += [_payload_version(r["payload"], spec.version) for r in rows if r["source_table"] == source]
    found = [v.replace(tzinfo=None) for v in newest if v is not None]  # silver stores the naive values as UTC
    path = lake / WATERMARKS / f"{SOURCE_SCHEMA}.{source}.json"
    _move(lake, path, aside)
    if not found:
        return f"{SOURCE_SCHEMA}.{source}: no row in silver, watermark removed (the next run extracts it whole)"
    value = max(found).strftime("%Y-%m-%dT%H:%M:%S.%f")
    _write_watermark(lake, source, value)
    return f"{SOURCE_SCHEMA}.{source}: watermark restored from silver: {value}"


def _payload_version(payload: str | None, column: str) -> datetime | None:
    try:
        return datetime.fromisoformat(json.loads(payload)[column])
    except (TypeError, ValueError, KeyError):
        return None
