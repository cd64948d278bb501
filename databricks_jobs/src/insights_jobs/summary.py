"""What a silver or gold run reports: printed by the job, returned as flat figures for the run record.

Kept apart from the jobs (no Spark import), so a job that provably has nothing to do reports the same
summary without loading Spark.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TableResult:
    source_table: str
    read: int = 0
    upserted: int = 0
    quarantined: int = 0
    resolved: int = 0


@dataclass
class SilverSummary:
    run_id: str
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.tables)

    def figures(self) -> dict[str, int | float]:
        """Flat figures for run records: rows read, upserted, quarantined, resolved, seconds."""
        names = ("read", "upserted", "quarantined", "resolved")
        return {"tables": len(self.tables), **{n: self.total(n) for n in names}, "seconds": round(self.seconds, 2)}

    def __str__(self) -> str:
        return (
            f"silver run {self.run_id}: {len(self.tables)} tables, {self.total('read')} rows read, "
            f"{self.total('upserted')} upserted, {self.total('quarantined')} quarantined, "
            f"{self.total('resolved')} resolved, {self.seconds:.1f}s"
        )


@dataclass
class GoldSummary:
    run_id: str
    mode: str = "incremental"
    touched_lines: int = 0
    touched_dates: int = 0
    written: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def figures(self) -> dict[str, int | float | str]:
        """Flat figures for run records: mode, touched lines and dates, rows written per table, seconds."""
        return {
            "mode": self.mode,
            "touched_lines": self.touched_lines,
            "touched_dates": self.touched_dates,
            **{f"{t}_rows": n for t, n in self.written.items()},
            "seconds": round(self.seconds, 2),
        }

    def __str__(self) -> str:
        rows = ", ".join(f"{t} {n}" for t, n in self.written.items()) or "nothing to write"
        touched = f"{self.touched_lines} order lines and {self.touched_dates} dates touched; "
        return f"gold run {self.run_id} ({self.mode}): {touched if self.mode == 'incremental' else ''}" + (
            f"rows written: {rows}; {self.seconds:.1f}s"
        )
