"""The deploy's prerequisites: each failing one stops the deploy before any change with one line saying what to
do. The checks run over a fake of the Azure client; the client's own Databricks calls run through databricks-sdk
against a loopback HTTP server standing in for a workspace (the real thing is the cloud)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from infra.settings import read_stack
from insights.ops.azure import AzureSdkClient, Metastore, PermissionDeniedError, SynapseState
from insights.ops.deploy import OpsFailure, deploy
from insights.ops.prerequisites import (
    PrerequisiteError,
    check_group_lookup,
    check_synapse,
    check_unity_catalog,
    missing_actions,
)
from tests.support.fake_azure import TIMING, World, outputs, pulumi, up
from tests.support.loopback import JsonApi, serve

# Built-in role definitions as Azure publishes them (docs: "Azure built-in roles"), the parts that matter here.
CONTRIBUTOR = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
    ],
}
RBAC_ADMINISTRATOR = {
    "actions": ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete"],
    "notActions": [],
}
READER = {"actions": ["*/read"], "notActions": []}


def test_contributor_alone_cannot_grant_the_platform_s_roles() -> None:
    assert missing_actions([CONTRIBUTOR]) == ["Microsoft.Authorization/roleAssignments/write"]
    assert missing_actions([CONTRIBUTOR, RBAC_ADMINISTRATOR]) == []
    assert missing_actions([{"actions": ["*"], "notActions": []}]) == []  # Owner
    assert len(missing_actions([READER])) == 10


def test_a_deploy_without_the_rights_stops_before_any_change(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.granted = [CONTRIBUTOR]
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    first, *rest = str(failure.value).splitlines()
    assert "may not Microsoft.Authorization/roleAssignments/write" in first and "Owner" in first
    assert rest == ["nothing was changed"]
    assert up("prod") not in world.journal
    assert not [call for call in world.journal if call[1] in ("stop_trigger", "start_trigger")]


def settings(root: Path, stack: str = "prod", metastore: str | None = None):
    found = read_stack(stack, root)
    return found.model_copy(update={"databricks": found.databricks.model_copy(update={"metastore_id": metastore})})


def test_unity_catalog_of_a_deployed_workspace(deployed_root: Path) -> None:
    world = World("prod")
    deployed = outputs("prod", True)
    line = check_unity_catalog(world.azure, settings(deployed_root), deployed, {})
    assert line == "Unity Catalog: the workspace is on metastore metastore_westeurope (westeurope)"
    world.azure.metastore = None
    with pytest.raises(
        PrerequisiteError, match=r"no Unity Catalog metastore: create one for westeurope .*databricks\.metastoreId"
    ):
        check_unity_catalog(world.azure, settings(deployed_root), deployed, {})
    wanted = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    line = check_unity_catalog(world.azure, settings(deployed_root, metastore=wanted), deployed, {})
    assert line == f"Unity Catalog: this deploy assigns the workspace to metastore {wanted}"


def test_unity_catalog_before_the_first_deploy(deployed_root: Path) -> None:
    world = World("prod", deployed=False)
    line = check_unity_catalog(world.azure, settings(deployed_root), {}, {})
    assert "not checked before the first deploy (set DATABRICKS_ACCOUNT_ID" in line
    account = {"DATABRICKS_ACCOUNT_ID": "acc-1"}
    assert check_unity_catalog(world.azure, settings(deployed_root), {}, account).endswith("serves westeurope")
    world.azure.account = [Metastore("m-2", "metastore_eastus", "eastus")]
    with pytest.raises(PrerequisiteError, match="has no Unity Catalog metastore in westeurope: create one"):
        check_unity_catalog(world.azure, settings(deployed_root), {}, account)


def test_a_synapse_workspace_that_failed_to_provision_is_named(deployed_root: Path) -> None:
    world = World("prod")
    deployed = outputs("prod", True)
    line = check_synapse(world.azure, "sub", deployed)
    rules = "firewall rules: office 203.0.113.0-203.0.113.255"
    assert line == f"Synapse: workspace syn-cip-prod-abcde succeeded; {rules}"
    world.azure.synapse = SynapseState("Failed", ())
    with pytest.raises(PrerequisiteError, match=r"syn-cip-prod-abcde is Failed: .* must be deleted"):
        check_synapse(world.azure, "sub", deployed)


def test_every_failing_prerequisite_is_reported_in_one_preflight(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.granted = [READER]
    world.azure.metastore = None
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    lines = str(failure.value).splitlines()
    assert len(lines) == 3 and "may not" in lines[0] and "no Unity Catalog metastore" in lines[1]


# --- the client's side of the seam ------------------------------------------------------------


class Workspace(JsonApi):
    """A Databricks workspace's REST API, as much as the client asks of it; records each request's headers."""

    assigned = True

    def do_GET(self) -> None:
        self.seen.append((self.path, dict(self.headers)))
        status, body = 200, {}
        if "current-metastore-assignment" in self.path:
            status, body = (200, {"metastore_id": "m-9"}) if self.assigned else (404, {"error_code": "NOT_FOUND"})
        elif "metastore_summary" in self.path:
            body = {"metastore_id": "m-9", "name": "metastore_we", "region": "westeurope"}
        elif "/jobs/list" in self.path:
            body = {"jobs": [{"job_id": 7, "settings": {"name": "insights-gold"}}], "has_more": False}
        elif "/.well-known/" in self.path:
            status = 404
        self.reply(status, body)


@pytest.fixture
def workspace() -> Iterator[tuple[str, type[Workspace]]]:
    with serve(Workspace) as served:
        yield served


class Credential:
    def get_token(self, scope: str):
        return SimpleNamespace(token=f"token-for:{scope}")


RESOURCE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/dbw"


def test_databricks_calls_carry_the_one_credential_s_tokens_and_the_management_headers(workspace) -> None:
    host, handler = workspace
    client = AzureSdkClient(credential=Credential())
    assert client.workspace_metastore(host, RESOURCE) == Metastore("m-9", "metastore_we", "westeurope")
    assert client.workspace_jobs(host, RESOURCE) == {"7": "insights-gold"}
    api = [(path, headers) for path, headers in handler.seen if path.startswith("/api/")]
    assert [path.split("?")[0] for path, _ in api] == [
        "/api/2.1/unity-catalog/current-metastore-assignment",
        "/api/2.1/unity-catalog/metastore_summary",
        "/api/2.2/jobs/list",
    ]
    for _, headers in api:
        assert headers["Authorization"] == "Bearer token-for:2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"
        assert headers["X-Databricks-Azure-SP-Management-Token"] == "token-for:https://management.azure.com/.default"
        assert headers["X-Databricks-Azure-Workspace-Resource-Id"] == RESOURCE


def test_a_workspace_without_a_metastore_is_none(workspace) -> None:
    host, handler = workspace
    handler.assigned = False
    assert AzureSdkClient(credential=Credential()).workspace_metastore(host, RESOURCE) is None


class Resources:
    """azure-mgmt-resource's client, as far as `send_request` goes: ARM's answer for the caller's permissions."""

    def __init__(self, status: int, body: dict) -> None:
        self.status, self.body, self.urls = status, body, []

    def send_request(self, request):
        from azure.core.exceptions import HttpResponseError

        self.urls.append(request.url)
        status, body = self.status, self.body

        class Response:
            status_code = status

            def raise_for_status(self) -> None:
                if status >= 400:
                    error = HttpResponseError(message=body["error"]["message"])
                    error.status_code = status
                    error.error = SimpleNamespace(code=body["error"]["code"])
                    raise error

            def json(self) -> dict:
                return body

        return Response()


