"""The plan of `insights plan`: what a stack would deploy, worked out offline, for reviewers without cloud access.

`build_plan(stack)` runs `infra/__main__.py` under Pulumi's mocks with the stack's `Pulumi.<stack>.yaml`
(`infra.offline`), runs the policy pack's policies over what it declared (`infra.policies.evaluate`) and
checks the config file for secrets kept in plain text. The result is one JSON-ready document:

- `resources`: each with a `key` (its URN without stack and project, so plans of two stacks or two
  commits line up), type, name, parent, what it depends on, its key properties and every input (secrets
  shown as `[secret]`, long texts such as SQL scripts or the wheel's bytes as a digest);
- `policies` and `configProblems`; `droppedKeys`: every input key the provider SDK's types do not know,
  which the provider would drop on its way to Azure (`infra.wire`); `outputs` (secret ones masked); a
  `summary`;
- `powerbi`: what the deploy would publish to the stack's Power BI workspace (insights/ops/powerbi.py), or
  null when the stack names none; its parameter values are the offline outputs'.

Comparing two plans is `insights/ops/plan_diff.py`; drawing them for people is the command's
(`insights/ops/cli.py`).
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

from infra.offline import SECRET_SIG, run_program, stack_config
from infra.paths import REPO_ROOT
from infra.policies import plain_secrets_in_config
from infra.policies.evaluate import evaluate
from infra.roles import role_of
from infra.settings import NAMESPACE, SECRET_KEYS, ConfigError, read_stack, stack_file_config
from infra.wire import unknown_keys
from insights.ops.powerbi import PowerBiError, publish_plan

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
        settings = read_stack(stack, root)
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
    try:
        powerbi = publish_plan(settings, stack, run.outputs)  # with the offline outputs' values
    except PowerBiError as exc:
        raise PlanError(str(exc)) from None

    keys = {r.urn: resource_key(r.urn) for r in run.resources}
    dropped = [
        {"resource": keys[r.urn], "path": key.path, "problem": key.problem}
        for r in run.resources
        for key in unknown_keys(r.type, r.inputs)
    ]
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
        "droppedKeys": dropped,
        "powerbi": powerbi,
        "summary": {
            "resources": len(resources),
            "byType": dict(sorted(Counter(r["type"] for r in resources).items())),
            "policies": len(results),
            "policiesFailed": len(failed),
            "violations": sum(len(r.violations) for r in results),
            "mandatoryViolations": sum(len(r.violations) for r in results if r.enforcement == "mandatory"),
            "configProblems": len(config_problems),
            "droppedKeys": len(dropped),
        },
    }


def plan_passes(plan: Mapping[str, Any]) -> bool:
    summary = plan["summary"]
    return summary["mandatoryViolations"] == 0 and summary["configProblems"] == 0 and summary["droppedKeys"] == 0


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


def violations(plan: Mapping[str, Any]) -> Iterable[str]:
    for result in plan["policies"]:
        if result["enforcement"] == "mandatory":
            for v in result["violations"]:
                yield f"{result['policy']}: {v['resource'] or 'the stack'}: {v['message']}"
    for problem in plan["configProblems"]:
        yield f"config: {problem}"
    for key in plan["droppedKeys"]:
        yield f"dropped key: {key['resource']}: {key['path']}: {key['problem']}"
