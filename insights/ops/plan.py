"""`insights plan`: what a stack would deploy, worked out offline, for reviewers without cloud access.

`build_plan(stack)` runs `infra/__main__.py` under Pulumi's mocks with the stack's `Pulumi.<stack>.yaml`
(`infra.offline`), runs the policy pack's policies over what it declared (`infra.policies.evaluate`) and
checks the config file for secrets kept in plain text. The result is one JSON-ready document:

- `resources`: each with a `key` (its URN without stack and project, so plans of two stacks or two
  commits line up), type, name, parent, what it depends on, its key properties and every input (secrets
  shown as `[secret]`, long texts such as SQL scripts or the wheel's bytes as a digest);
- `policies` and `configProblems`; `outputs` (secret ones masked); a `summary`.

`diff_plans(old, new)` compares two plans: resources added, removed and modified (each changed input by
its path). `render_plan` and `render_diff` draw them for people with rich.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from infra.offline import SECRET_SIG, run_program, stack_config
from infra.paths import REPO_ROOT
from infra.policies import plain_secrets_in_config
from infra.policies.evaluate import evaluate
from infra.roles import role_of
from infra.settings import NAMESPACE, SECRET_KEYS, ConfigError, read_stack, stack_file_config

PLAN_FORMAT = 1
SECRET = "[secret]"
LONG_TEXT = 1000  # strings longer than this are shown as a digest
OFFLINE_SECRET = "offline-placeholder-secret"


class PlanError(Exception):
    """The plan cannot be made or read; the message says why."""


# What a reviewer wants to see of each type at a glance (every input is in `properties` anyway).
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:storage:StorageAccount": (
        "accountName", "sku.name", "isHnsEnabled", "allowBlobPublicAccess", "allowSharedKeyAccess",
        "minimumTlsVersion", "enableHttpsTrafficOnly",
    ),
    "azure-native:storage:BlobContainer": ("containerName", "publicAccess"),
    "azure-native:storage:ManagementPolicy": ("managementPolicyName",),
    "azure-native:keyvault:Vault": (
        "vaultName", "properties.enableRbacAuthorization", "properties.enableSoftDelete",
        "properties.enablePurgeProtection", "properties.softDeleteRetentionInDays",
    ),
    "azure-native:keyvault:Secret": ("secretName", "properties.value"),
    "azure-native:datafactory:Factory": ("factoryName", "identity.type"),
    "azure-native:datafactory:IntegrationRuntime": ("integrationRuntimeName", "properties.type"),
    "azure-native:datafactory:LinkedService": ("linkedServiceName", "properties.type"),
    "azure-native:datafactory:Dataset": ("datasetName", "properties.type"),
    "azure-native:datafactory:Pipeline": ("pipelineName",),
    "azure-native:datafactory:Trigger": (
        "triggerName", "properties.recurrence.schedule", "properties.recurrence.timeZone",
    ),
    "azure-native:databricks:Workspace": ("workspaceName", "sku.name"),
    "azure-native:databricks:AccessConnector": ("connectorName",),
    "azure-native:synapse:Workspace": ("workspaceName", "azureADOnlyAuthentication"),
    "azure-native:synapse:IpFirewallRule": ("ruleName", "startIpAddress", "endIpAddress"),
    "azure-native:synapse:WorkspaceSqlAadAdmin": ("login", "administratorType"),
    "azure-native:authorization:RoleAssignment": ("role", "scope", "principalType"),
    "azure-native:operationalinsights:Workspace": ("workspaceName", "retentionInDays"),
    "azure-native:monitor:DiagnosticSetting": ("name", "resourceUri"),
    "azure-native:monitor:ActionGroup": ("actionGroupName",),
    "azure-native:monitor:MetricAlert": ("ruleName", "severity"),
    "databricks:index/job:Job": ("name", "maxConcurrentRuns"),
    "databricks:index/workspaceFile:WorkspaceFile": ("path",),
    "databricks:index/storageCredential:StorageCredential": ("name",),
    "databricks:index/externalLocation:ExternalLocation": ("name", "url"),
    "random:index/randomString:RandomString": ("length",),
    "pulumi-python:dynamic:Resource": ("server", "database"),
}  # fmt: skip


# --- building a plan ---------------------------------------------------------------------------


def resource_key(urn: str) -> str:
    """A URN without `urn:pulumi:<stack>::<project>::`: the same resource in two stacks has one key."""
    parts = urn.split("::", 2)
    key = parts[2] if len(parts) == 3 else urn
    return key.removeprefix("pulumi:pulumi:Stack$")


def _digest(text: str) -> str:
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()[:16]} ({len(text):,} chars)"


def _plain_number(item: Any) -> Any:
    if isinstance(item, float) and item.is_integer():
        return int(item)
    return item


def sanitize(inputs: Any, wire: Any) -> Any:
    """`inputs` with each secret (as marked on the wire) replaced by `[secret]` and long texts by a digest."""
    if isinstance(wire, Mapping) and SECRET_SIG in wire:
        return SECRET
    if isinstance(inputs, Mapping):
        wire_map = wire if isinstance(wire, Mapping) else {}
        return {key: sanitize(item, wire_map.get(key)) for key, item in sorted(inputs.items())}
    if isinstance(inputs, list | tuple):
        wire_list = wire if isinstance(wire, list) else []
        return [sanitize(item, wire_list[i] if i < len(wire_list) else None) for i, item in enumerate(inputs)]
    if isinstance(inputs, str) and len(inputs) > LONG_TEXT:
        return _digest(inputs)
    return _plain_number(inputs)


def _at(properties: Mapping[str, Any], path: str) -> Any:
    current: Any = properties
    for step in path.split("."):
        if not isinstance(current, Mapping) or step not in current:
            return None
        current = current[step]
    return current


def _role_name(definition: Any) -> str | None:
    if not isinstance(definition, str):
        return None
    role = role_of(definition)
    return role.name if role else definition.rstrip("/").rsplit("/", 1)[-1].lower()


def key_properties(typ: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    if typ == "azure-native:authorization:RoleAssignment":
        properties = {**properties, "role": _role_name(properties.get("roleDefinitionId"))}
    paths = KEY_PROPERTIES.get(typ)
    if paths is None:  # an unlisted type: its names and a few plain values
        names = [k for k in properties if k.lower().endswith("name")]
        scalars = [k for k, v in properties.items() if isinstance(v, str | int | float | bool) and k not in names]
        paths = tuple(names + scalars)[:4]
    return {path: _at(properties, path) for path in paths if _at(properties, path) is not None}


def offline_secrets(stack: str, root: Path) -> dict[str, str]:
    """Placeholders for the stack's secret config keys that are encrypted (or not set): mocks cannot decrypt.

    A secret key written in plain text is left alone, so the program's own check still rejects it.
    """
    plain = stack_config(stack, root)
    return {key: OFFLINE_SECRET for key in sorted(SECRET_KEYS) if f"{NAMESPACE}:{key}" not in plain}


def build_plan(
    stack: str,
    root: Path | None = None,
    say: Callable[[str], None] = lambda _: None,
    artifacts_root: Path | None = None,
) -> dict[str, Any]:
    """Run the program for `stack` under mocks and return the plan document (see the module's docstring)."""
    root = root or REPO_ROOT
    try:
        read_stack(stack, root)
        config_problems = plain_secrets_in_config(stack_file_config(stack, root))
    except ConfigError as exc:
        raise PlanError(str(exc)) from None
    say(f"Running infra/__main__.py for stack {stack} under Pulumi's mocks (no cloud, no credentials)…")
    try:
        # The program and the wheel build may print; keep stdout for the plan itself (--json).
        with contextlib.redirect_stdout(sys.stderr):
            run = run_program(
                stack,
                config=stack_config(stack, root),
                secrets=offline_secrets(stack, root),
                artifacts_root=artifacts_root,
            )
    except Exception as exc:  # the program rejected an artifact or failed: say what, not where
        raise PlanError(f"the program failed for stack {stack!r}: {type(exc).__name__}: {exc}") from exc
    say(f"Declared {len(run.resources)} resources; checking them against the policy pack…")
    results = evaluate(run.resources)

    keys = {r.urn: resource_key(r.urn) for r in run.resources}
    resources = []
    for r in run.resources:
        properties = sanitize(r.inputs, r.wire)
        resources.append(
            {
                "key": keys[r.urn],
                "type": r.type,
                "name": r.name,
                "parent": keys.get(r.parent),
                "dependsOn": sorted(keys[u] for u in r.dependencies if u in keys),
                "keyProperties": key_properties(r.type, properties),
                "properties": properties,
            }
        )
    outputs = {
        name: SECRET if name in run.secret_outputs else _plain_number(value)
        for name, value in sorted(run.outputs.items())
    }
    failed = [r for r in results if not r.passed]
    return {
        "format": PLAN_FORMAT,
        "project": NAMESPACE,
        "stack": stack,
        "resources": resources,
        "outputs": outputs,
        "policies": [r.to_dict() for r in results],
        "configProblems": config_problems,
        "summary": {
            "resources": len(resources),
            "byType": dict(sorted(Counter(r["type"] for r in resources).items())),
            "policies": len(results),
            "policiesFailed": len(failed),
            "violations": sum(len(r.violations) for r in results),
            "mandatoryViolations": sum(len(r.violations) for r in results if r.enforcement == "mandatory"),
            "configProblems": len(config_problems),
        },
    }


def plan_passes(plan: Mapping[str, Any]) -> bool:
    summary = plan["summary"]
    return summary["mandatoryViolations"] == 0 and summary["configProblems"] == 0


def load_plan(path: Path) -> dict[str, Any]:
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{path} does not exist (save a plan with `insights plan --stack S --out {path}`)") from None
    except json.JSONDecodeError as exc:
        raise PlanError(f"{path} is not a plan: not JSON ({exc})") from None
    if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT or not isinstance(plan.get("resources"), list):
        raise PlanError(f"{path} is not a plan of format {PLAN_FORMAT} (made by `insights plan --json`)")
    return plan


# --- comparing plans ---------------------------------------------------------------------------


def flatten(item: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf value by its path (`properties.recurrence.schedule.hours[0]`); empty containers are leaves."""
    if isinstance(item, Mapping) and item:
        out: dict[str, Any] = {}
        for key, child in item.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(item, list) and item:
        out = {}
        for index, child in enumerate(item):
            out.update(flatten(child, f"{prefix}[{index}]"))
        return out
    return {prefix: item}


def diff_plans(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What `new` adds, removes and modifies compared with `old`, resource by resource."""
    before = {r["key"]: r for r in old["resources"]}
    after = {r["key"]: r for r in new["resources"]}

    def brief(resource: Mapping[str, Any]) -> dict[str, Any]:
        return {"key": resource["key"], "type": resource["type"], "name": resource["name"]}

    modified = []
    for key in sorted(set(before) & set(after)):
        old_props, new_props = flatten(before[key]["properties"]), flatten(after[key]["properties"])
        changes = [
            {"path": path, "old": old_props.get(path), "new": new_props.get(path)}
            for path in sorted(set(old_props) | set(new_props))
            if old_props.get(path, _ABSENT) != new_props.get(path, _ABSENT)
        ]
        old_deps, new_deps = set(before[key]["dependsOn"]), set(after[key]["dependsOn"])
        if changes or old_deps != new_deps:
            modified.append(
                {
                    **brief(after[key]),
                    "changes": changes,
                    "dependenciesAdded": sorted(new_deps - old_deps),
                    "dependenciesRemoved": sorted(old_deps - new_deps),
                }
            )
    added = [brief(after[k]) for k in sorted(set(after) - set(before))]
    removed = [brief(before[k]) for k in sorted(set(before) - set(after))]
    return {
        "from": {"stack": old.get("stack")},
        "to": {"stack": new.get("stack")},
        "added": added,
        "removed": removed,
        "modified": modified,
        "summary": {
            "added": len(added),
            "removed": len(removed),
            "modified": len(modified),
            "unchanged": len(set(before) & set(after)) - len(modified),
        },
    }


_ABSENT = object()


# --- drawing -----------------------------------------------------------------------------------


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
        f"policies {passed}/{summary['policies']} passed, {summary['violations']} violation(s)"
    )
    if summary["configProblems"]:
        text += f"; {summary['configProblems']} plain-text secret(s) in Pulumi.{plan['stack']}.yaml"
    return text


def violations(plan: Mapping[str, Any]) -> Iterable[str]:
    for result in plan["policies"]:
        if result["enforcement"] == "mandatory":
            for v in result["violations"]:
                yield f"{result['policy']}: {v['resource'] or 'the stack'}: {v['message']}"
    for problem in plan["configProblems"]:
        yield f"config: {problem}"