def test_permissions_are_read_from_arm_for_the_caller() -> None:
    resources = Resources(200, {"value": [CONTRIBUTOR, {"actions": ["x/read"]}]})
    client = AzureSdkClient(credential=Credential(), sdk=lambda kind, sub: resources)
    assert client.permissions("sub-1") == [CONTRIBUTOR, {"actions": ["x/read"], "notActions": []}]
    assert resources.urls == [
        "/subscriptions/sub-1/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"
    ]
    denied = Resources(403, {"error": {"code": "AuthorizationFailed", "message": "no read"}})
    with pytest.raises(PermissionDeniedError, match="It needs Reader on the subscription"):
        AzureSdkClient(credential=Credential(), sdk=lambda kind, sub: denied).permissions("sub-1")


def test_synapse_state_comes_from_azure_mgmt_synapse() -> None:
    from azure.mgmt.synapse.models import IpFirewallRuleInfo
    from azure.mgmt.synapse.models import Workspace as SynapseWorkspace

    workspace = SynapseWorkspace(location="westeurope")
    workspace.provisioning_state = "Succeeded"  # read-only in the model: set as the service would
    rule = IpFirewallRuleInfo(start_ip_address="203.0.113.0", end_ip_address="203.0.113.255")
    rule.name = "office"
    synapse = SimpleNamespace(
        workspaces=SimpleNamespace(get=lambda rg, name: workspace),
        ip_firewall_rules=SimpleNamespace(list_by_workspace=lambda rg, name: [rule]),
    )
    client = AzureSdkClient(credential=Credential(), sdk=lambda kind, sub: synapse)
    assert client.synapse_state("sub", "rg", "syn") == SynapseState(
        "Succeeded", (("office", "203.0.113.0", "203.0.113.255"),)
    )


