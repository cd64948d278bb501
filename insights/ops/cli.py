"""The operator's commands of `insights`: `plan`, `deploy`, `destroy`, `cloud run|runtime-key|triggers`,
and how a plan is drawn for people.

`insights/cli.py` adds them with one line, `register(app)`. Progress goes to standard error; with
`--json`, `plan` prints its document (and nothing else) on standard output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

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
    from insights.ops.plan import PlanError, build_plan, load_plan, plan_passes
    from insights.ops.plan_diff import diff_plans
    from insights.ops.powerbi import describe_plan

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
        for line in describe_plan(document.get("powerbi"), stack):
            screen.print(line, markup=False)
    console.print(summary_line(document), markup=False)
    if not plan_passes(document):
        raise _fail(console, f"stack {stack} breaks the security baseline or loses input keys (see above)")


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
        f"Power BI {report.powerbi}; smoke test {report.smoke}",
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


cloud = typer.Typer(no_args_is_help=True, help="One step against a deployed stack: run, runtime-key, triggers.")


@cloud.command("run")
def cloud_run(
    stack: StackOption,
    timeout: Annotated[int, typer.Option("--timeout", help="Minutes to wait for the run to end.")] = 60,
) -> None:
    """Run the master pipeline once in the stack's Data Factory and follow its activities to the end."""
    from insights.ops.cloud import run_master
    from insights.ops.deploy import OpsFailure, Timing

    console = _console()
    try:
        result = run_master(stack, _operator(console), Timing(smoke_timeout_seconds=timeout * 60))
    except OpsFailure as exc:
        raise _fail(console, str(exc)) from None
    run = result.run
    console.print(
        f"run {run.run_id} succeeded in {run.seconds:.0f}s: {len(run.activities)} activities ended", markup=False
    )


@cloud.command("runtime-key")
def cloud_runtime_key(stack: StackOption) -> None:
    """Print the self-hosted integration runtime's auth key (register a node with it)."""
    from insights.ops.cloud import runtime_key
    from insights.ops.deploy import OpsFailure

    console = _console()
    try:
        key = runtime_key(stack, _operator(console))
    except OpsFailure as exc:
        raise _fail(console, str(exc)) from None
    console.print("auth key of the self-hosted integration runtime (a secret: paste it into the node's setup):")
    sys.stdout.write(key + "\n")


@cloud.command("triggers")
def cloud_triggers(
    action: Annotated[str, typer.Argument(help="stop (every started trigger) or start (where config enables).")],
    stack: StackOption,
) -> None:
    """Stop or start the factory's triggers, as `insights deploy` does around `pulumi up`."""
    from insights.ops.cloud import switch_triggers
    from insights.ops.deploy import OpsFailure, Timing

    console = _console()
    if action not in ("stop", "start"):
        raise _fail(console, f"unknown action {action!r}: use stop or start")
    try:
        names = switch_triggers(stack, _operator(console), action, Timing())
    except OpsFailure as exc:
        raise _fail(console, str(exc)) from None
    console.print(f"triggers {'stopped' if action == 'stop' else 'started'}: {names or 'none'}", markup=False)


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
    """Add `plan`, `deploy`, `destroy` and `cloud` to the `insights` app."""
    app.command("plan")(plan)
    app.command("deploy")(deploy)
    app.command("destroy")(destroy)
    app.add_typer(cloud, name="cloud")


# --- drawing a plan and a diff ------------------------------------------------------------------


def _show(item: Any, width: int = 60) -> str:
    text = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
    if len(text) <= width:
        return text
    if text.startswith("/subscriptions/"):  # an Azure id: its end says what it is
        return "…" + text[-(width - 1) :]
    return text[: width - 1] + "…"


def _label(resource: Mapping[str, Any], prefix: Text | None = None) -> Text:
    # Text, not markup: a type such as `insights:factory:Factory` must not turn into an emoji.
    label = Text.assemble((resource["name"], "bold"), " ", (resource["type"], "dim"))
    return Text.assemble(prefix, label) if prefix else label


