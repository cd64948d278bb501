"""The operator's commands of `insights`: `plan`, `deploy`, `destroy`.

`insights/cli.py` adds them with one line, `register(app)`. Progress goes to standard error; with
`--json`, `plan` prints its document (and nothing else) on standard output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

StackOption = Annotated[str, typer.Option("--stack", "-s", help="The stack (environment): Pulumi.<stack>.yaml.")]


def _console() -> Console:
    return Console(stderr=True, emoji=False, highlight=False, soft_wrap=True)


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code=1)


def plan(
    stack: StackOption,
    against: Annotated[
        Path | None, typer.Option("--against", help="A saved plan (`--out` or `--json`) to compare with.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON on standard output.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Also save the plan as JSON to this file.")] = None,
) -> None:
    """Preview a stack offline: its resources, what each depends on, and the policy results (no cloud access)."""
    from insights.ops.plan import (
        PlanError,
        build_plan,
        diff_plans,
        load_plan,
        plan_passes,
        render_diff,
        render_plan,
        summary_line,
    )

    console = _console()
    try:
        previous = load_plan(against) if against else None
        console.print(f"Planning stack {stack} offline from Pulumi.{stack}.yaml…", markup=False)
        document = build_plan(stack, say=lambda text: console.print(text, markup=False))
    except PlanError as exc:
        raise _fail(console, str(exc)) from None
    if previous is not None:
        console.print(f"Comparing with {against}…", markup=False)
        document["diff"] = diff_plans(previous, document)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        console.print(f"Plan saved to {out}", markup=False)
    if as_json:
        sys.stdout.write(json.dumps(document, indent=1, sort_keys=True) + "\n")
    else:
        screen = Console(emoji=False, highlight=False)
        if previous is not None:
            render_diff(document["diff"], screen, str(against))
            render_plan(document, screen, show_resources=False)
        else:
            render_plan(document, screen)
    console.print(summary_line(document), markup=False)
    if not plan_passes(document):
        raise _fail(console, f"stack {stack} breaks the security baseline (mandatory policies above)")


def deploy(
    stack: StackOption,
    smoke: Annotated[bool, typer.Option("--smoke/--no-smoke", help="Run the smoke test after the deploy.")] = True,
    smoke_timeout: Annotated[
        int, typer.Option("--smoke-timeout", help="Minutes to wait for the smoke test's pipeline run.")
    ] = 60,
) -> None:
    """Deploy a stack: preflight, stop triggers, pulumi up (with the policy pack), start triggers, smoke test."""
    from insights.ops.deploy import OpsFailure, Timing
    from insights.ops.deploy import deploy as run_deploy

    console = _console()
    try:
        timing = Timing(smoke_timeout_seconds=smoke_timeout * 60)
        report = run_deploy(stack, _operator(console), smoke=smoke, timing=timing)
    except OpsFailure as exc:
        raise _fail(console, str(exc)) from None
    console.print(
        f"deployed stack {stack}: triggers stopped {report.stopped or 'none'}, started {report.started or 'none'}; "
        f"smoke test {report.smoke}",
        markup=False,
    )


def destroy(
    stack: StackOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    keep_vault: Annotated[
        bool, typer.Option("--keep-vault", help="Leave the vault soft-deleted instead of purging it.")
    ] = False,
    allow_production: Annotated[
        bool, typer.Option("--allow-production", help="Needed to destroy a production stack.")
    ] = False,
) -> None:
    """Destroy a stack: stop triggers, pulumi destroy, purge the soft-deleted vault where config allows it."""
    from insights.ops.deploy import OpsFailure
    from insights.ops.deploy import destroy as run_destroy

    console = _console()
    if not yes:
        if not sys.stdin.isatty():
            raise _fail(console, "destroy needs --yes when it cannot ask (no terminal); nothing was changed")
        answer = typer.prompt(f"This deletes every resource of stack {stack}. Type the stack's name to go on")
        if answer.strip() != stack:
            raise _fail(console, "not confirmed; nothing was changed")
    try:
        report = run_destroy(stack, _operator(console), purge_vault=not keep_vault, allow_production=allow_production)
    except OpsFailure as exc:
        raise _fail(console, str(exc)) from None
    purged = f"vault {report.purged_vault} purged" if report.purged_vault else "no vault purged"
    console.print(f"destroyed stack {stack}; {purged}", markup=False)


def _operator(console: Console):
    from insights.ops.azure import AzureSdkClient
    from insights.ops.deploy import Operator
    from insights.ops.pulumi_cli import PulumiCli

    return Operator(
        azure=AzureSdkClient(),
        pulumi=PulumiCli(),
        say=lambda text: console.print(text, markup=False),
        warn=lambda text: console.print(f"[yellow]warning:[/yellow] {text}", soft_wrap=True),
    )


def register(app: typer.Typer) -> None:
    """Add `plan`, `deploy` and `destroy` to the `insights` app."""
    app.command("plan")(plan)
    app.command("deploy")(deploy)
    app.command("destroy")(destroy)