def test_the_smoke_test_stops_when_the_factory_s_job_ids_are_not_in_the_workspace(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.jobs = {"101": "insights-silver", "999": "insights-gold"}  # the gold job was recreated
    with pytest.raises(OpsFailure, match=r"does not have \(goldJobId 102\)") as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "The stack is deployed." in str(failure.value)
    assert not [call for call in world.journal if call[1] == "run_pipeline"]


def test_the_first_deploy_creates_the_waiting_views_after_the_pipeline_wrote_gold(deployed_root: Path) -> None:
    world = World("prod")
    first = {**world.process.after, "synapseViewsPending": ["[gold].[agg_daily_sales]"]}
    world.process.after = first
    ups: list[int] = []
    process = world.process

    def runner(args, capture, env):
        if args[1] == "up":
            ups.append(1)
            process.after = first if len(ups) == 1 else {**first, "synapseViewsPending": []}
        return type(process).__call__(process, args, capture, env)

    world.process = runner  # type: ignore[assignment]
    operator = world.operator()
    operator.pulumi = pulumi(runner)
    report = deploy("prod", operator, timing=TIMING, root=deployed_root)
    assert report.smoke == "passed"
    calls = [call for call in world.journal if call == up("prod") or call[1] in ("run_pipeline", "query")]
    assert [call[1] for call in calls] == ["up", "run_pipeline", "up", "query"]
    assert any("views waiting for their gold folders: [gold].[agg_daily_sales]" in line for line in world.said)


# --- the analysts' group lookup, through the client against a loopback Microsoft Graph ---------------------------

DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Directory Readers in Entra ID's built-in roles
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
WORKSPACE_IDENTITY = "0c9e6b2a-7d41-4f0e-9a38-5b1d2e3f4a5b"


def jwt(claims: dict) -> str:
    """An access token shaped as Entra issues it (header.payload.signature, base64url without padding)."""
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"e30.{part}.sig"


class Signed:
    """A credential whose Graph token is a service principal's (`roles`) or a user's (`scp`)."""

    def __init__(self, user: bool) -> None:
        self.claims = {"scp": "Directory.Read.All User.Read"} if user else {"roles": ["Application.Read.All"]}

    def get_token(self, scope: str):
        return SimpleNamespace(token=jwt({**self.claims, "aud": scope}))


class Graph(JsonApi):
    """Microsoft Graph's transitiveMemberOf cast to directoryRole; two pages, as Graph pages with @odata.nextLink."""

    seen: list[tuple[str, dict[str, str]]]
    status = 200
    roles: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.status != 200:
            body = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}
        elif "skiptoken" in self.path:
            body = {"value": [{"roleTemplateId": role} for role in self.roles[1:]]}
        else:
            first = [{"roleTemplateId": role} for role in self.roles[:1]]
            body = {"value": first, "@odata.nextLink": f"{base}{self.path}&$skiptoken=2"}
        self.reply(self.status, body)