def render_plan(plan: Mapping[str, Any], console: Console, show_resources: bool = True) -> None:
    by_key = {r["key"]: r for r in plan["resources"]}
    names = {k: r["name"] for k, r in by_key.items()}
    if show_resources:
        children: dict[str | None, list[Mapping[str, Any]]] = {}
        for resource in plan["resources"]:
            parent = resource["parent"] if resource["parent"] in by_key else None
            children.setdefault(parent, []).append(resource)
        tree = Tree(Text.assemble((f"Stack {plan['stack']}", "bold"), f": {plan['summary']['resources']} resources"))

        def add(node: Tree, parent: str | None) -> None:
            for resource in children.get(parent, []):
                branch = node.add(_label(resource))
                props = "  ".join(f"{k}={_show(v, 64)}" for k, v in resource["keyProperties"].items())
                if props:
                    branch.add(Text(props, "cyan"))
                own_parent = resource["parent"]
                deps = [names.get(d, d) for d in resource["dependsOn"] if d != own_parent]
                if deps:
                    branch.add(Text(f"depends on: {', '.join(deps)}", "dim"))
                add(branch, resource["key"])

        add(tree, None)
        console.print(tree)
    render_policies(plan, console)


def render_policies(plan: Mapping[str, Any], console: Console) -> None:
    table = Table(title=f"Policies ({plan['stack']})", title_justify="left")
    table.add_column("policy")
    table.add_column("level")
    table.add_column("checked", justify="right")
    table.add_column("result")
    for result in plan["policies"]:
        count = len(result["violations"])
        verdict = Text("pass", "green") if result["passed"] else Text(f"{count} violation(s)", "red")
        table.add_row(result["policy"], result["enforcement"], str(result["checked"]), verdict)
    console.print(table)
    for result in plan["policies"]:
        for violation in result["violations"]:
            where = violation["resource"] or "the stack"
            console.print(Text.assemble(("  ✗ ", "red"), f"{result['policy']}: {where}: {violation['message']}"))
    for problem in plan["configProblems"]:
        console.print(Text.assemble(("  ✗ ", "red"), f"config: {problem}"))
    for key in plan["droppedKeys"]:
        console.print(
            Text.assemble(("  ✗ ", "red"), f"dropped key: {key['resource']}: {key['path']}: {key['problem']}")
        )


def render_diff(diff: Mapping[str, Any], console: Console, against: str) -> None:
    summary = diff["summary"]
    tree = Tree(Text(f"Changes against {against}", "bold"))
    for resource in diff["added"]:
        tree.add(_label(resource, Text("+ add ", "green")))
    for resource in diff["removed"]:
        tree.add(_label(resource, Text("- remove ", "red")))
    for resource in diff["modified"]:
        branch = tree.add(_label(resource, Text("~ modify ", "yellow")))
        for change in resource["changes"][:20]:
            old, new = change["old"], change["new"]
            branch.add(Text(f"{change['path']}: {_show(old, 40)} → {_show(new, 40)}"))
        if len(resource["changes"]) > 20:
            branch.add(Text(f"… and {len(resource['changes']) - 20} more changed inputs (see --json)"))
        for dep in resource["dependenciesAdded"]:
            branch.add(Text(f"now depends on {dep}"))
        for dep in resource["dependenciesRemoved"]:
            branch.add(Text(f"no longer depends on {dep}"))
    if not (diff["added"] or diff["removed"] or diff["modified"]):
        tree.add("no change")
    console.print(tree)
    console.print(
        f"{summary['added']} to add, {summary['removed']} to remove, {summary['modified']} to modify, "
        f"{summary['unchanged']} unchanged"
    )


def summary_line(plan: Mapping[str, Any]) -> str:
    summary = plan["summary"]
    passed = summary["policies"] - summary["policiesFailed"]
    text = (
        f"stack {plan['stack']}: {summary['resources']} resources; "
        f"policies {passed}/{summary['policies']} passed, {summary['violations']} violation(s); "
        f"{summary['droppedKeys']} input key(s) the providers would drop"
    )
    if summary["configProblems"]:
        text += f"; {summary['configProblems']} plain-text secret(s) in Pulumi.{plan['stack']}.yaml"
    return text
