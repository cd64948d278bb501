"""Run the Pulumi program offline, under Pulumi's mocks: no CLI, no cloud, no credentials.

`run_program(stack)` reads `Pulumi.<stack>.yaml`, runs `infra/__main__.py` with Pulumi's mock monitor,
and returns every resource the program declared, with its inputs exactly as they would go on the wire
to the providers, its parent and its dependencies, plus the stack outputs. The tests use it; a
reviewer without cloud access can use it to see what a stack would deploy.

The mocks answer the few values Azure computes (ids, identities' principal ids, endpoints) with
deterministic stand-ins derived from the resources' names, so two runs give identical results.
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS, set_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.paths import REPO_ROOT, ROOT_ENV
from infra.settings import NAMESPACE, engine_config, stack_file_config

PROGRAM = REPO_ROOT / "infra" / "__main__.py"
SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
TENANT_ID = "00000000-0000-4000-8000-000000000002"
DEPLOYER_OBJECT_ID = "00000000-0000-4000-8000-000000000003"
RANDOM_SUFFIX = "k3x9q"

# azure-native type -> (input holding the physical name, ARM provider path under the parent id)
_ARM = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", None),
    "azure-native:storage:StorageAccount": ("accountName", "Microsoft.Storage/storageAccounts"),
    "azure-native:storage:BlobContainer": ("containerName", "blobServices/default/containers"),
    "azure-native:storage:ManagementPolicy": ("managementPolicyName", "managementPolicies"),
    "azure-native:keyvault:Vault": ("vaultName", "Microsoft.KeyVault/vaults"),
    "azure-native:keyvault:Secret": ("secretName", "secrets"),
    "azure-native:datafactory:Factory": ("factoryName", "Microsoft.DataFactory/factories"),
    "azure-native:datafactory:IntegrationRuntime": ("integrationRuntimeName", "integrationruntimes"),
    "azure-native:datafactory:LinkedService": ("linkedServiceName", "linkedservices"),
    "azure-native:datafactory:Dataset": ("datasetName", "datasets"),
    "azure-native:datafactory:Pipeline": ("pipelineName", "pipelines"),
    "azure-native:datafactory:Trigger": ("triggerName", "triggers"),
    "azure-native:databricks:Workspace": ("workspaceName", "Microsoft.Databricks/workspaces"),
    "azure-native:databricks:AccessConnector": ("connectorName", "Microsoft.Databricks/accessConnectors"),
    "azure-native:synapse:Workspace": ("workspaceName", "Microsoft.Synapse/workspaces"),
    "azure-native:synapse:IpFirewallRule": ("ruleName", "firewallRules"),
    "azure-native:synapse:WorkspaceSqlAadAdmin": (None, "sqlAdministrators/activeDirectory"),
    "azure-native:operationalinsights:Workspace": ("workspaceName", "Microsoft.OperationalInsights/workspaces"),
    "azure-native:insights:ActionGroup": ("actionGroupName", "Microsoft.Insights/actionGroups"),
    "azure-native:monitor:ActionGroup": ("actionGroupName", "Microsoft.Insights/actionGroups"),
    "azure-native:monitor:MetricAlert": ("ruleName", "Microsoft.Insights/metricAlerts"),
}
# Child resources: the input naming their parent, and the parent's type.
_PARENT = {
    "azure-native:storage:BlobContainer": ("accountName", "azure-native:storage:StorageAccount"),
    "azure-native:storage:ManagementPolicy": ("accountName", "azure-native:storage:StorageAccount"),
    "azure-native:keyvault:Secret": ("vaultName", "azure-native:keyvault:Vault"),
    "azure-native:datafactory:IntegrationRuntime": ("factoryName", "azure-native:datafactory:Factory"),
    "azure-native:datafactory:LinkedService": ("factoryName", "azure-native:datafactory:Factory"),
    "azure-native:datafactory:Dataset": ("factoryName", "azure-native:datafactory:Factory"),
    "azure-native:datafactory:Pipeline": ("factoryName", "azure-native:datafactory:Factory"),
    "azure-native:datafactory:Trigger": ("factoryName", "azure-native:datafactory:Factory"),
    "azure-native:synapse:IpFirewallRule": ("workspaceName", "azure-native:synapse:Workspace"),
    "azure-native:synapse:WorkspaceSqlAadAdmin": ("workspaceName", "azure-native:synapse:Workspace"),
}
_WITH_IDENTITY = {
    "azure-native:datafactory:Factory",
    "azure-native:databricks:AccessConnector",
    "azure-native:synapse:Workspace",
}


# How the Pulumi wire format marks a secret value: `{SECRET_SIG: ..., "value": ...}`.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def unwrap_secrets(value: Any) -> Any:
    """The value with every secret marker removed, as a provider that does not accept secrets gets it."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return unwrap_secrets(value.get("value"))
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def _stable_uuid(text: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"insights-offline:{text}"))