@pytest.fixture
def graph() -> Iterator[tuple[str, type[Graph]]]:
    with serve(Graph) as served:
        yield served


def lookup_client(graph_url: str, user: bool = False, principal: str | None = WORKSPACE_IDENTITY) -> AzureSdkClient:
    """The real client: Graph at the loopback server, ARM's Synapse answer from azure-mgmt-synapse's own model."""
    from azure.mgmt.synapse.models import ManagedIdentity
    from azure.mgmt.synapse.models import Workspace as SynapseWorkspace

    workspace = SynapseWorkspace(location="westeurope", identity=ManagedIdentity(type="SystemAssigned"))
    workspace.provisioning_state = "Succeeded"
    workspace.identity.principal_id = principal  # read-only in the model: set as the service would
    synapse = SimpleNamespace(
        workspaces=SimpleNamespace(get=lambda rg, name: workspace),
        ip_firewall_rules=SimpleNamespace(list_by_workspace=lambda rg, name: []),
    )
    return AzureSdkClient(credential=Signed(user), sdk=lambda kind, sub: synapse, graph_url=graph_url)


def test_a_workspace_identity_with_directory_readers_passes(graph) -> None:
    url, handler = graph
    handler.roles = [GLOBAL_READER, DIRECTORY_READERS]  # the role on the second page
    line = check_group_lookup(lookup_client(url), "sub", outputs("prod", True))
    assert line == f"analysts' group: Synapse workspace syn-cip-prod-abcde's identity {WORKSPACE_IDENTITY} holds " + (
        "Directory Readers"
    )
    path, headers = handler.seen[0]
    assert path == (
        f"/v1.0/servicePrincipals/{WORKSPACE_IDENTITY}/transitiveMemberOf/microsoft.graph.directoryRole"
        "?$count=true&$select=roleTemplateId"
    )
    assert headers["consistencylevel"] == "eventual"
    bearer = headers["authorization"].removeprefix("Bearer ").split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(bearer + "=" * (-len(bearer) % 4)))["aud"] == (
        "https://graph.microsoft.com/.default"
    )
    assert len(handler.seen) == 2


def test_a_workspace_identity_without_directory_readers_stops_the_deploy(graph) -> None:
    url, handler = graph
    handler.roles = [GLOBAL_READER]
    with pytest.raises(PrerequisiteError) as failure:
        check_group_lookup(lookup_client(url), "sub", outputs("prod", True))
    message = str(failure.value)
    assert "\n" not in message
    assert f"identity {WORKSPACE_IDENTITY} cannot look up the analysts' Entra group" in message
    assert "Directory Readers" in message and "az login" in message


def test_a_deployer_who_may_not_read_graph_is_told_without_failing(graph) -> None:
    url, handler = graph
    handler.status = 403
    line = check_group_lookup(lookup_client(url), "sub", outputs("prod", True))
    assert "\n" not in line
    assert line.startswith("analysts' group: not checked, you may not read") and "Directory Readers" in line
    assert "az login" in line


def test_before_the_first_deploy_the_check_says_what_will_be_needed(graph) -> None:
    url, handler = graph
    line = check_group_lookup(lookup_client(url), "sub", {})
    assert "this deploy creates the Synapse workspace's identity" in line
    assert "Directory Readers" in line and "az login" in line
    no_identity_yet = check_group_lookup(lookup_client(url, principal=None), "sub", outputs("prod", True))
    assert no_identity_yet == line
    assert handler.seen == []


def test_a_user_s_sign_in_looks_the_group_up_itself(graph) -> None:
    url, handler = graph
    handler.roles = []  # the workspace identity holds nothing: a user's own token does the lookup
    line = check_group_lookup(lookup_client(url, user=True), "sub", outputs("prod", True))
    assert line == "analysts' group: the grants run as you, a user, whose own sign-in looks the group up"
    assert handler.seen == []


def test_a_missing_directory_role_is_one_line_of_the_deploy_s_preflight(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.roles = set()
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    first, *rest = str(failure.value).splitlines()
    assert "cannot look up the analysts' Entra group" in first
    assert rest == ["nothing was changed"]
    assert up("prod") not in world.journal
