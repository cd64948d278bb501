"""Damaged or missing files in a local lake, found before a run writes anything that could spread them.

What is checked, and why each check is cheap enough to run before every `insights run`:
- every Delta table (silver, `_quarantine`, gold, `control/gold_state`): its `_delta_log` commits are
  contiguous from the last checkpoint (or 0) and each is valid JSON; each data file of the current snapshot
  exists and ends in a readable Parquet footer (the footer only: a file cut short or overwritten at its end);
- the watermarks: each `control/watermarks/<schema>.<table>.json` holds a watermark; one that is missing
  while a finished run committed it is damage too (see docs/pipelines.md, "A deleted watermark");
- bronze: the Parquet footers of the folders this run's silver reads again (rows waiting in quarantine);
  `insights repair` checks every bronze file, and reads every data file whole;
- no `insights repair` stopped half-way (`control/repair.json`: silver or gold may be half rebuilt).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from deltalake import DeltaTable

from insights_jobs.contract import BY_SOURCE, SOURCE_SCHEMA
from insights_jobs.plain_delta import data_files, read_rows

COMMIT = re.compile(r"^(\d{20})\.json$")
WATERMARKS = Path("control") / "watermarks"
REPAIR_MARKER = Path("control") / "repair.json"  # written by `insights repair` while it rebuilds
RECOVERY = "run `insights repair` (docs/runbook.md, section 7)"


@dataclass(frozen=True)
class Damage:
    """One damaged or missing file: the table it belongs to, the file, what is wrong."""

    layer: str  # bronze, silver, gold or control
    table: str  # as the lake names it: silver/customer, bronze SalesLT.Customer, control/watermarks ...
    file: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.table}: {self.file} {self.problem}"


class LakeDamagedError(RuntimeError):
    """The lake has a damaged or missing file; the message names the first one and the recovery."""

    def __init__(self, damage: list[Damage]) -> None:
        more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
        super().__init__(f"{damage[0]}{more}: nothing was written; {RECOVERY}")
        self.damage = damage


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:200]


def parquet_damage(file: Path, *, whole: bool = False) -> str | None:
    """What is wrong with a Parquet file (its footer; with `whole`, every page too), or None."""
    if not file.is_file():
        return "is missing"
    try:
        if whole:
            pq.read_table(file)
        else:
            pq.read_metadata(file)
    except Exception as error:  # pyarrow raises several types for a damaged file; all mean the same here
        return f"is not a readable Parquet file ({_first_line(error)})"
    return None


def delta_damage(path: Path, layer: str, *, whole: bool = False) -> Iterator[Damage]:
    """Damage of one Delta table: its log, then the data files of its snapshot."""
    name = path.relative_to(path.parents[1]).as_posix()  # silver/customer, gold/fct_sales, control/gold_state
    log = path / "_delta_log"
    versions = {int(m.group(1)): log / m.group(0) for p in log.glob("*.json") if (m := COMMIT.match(p.name))}
    if not versions:
        yield Damage(layer, name, log, "has no commit (the table's log is missing)")
        return
    start = _checkpoint_version(log)
    for version in range(start, max(versions) + 1):
        commit = versions.get(version)
        if commit is None:
            yield Damage(layer, name, log / f"{version:020d}.json", "is missing from the table's log")
            return
        try:
            for line in commit.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield Damage(layer, name, commit, f"is not valid JSON ({_first_line(error)})")
            return
    try:
        files = [Path(file) for file in data_files(DeltaTable(str(path)))]
    except Exception as error:  # delta-rs refuses a log it cannot replay
        yield Damage(layer, name, log, f"cannot be read ({_first_line(error)})")
        return
    for file in files:
        problem = parquet_damage(file, whole=whole)
        if problem:
            yield Damage(layer, name, file, problem)


def _checkpoint_version(log: Path) -> int:
    """The version the log must be complete from: its last checkpoint's, or 0."""
    try:
        return int(json.loads((log / "_last_checkpoint").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return 0


def delta_tables(lake: Path) -> Iterator[tuple[str, Path]]:
    """Every Delta table of the lake, with its layer."""
    for layer in ("silver", "gold"):
        for path in sorted((lake / layer).glob("*/_delta_log")):
            yield layer, path.parent
    if (lake / "control" / "gold_state" / "_delta_log").is_dir():
        yield "control", lake / "control" / "gold_state"


def watermark_damage(lake: Path) -> Iterator[Damage]:
    """Watermark files that do not hold a watermark, and committed ones that are missing."""
    folder = lake / WATERMARKS
    for source, spec in sorted(BY_SOURCE.items()):
        file = folder / f"{SOURCE_SCHEMA}.{source}.json"
        table = f"control/watermarks {SOURCE_SCHEMA}.{source}"
        if file.exists():
            try:
                value = json.loads(file.read_text(encoding="utf-8").splitlines()[0])["Watermark"]
                if not isinstance(value, str) or not value:
                    raise ValueError(value)
            except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError):
                yield Damage("control", table, file, "does not hold a watermark")
        elif (lake / "silver" / spec.silver / "_delta_log").is_dir() and (run := committed_by(lake, source)):
            yield Damage("control", table, file, f"is missing, but run {run} committed it")


def committed_by(lake: Path, source: str) -> str | None:
    """The id of a finished run that committed `source`'s watermark (from the run records), or None."""
    for record in sorted((lake / "control" / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            runs = json.loads(record.read_text(encoding="utf-8"))["pipeline_runs"]
        except (OSError, ValueError, KeyError):
            continue
        master = runs[0] if runs else {}
        committed = any(
            a["name"] == "Commit Watermarks" and a["status"] == "Succeeded" for a in master.get("activities", [])
        )
        staged = any(
            run["parameters"].get("tableName") == source
            and any(a["name"] == "Stage New Watermark" and a["status"] == "Succeeded" for a in run["activities"])
            for run in runs[1:]
        )
        if committed and staged:
            return master["run_id"]
    return None


def waiting_bronze(lake: Path) -> list[Path]:
    """The bronze files silver reads again: the folders of the open retryable quarantine rows."""
    quarantine = lake / "silver" / "_quarantine"
    if not (quarantine / "_delta_log").is_dir():
        return []
    rows = read_rows(str(quarantine), ["source_table", "run_id", "load_date", "is_retryable", "resolved_run_id"])
    folders = {
        (row["source_table"], row["run_id"], row["load_date"] or "*")
        for row in rows.to_pylist()
        if row["is_retryable"] and row["resolved_run_id"] is None
    }
    bronze = lake / "bronze" / SOURCE_SCHEMA
    return sorted(f for t, run, day in folders for f in bronze.glob(f"{t}/load_date={day}/run_id={run}/*.parquet"))


def bronze_damage(files: list[Path], *, whole: bool = False) -> Iterator[Damage]:
    for file in files:
        problem = parquet_damage(file, whole=whole)
        if problem:
            table = file.relative_to(file.parents[3]).parts[0]
            yield Damage("bronze", f"bronze {SOURCE_SCHEMA}.{table}", file, problem)


def all_bronze(lake: Path) -> list[Path]:
    """Every bronze Parquet file (Spark and this check skip names starting with '.' or '_': temporary files)."""
    return sorted(
        p for p in (lake / "bronze" / SOURCE_SCHEMA).glob("*/load_date=*/run_id=*/*.parquet") if p.name[0] not in "._"
    )


def find_damage(lake: Path, *, thorough: bool = False) -> list[Damage]:
    """Every damaged or missing file found; `thorough` (repair) reads all bronze and every data file whole."""
    damage = list(watermark_damage(lake))
    if (lake / REPAIR_MARKER).exists():
        damage.append(Damage("control", "control/repair", lake / REPAIR_MARKER, "shows a repair that did not finish"))
    for layer, path in delta_tables(lake):
        damage += delta_damage(path, layer, whole=thorough)
    silver_readable = not any(d.table == "silver/_quarantine" for d in damage)
    files = all_bronze(lake) if thorough else waiting_bronze(lake) if silver_readable else []
    damage += bronze_damage(files, whole=thorough)
    return damage


def check_lake(lake: Path) -> None:
    """Raise LakeDamagedError naming the first damaged or missing file, before a run writes anything."""
    damage = find_damage(lake)
    if damage:
        raise LakeDamagedError(damage)