def _number(text: str) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest()[:12], 16))


@dataclass
class Resource:
    type: str
    name: str  # the logical (Pulumi) name
    urn: str
    inputs: dict[str, Any]  # as the provider receives them, secrets unwrapped
    wire: dict[str, Any]  # the serialized inputs, secrets still wrapped
    parent: str
    dependencies: list[str]
    provider: str
    id: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    # input name -> the URNs its value was computed from (what the engine hands a policy pack)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # what `pulumi destroy` does with it: skip its delete when this URN's resource is deleted too, or never
    # call its delete at all
    deleted_with: str = ""
    retain_on_delete: bool = False


@dataclass
class Run:
    resources: list[Resource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    invokes: list[str] = field(default_factory=list)  # the token of every provider function the program called

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Resource:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {typ} {name or ''}, found {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(urn)

    def canonical(self) -> str:
        """Every resource's wire inputs as one sorted JSON document, for byte-for-byte comparison."""
        return json.dumps(
            [{"urn": r.urn, "inputs": r.wire} for r in sorted(self.resources, key=lambda r: r.urn)],
            sort_keys=True,
            indent=1,
        )


class AzureMocks(pulumi.runtime.Mocks):
    """Deterministic stand-ins for what Azure, Databricks and pulumi-random compute."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}  # (type, physical name) -> id
        self.invokes: list[str] = []

    def _arm_id(self, typ: str, inputs: dict[str, Any]) -> str | None:
        if typ not in _ARM:
            return None
        name_key, path = _ARM[typ]
        name = inputs.get(name_key) if name_key else "activeDirectory"
        rg = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{inputs.get('resourceGroupName', 'rg')}"
        if path is None:
            return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{name}"
        if typ in _PARENT:
            parent_key, parent_type = _PARENT[typ]
            parent_id = self.ids.get((parent_type, inputs.get(parent_key)), f"{rg}/unknown/{inputs.get(parent_key)}")
            return f"{parent_id}/{path}" if name_key is None else f"{parent_id}/{path}/{name}"
        return f"{rg}/providers/{path}/{name}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        typ, inputs = args.typ, dict(args.inputs)
        state = dict(inputs)
        resource_id = self._arm_id(typ, inputs) or f"{typ}::{args.name}"
        if typ in _ARM and _ARM[typ][0]:
            state["name"] = inputs.get(_ARM[typ][0])
            self.ids[(typ, inputs.get(_ARM[typ][0]))] = resource_id
        if typ in _WITH_IDENTITY:
            state["identity"] = {
                **(inputs.get("identity") or {}),
                "principalId": _stable_uuid(f"principal:{resource_id}"),
                "tenantId": TENANT_ID,
            }
        if typ == "azure-native:keyvault:Vault":
            state["properties"] = {
                **inputs["properties"],
                "vaultUri": f"https://{inputs['vaultName']}.vault.azure.net/",
            }
        elif typ == "azure-native:databricks:Workspace":
            state["workspaceUrl"] = f"adb-{_number(resource_id)}.11.azuredatabricks.net"
            state["workspaceId"] = _number(resource_id)
        elif typ == "azure-native:synapse:Workspace":
            name = inputs["workspaceName"]
            state["connectivityEndpoints"] = {
                "sql": f"{name}.sql.azuresynapse.net",
                "sqlOnDemand": f"{name}-ondemand.sql.azuresynapse.net",
                "dev": f"https://{name}.dev.azuresynapse.net",
            }
        elif typ == "random:index/randomString:RandomString":
            state["result"] = RANDOM_SUFFIX[: int(inputs.get("length", len(RANDOM_SUFFIX)))]
        elif typ == "random:index/randomPassword:RandomPassword":
            state["result"] = "offline-Password-0!" + "x" * max(0, int(inputs.get("length", 20)) - 19)
        elif typ == "databricks:index/job:Job":
            resource_id = _number(f"job:{inputs.get('name')}")
        elif typ.startswith("databricks:index/"):
            resource_id = inputs.get("name") or inputs.get("path") or args.name
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        self.invokes.append(args.token)
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": SUBSCRIPTION_ID,
                "tenantId": TENANT_ID,
                "objectId": DEPLOYER_OBJECT_ID,
                "clientId": DEPLOYER_OBJECT_ID,
            }
        raise NotImplementedError(f"no offline answer for {args.token}")


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: AzureMocks, recorded: list[Resource]) -> None:
        super().__init__(mocks)
        self.recorded = recorded

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            registration = self.resources.get(response.urn)
            self.recorded.append(
                Resource(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    inputs=unwrap_secrets(pulumi.runtime.rpc.deserialize_properties(request.object)),
                    wire=MessageToDict(request.object),
                    parent=request.parent,
                    dependencies=sorted(set(request.dependencies)),
                    provider=request.provider,
                    id=response.id,
                    state=dict(registration.state) if registration else {},
                    property_dependencies={
                        key: sorted(set(deps.urns)) for key, deps in request.propertyDependencies.items()
                    },
                    deleted_with=request.deletedWith,
                    retain_on_delete=request.retainOnDelete,
                )
            )
        return response


def stack_config(stack: str, root: Path = REPO_ROOT) -> dict[str, str]:
    """The plain values of `Pulumi.<stack>.yaml` as the engine hands them to the program (JSON for objects).

    Encrypted values are left out: the caller supplies secrets itself (`run_program(secrets=...)`).
    """
    return engine_config(stack_file_config(stack, root))


@contextmanager
def _artifacts_root(root: Path | None) -> Iterator[None]:
    previous = os.environ.get(ROOT_ENV)
    if root is not None:
        os.environ[ROOT_ENV] = str(root)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ROOT_ENV, None)
        else:
            os.environ[ROOT_ENV] = previous


def run_program(
    stack: str,
    config: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    artifacts_root: Path | None = None,
    recorded: list[Resource] | None = None,
    preview: bool = False,
) -> Run:
    """Run infra/__main__.py under mocks with the stack's config (or `config`), return what it declared.

    `secrets` are extra config values stored as secrets (keys without the namespace are the project's).
    `preview` runs it as `pulumi preview` would (`pulumi.runtime.is_dry_run()` is true).
    Exceptions raised by the program (a bad config, a bad artifact) propagate unchanged; pass
    `recorded` to see what was declared before one was raised.
    """
    values = dict(stack_config(stack) if config is None else config)
    secret_keys = []
    for key, value in (secrets or {}).items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        values[full] = value
        secret_keys.append(full)

    mocks = AzureMocks()
    monitor = _RecordingMonitor(mocks, recorded if recorded is not None else [])
    set_root_resource(None)
    pulumi.runtime.set_mocks(mocks, project=NAMESPACE, stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(values, secret_keys)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()
    with _artifacts_root(artifacts_root):
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(PROGRAM), run_name="__main__")))

    root = pulumi.runtime.settings.get_root_resource()
    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    for name, value in (getattr(root, "outputs", None) or {}).items():
        output = pulumi.Output.from_input(value)
        outputs[name] = _sync_await(output.future())
        if _sync_await(output.is_secret()):
            secret_outputs.add(name)
    return Run(resources=monitor.recorded, outputs=outputs, secret_outputs=secret_outputs, invokes=mocks.invokes)
