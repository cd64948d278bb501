"""`insights source ...`: make, load and age the local stand-in for the on-prem SQL Server.

Each command says what it is about to do, shows a progress bar while it works, and ends with a table
of rows per table and the time it took, or with a one-line error and exit code 1. New files are
written beside the target and renamed into place at the end; `advance` runs in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insights.local.source.csv_import import check_export
from insights.local.source.csv_import import import_csv as import_csv_source
from insights.local.source.db import ProgressFn, SourceError, SourceStats, open_source
from insights.local.source.generator import Plan, check_args
from insights.local.source.generator import generate as generate_source
from insights.local.source.simulation import AdvanceResult
from insights.local.source.simulation import advance as advance_source
from insights.local.source.simulation import check_args as check_advance_args

app = typer.Typer(
    help="The local source database: a DuckDB file with schema SalesLT, standing in for the on-prem SQL Server.",
    no_args_is_help=True,
)
console = Console(highlight=False)

DEFAULT_SOURCE = Path("data/source.duckdb")
T = TypeVar("T")


@contextmanager
def progress_bar(label: str, on: Console = console) -> Iterator[ProgressFn]:
    """A rich progress bar driven by the library's progress(what, done, total) callback."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=on,
        transient=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"{label}: {what}", completed=done, total=total)

        yield update


def _run(work: Callable[[], T]) -> T:
    """Run a command's work, turning the failures a user can fix into a clear message and exit 1."""
    try:
        return work()
    except (SourceError, ValueError, FileNotFoundError, duckdb.Error, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("[red]interrupted:[/red] nothing was changed")
        raise typer.Exit(130) from None


def _check_new_file(out: Path, force: bool) -> None:
    if out.exists() and not force:
        raise SourceError(f"{out} already exists (use --force to replace it)")


def _rows_table(stats: SourceStats) -> Table:
    table = Table(title=f"{stats.path}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    if stats.dirty:
        table.add_column("dirty rows", justify="right")
    for name, rows in stats.rows.items():
        dirty = stats.dirty.get(name, {})
        cells = [name, f"{rows:,}"]
        if stats.dirty:
            cells.append(", ".join(f"{kind} {n}" for kind, n in dirty.items()) if dirty else "")
        table.add_row(*cells)
    table.add_section()
    table.add_row("total", f"{stats.total_rows:,}", *([""] if stats.dirty else []))
    return table


def _finish(stats: SourceStats, what: str) -> None:
    console.print(_rows_table(stats))
    lines = stats.rows.get("SalesOrderDetail", 0)
    rate = f", {lines / stats.seconds:,.0f} order lines/s" if stats.seconds > 0 and lines else ""
    console.print(f"[green]{what}[/green] {stats.path} in {stats.seconds:.1f} s{rate}")


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="The DuckDB file to write.")] = DEFAULT_SOURCE,
    scale: Annotated[float, typer.Option("--scale", help="1 = about 100,000 order lines; fractions allowed.")] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed and scale, same rows.")] = 42,
    dirty_share: Annotated[
        float, typer.Option("--dirty-share", help="Share of dirty rows to add (0 to 0.5), e.g. 0.01.")
    ] = 0.0,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Generate a synthetic SalesLT source: three years of orders, deterministic for a seed."""
    _run(lambda: (check_args(scale, seed, dirty_share), _check_new_file(out, force)))
    plan = Plan.for_scale(scale)
    dirty = f", {dirty_share:.1%} dirty rows" if dirty_share else ""
    console.print(
        f"Generating a synthetic source into [bold]{out}[/bold]: scale {scale:g} (about "
        f"{plan.customers:,} customers, {plan.orders:,} orders), seed {seed}{dirty}"
    )
    with progress_bar("generating") as progress:
        stats = _run(lambda: generate_source(out, scale, seed, dirty_share, progress=progress, overwrite=force))
    _finish(stats, "Generated")


@app.command("import-csv")
def import_csv(
    csv_dir: Annotated[Path, typer.Argument(help="Folder with the SalesLT.<Table>.csv files.")],
    out: Annotated[Path, typer.Option("--out", help="The DuckDB file to write.")] = DEFAULT_SOURCE,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Load an AdventureWorksLT CSV export (the real rows) into a SalesLT source."""
    _run(lambda: (check_export(csv_dir), _check_new_file(out, force)))
    console.print(f"Importing the AdventureWorksLT CSV export in [bold]{csv_dir}[/bold] into [bold]{out}[/bold]")
    with progress_bar("importing") as progress:
        stats = _run(lambda: import_csv_source(csv_dir, out, progress=progress, overwrite=force))
    _finish(stats, "Imported")


def _advance_table(result: AdvanceResult) -> Table:
    table = Table(title=f"{result.path}: {result.first_day} to {result.last_day}")
    for name, justify in (("table", "left"), ("inserted", "right"), ("updated", "right"), ("rows now", "right")):
        table.add_column(name, justify=justify)
    for name in result.inserted:
        table.add_row(name, f"{result.inserted[name]:,}", f"{result.updated[name]:,}", f"{result.rows.get(name, 0):,}")
    table.add_section()
    table.add_row(
        "total",
        f"{sum(result.inserted.values()):,}",
        f"{sum(result.updated.values()):,}",
        f"{sum(result.rows.values()):,}",
    )
    return table


@app.command()
def advance(
    days: Annotated[int, typer.Option("--days", help="How many more days of business to simulate.")] = 1,
    source: Annotated[Path, typer.Option("--source", help="The source DuckDB file to change.")] = DEFAULT_SOURCE,
    seed: Annotated[int, typer.Option("--seed", help="Same source, days and seed: same changes.")] = 0,
    update_share: Annotated[
        float, typer.Option("--update-share", help="Also re-price this share of existing orders (e.g. 0.01).")
    ] = 0.0,
) -> None:
    """Simulate more days: new customers and orders, status changes, customer and price updates."""
    _run(lambda: (check_advance_args(days, seed, update_share), open_source(source).close()))
    forced = f", re-pricing {update_share:.1%} of existing orders" if update_share else ""
    console.print(f"Advancing [bold]{source}[/bold] by {days} day(s), seed {seed}{forced}")
    with progress_bar("advancing") as progress:
        result = _run(lambda: advance_source(source, days, seed, update_share, progress=progress))
    console.print(_advance_table(result))
    console.print(
        f"[green]Advanced[/green] {result.path} to {result.last_day} in {result.seconds:.1f} s; every new or "
        "changed row has a ModifiedDate after the previous maximum of its table"
    )
