"""`insights`: the Customer Insights Platform on one machine."""

from __future__ import annotations

import itertools
import json
import logging
import sys
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperOption

from insights.extras import ensure_installed, missing_module_message
from insights.local.source.catalog import TOP_CATEGORIES
from insights.local.source.cli import app as source_app
from insights.local.source.cli import progress_bar
from insights.money import DEFAULT_CURRENCY, CurrencyError, check_currency, money_text
from insights.ops.cli import register as register_operations

DEFAULT_SOURCE = Path("data/source.duckdb")
DEFAULT_LAKE = Path("data/lake")
DEFAULT_SCALE = 1.0
DISTRIBUTION = "customer-insights"


def _flags_take_no_type() -> None:
    """typer's rich help prints a type (`<bool>`) beside a flag, which takes no value; its plain help does not."""
    typed = TyperOption.display_type_rich
    TyperOption.display_type_rich = lambda option, ctx: None if option.is_flag else typed(option, ctx)


_flags_take_no_type()
console = Console(stderr=True)
app = typer.Typer(
    help="Customer Insights Platform: the daily pipeline (ADF -> Databricks -> Synapse) on one machine.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(source_app, name="source", help="The local stand-in for the on-premises SQL Server.")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"insights {version(DISTRIBUTION)}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Customer Insights Platform: the daily pipeline (ADF -> Databricks -> Synapse) on one machine."""


LakeOption = Annotated[Path, typer.Option("--lake", help="Lake folder (bronze/, silver/, gold/, control/).")]


def _currency(code: str) -> str:
    try:
        return check_currency(code)
    except CurrencyError as error:
        raise typer.BadParameter(str(error)) from None


CurrencyOption = Annotated[
    str,
    typer.Option(
        "--currency",
        envvar="INSIGHTS_CURRENCY",
        callback=_currency,
        help="ISO 4217 code revenue is shown in (the lake holds amounts, not a currency).",
    ),
]


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise typer.BadParameter(f"{value} is not a TCP port: use 1-65535, or 0 for any free port")
    return value


PortOption = Annotated[
    int, typer.Option("--port", callback=_port, help="Port on 127.0.0.1, 1-65535 (0 picks a free one).")
]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@app.command()
def run(
    source: Annotated[
        Path, typer.Option("--source", help="Source database (DuckDB, schema SalesLT).")
    ] = DEFAULT_SOURCE,
    lake: LakeOption = DEFAULT_LAKE,
    currency: CurrencyOption = DEFAULT_CURRENCY,
) -> None:
    """Run the daily master pipeline: extract changes to bronze, build silver and gold, show the KPIs."""
    _run_daily(source, lake, currency)


def _run_daily(source: Path, lake: Path, currency: str) -> None:
    """Run the pipeline once (generating the embedded sample on first use) and print what it did."""
    from insights.local import preflight
    from insights.local.lock import LakeBusyError
    from insights.local.source import generate
    from insights.local.source.db import SourceError

    if not source.exists():
        if source != DEFAULT_SOURCE:
            raise _fail(f"source database {source} does not exist (create one with `insights source generate`)")
        console.print(f"No source at {source}: generating the embedded sample (scale {DEFAULT_SCALE:g}, seed 42)…")
        source.parent.mkdir(parents=True, exist_ok=True)
        with progress_bar("generating", on=console) as progress:
            generate(source, scale=DEFAULT_SCALE, seed=42, progress=progress)
    try:
        preflight.check(source, lake)  # before the engines load: an unusable input is refused at once
    except (SourceError, preflight.LakeError) as error:
        raise _fail(str(error)) from None

    from insights.local.lake_check import LakeDamagedError
    from insights.local.pipeline import run_pipeline
    from insights.local.spark import JavaMissingError
    from insights.serving.kpis import KpiFilter, compute_kpis

    try:
        summary = run_pipeline(source, lake, console=console)
    except (JavaMissingError, LakeBusyError, SourceError, preflight.LakeError, LakeDamagedError) as error:
        raise _fail(str(error)) from None
    _print_summary(summary)
    if summary.status != "Succeeded":
        raise _fail(f"pipeline run {summary.run_id} failed: {summary.error}")
    _print_kpis(compute_kpis(lake, KpiFilter()), title="KPIs over all orders", currency=currency)


def _print_summary(summary) -> None:
    table = Table(title=f"Run {summary.run_id}: {summary.status} in {summary.total_seconds:.1f}s")
    table.add_column("stage")
    table.add_column("figures")
    table.add_column("seconds", justify="right")
    extracted = sum(summary.extracted.values())
    details = ", ".join(f"{name} {rows:,}" for name, rows in summary.extracted.items() if rows)
    stages = summary.stage_seconds
    table.add_row(
        "extract to bronze", f"{extracted:,} rows ({details or 'no changes'})", f"{stages.get('Extract Tables', 0):.1f}"
    )
    table.add_row("silver", _figures(summary.silver), f"{stages.get('Build Silver', 0):.1f}")
    table.add_row("commit watermarks", "", f"{stages.get('Commit Watermarks', 0):.1f}")
    table.add_row("gold", _figures(summary.gold), f"{stages.get('Build Gold', 0):.1f}")
    console.print(table)


def _figures(output) -> str:
    if not isinstance(output, dict):
        return "" if output is None else str(output)
    return ", ".join(
        f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}" for key, value in output.items()
    )


@app.command()
def repair(lake: LakeOption = DEFAULT_LAKE) -> None:
    """Check every file of the lake and rebuild what can be rebuilt: silver from bronze, gold from silver."""
    from insights.local.lock import LakeBusyError
    from insights.local.repair import repair as repair_lake

    if not lake.is_dir():
        raise _fail(f"lake folder {lake} does not exist")
    try:
        summary = repair_lake(lake, log=console.print)
    except LakeBusyError as error:
        raise _fail(str(error)) from None
    if not summary.damage:
        console.print(f"[green]No damage found[/green] in {lake}: nothing to repair")
        return
    console.print(
        f"[green]Repaired[/green] {len(summary.damage)} damaged or missing file(s); the originals are in "
        f"{summary.moved_to}. Next: `insights run --lake {lake}`"
    )


@app.command()
def kpis(
    lake: LakeOption = DEFAULT_LAKE,
    start: Annotated[str | None, typer.Option(help="First order date (YYYY-MM-DD), inclusive.")] = None,
    end: Annotated[str | None, typer.Option(help="Last order date (YYYY-MM-DD), inclusive.")] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(help=f"Top-level category: {', '.join(sorted(TOP_CATEGORIES))}; repeat for several."),
    ] = None,
    gender: Annotated[list[str] | None, typer.Option(help="Female, Male or Unknown; repeat for several.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPI document as JSON.")] = False,
    currency: CurrencyOption = DEFAULT_CURRENCY,
) -> None:
    """Print the KPIs for a filter (products sold, revenue, orders, customers, gender split)."""
    from insights.serving.kpis import KpiError, KpiFilter, compute_kpis

    try:
        filters = KpiFilter(
            start=_date("--start", start),
            end=_date("--end", end),
            categories=tuple(category or ()),
            genders=tuple(gender or ()),
        )
        document = compute_kpis(lake, filters)
    except KpiError as error:
        raise _fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(document))
        return
    _print_kpis(document, title="KPIs", currency=currency)


def _print_kpis(document: dict, title: str, currency: str) -> None:
    """The KPI document as a table; counts and revenue with thousands separators, as on the dashboard."""
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_row("products sold", f"{document['products_sold']:,}")
    table.add_row("revenue", money_text(document["revenue"], currency))
    table.add_row("orders", f"{document['orders']:,}")
    table.add_row("customers", f"{document['customers']:,}")
    for gender_name, count in document["customers_by_gender"].items():
        share = count / document["customers"] if document["customers"] else 0
        table.add_row(f"customers {gender_name}", f"{count:,} ({share:.1%})")
    for row in document["by_category"]:
        table.add_row(f"revenue {row['category']}", money_text(row["revenue"], currency))
    Console().print(table)


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


@app.command()
def dashboard(
    lake: Annotated[
        Path | None, typer.Option("--lake", help="Lake folder whose gold the local views read (default data/lake).")
    ] = None,
    port: PortOption = 8050,
    serving: Annotated[
        str | None,
        typer.Option(
            "--serving", help="local (DuckDB views over --lake) or synapse (default: $INSIGHTS_SERVING or local)."
        ),
    ] = None,
    workspace: Annotated[str | None, typer.Option(help="Synapse workspace name, for --serving synapse.")] = None,
    database: Annotated[
        str | None, typer.Option(help="Serverless database, for --serving synapse (default insights).")
    ] = None,
    currency: CurrencyOption = DEFAULT_CURRENCY,
) -> None:
    """Serve the KPI dashboard on 127.0.0.1 and print its URL (Ctrl-C stops it)."""
    from insights.serving.config import ServingConfig
    from insights.serving.local import ServingError

    try:
        config = ServingConfig.from_env(kind=serving, lake=lake, workspace=workspace, database=database)
    except ServingError as error:
        raise _fail(str(error)) from None
    _serve_dashboard(config, port, currency)


@app.command()
def demo(
    source: Annotated[
        Path, typer.Option("--source", help="Source database (generated at scale 1 if missing).")
    ] = DEFAULT_SOURCE,
    lake: LakeOption = DEFAULT_LAKE,
    port: PortOption = 8050,
    currency: CurrencyOption = DEFAULT_CURRENCY,
) -> None:
    """The platform on one machine: a sample source, the daily pipeline, then the dashboard at a local URL."""
    from insights.serving.config import ServingConfig

    ensure_installed("dash")  # the dashboard comes last: say what is missing before the pipeline runs
    console.print(f"1/2 Pipeline: {source} -> bronze -> silver -> gold in {lake}")
    _run_daily(source, lake, currency)
    console.print("2/2 Dashboard:")
    _serve_dashboard(ServingConfig(kind="local", lake=lake), port, currency)


def _serve_dashboard(config, port: int, currency: str) -> None:
    from insights.serving.config import open_source
    from insights.serving.local import ServingError

    ensure_installed("dash")  # before the checks below: a missing extra is the first thing to fix

    # azure-identity logs its whole credential chain as a warning when sign-in fails; the error below says it
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    try:
        source = open_source(config)
        console.print(
            f"Reading the serving views: {source.label}" + (f" ({config.lake})" if config.kind == "local" else "")
        )
        source.execute("SELECT 1")  # sign-in, reachability, the gold tables: fail before the dashboard loads
        from dashboard import DashboardServer, create_app

        server = DashboardServer(create_app(source, currency), port=port)
    except ServingError as error:
        raise _fail(str(error)) from None
    except OSError as error:
        raise _fail(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}") from None
    console.print(f"[green]Dashboard ready:[/green] {server.url}  (Ctrl-C to stop)")
    typer.echo(server.url)
    try:
        server.serve_forever()  # returns on Ctrl-C (werkzeug's server catches KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    console.print("Stopped.")


register_operations(app)  # plan, deploy, destroy: the Azure side


def main(argv: list[str] | None = None) -> None:
    """The `insights` command; a missing optional dependency ends in one line naming the extra to install."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args)
    except ModuleNotFoundError as error:
        words = list(itertools.takewhile(lambda arg: not arg.startswith("-"), args))
        message = missing_module_message(error, " ".join(["insights", *words]))
        if message is None:
            raise
        console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        raise SystemExit(1) from None
