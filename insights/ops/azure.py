"""The one client layer through which `insights deploy` and `insights destroy` call Azure.

`AzureClient` is the seam: a handful of calls, each named for what the operator's step needs (is the
sign-in valid, are the resource providers registered, a trigger's state, run a pipeline, read a view,
purge a deleted vault). `AzureSdkClient` implements it with the Azure SDKs and turns their exceptions into the few
errors below, each with a message an operator can act on. Its credential comes from the one factory,
`insights.credential.azure_credential`. The tests replace the whole class with a fake.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from insights.credential import LOCAL_HINT, AzureOpsError, SignInError, azure_credential

ARM_SCOPE = "https://management.azure.com/.default"
# Azure Databricks' first-party application: the audience of a Databricks token from Entra ID.
DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"
ACCOUNTS_HOST = "https://accounts.azuredatabricks.net"
GRAPH_URL = "https://graph.microsoft.com"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"

# The resource providers the program deploys into (docs/infra.md, "Prerequisites").
REQUIRED_PROVIDERS = (
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.DataFactory",
    "Microsoft.Databricks",
    "Microsoft.Synapse",
    "Microsoft.Sql",
    "Microsoft.OperationalInsights",
    "Microsoft.Insights",
)

SIGN_IN_HINT = f"{LOCAL_HINT}, or in CI check the OIDC federation of the deploying identity"


class PermissionDeniedError(AzureOpsError):
    """The signed-in identity may not do this."""


class NotFoundError(AzureOpsError):
    """The resource does not exist."""


class BusyError(AzureOpsError):
    """Azure refused for now: the resource is still provisioning, or a conflicting operation runs."""


@dataclass(frozen=True)
class FactoryRef:
    subscription_id: str
    resource_group: str
    factory: str


@dataclass(frozen=True)
class ActivityRunInfo:
    """One activity run of a pipeline run, as ADF's monitor reports it."""

    run_id: str
    pipeline: str
    name: str
    type: str
    status: str  # InProgress, Queued, Succeeded, Failed, Cancelled, Skipped
    seconds: float
    output: dict[str, Any]
    error: str


@dataclass(frozen=True)
class Metastore:
    """A Unity Catalog metastore as Databricks lists it."""

    id: str
    name: str
    region: str


@dataclass(frozen=True)
class SynapseState:
    """A Synapse workspace as ARM reports it through azure-mgmt-synapse: provisioning state, firewall rules."""

    provisioning_state: str
    firewall_rules: tuple[tuple[str, str, str], ...]  # (name, start, end)
    principal_id: str = ""  # the workspace's managed identity


class AzureClient(Protocol):
    def check_sign_in(self) -> None:
        """Raise SignInError unless a token for Azure Resource Manager can be had."""

    def provider_states(self, subscription_id: str, namespaces: Sequence[str]) -> dict[str, str]:
        """Each namespace's registration state (`Registered`, `NotRegistered`, ...)."""

    def trigger_state(self, factory: FactoryRef, name: str) -> str | None:
        """The trigger's runtime state, None when the trigger or its factory does not exist."""

    def stop_trigger(self, factory: FactoryRef, name: str) -> None: ...

    def start_trigger(self, factory: FactoryRef, name: str) -> None: ...

    def integration_runtime_state(self, factory: FactoryRef, name: str) -> str | None:
        """`Online`, `NeedRegistration`, `Offline`, ...; None when the runtime does not exist."""

    def run_pipeline(self, factory: FactoryRef, pipeline: str) -> str:
        """Start a pipeline run; return its run id."""

    def pipeline_run(self, factory: FactoryRef, run_id: str) -> tuple[str, str]:
        """The run's status (`Queued`, `InProgress`, `Succeeded`, `Failed`, `Cancelled`) and its message."""

    def activity_runs(self, factory: FactoryRef, run_id: str) -> list[ActivityRunInfo]:
        """The activity runs of one pipeline run so far, in ADF's order."""

    def runtime_auth_key(self, factory: FactoryRef, name: str) -> str:
        """The self-hosted integration runtime's first auth key (a node registers with it)."""

    def query(self, server: str, database: str, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one query on a Synapse serverless endpoint, signed in with an Entra token."""

    def permissions(self, subscription_id: str) -> list[dict[str, list[str]]]:
        """The signed-in identity's own permissions on the subscription (ARM's `permissions`: actions, notActions)."""

    def synapse_state(self, subscription_id: str, resource_group: str, workspace: str) -> SynapseState | None:
        """The workspace's state, None when it does not exist."""

    def signed_in_as_user(self) -> bool:
        """Whether the signed-in identity is a user (a delegated token), not a service principal or managed identity."""

    def directory_roles(self, principal_id: str) -> set[str]:
        """The roleTemplateIds of the Entra directory roles a service principal holds, directly or through groups."""

    def workspace_metastore(self, host: str, resource_id: str) -> Metastore | None:
        """The Unity Catalog metastore assigned to a Databricks workspace, None when none is."""

    def account_metastores(self, account_id: str) -> list[Metastore]:
        """Every metastore of a Databricks account (needs an account admin)."""

    def workspace_jobs(self, host: str, resource_id: str) -> dict[str, str]:
        """The jobs of a Databricks workspace: job id -> name."""

    def deleted_vault_exists(self, subscription_id: str, name: str, location: str) -> bool: ...

    def purge_deleted_vault(self, subscription_id: str, name: str, location: str) -> None: ...


# --- the real client ---------------------------------------------------------------------------


class DatabricksCredentials:
    """databricks-sdk's CredentialsStrategy over the one Azure credential.

    Each request carries a fresh Entra token for Azure Databricks and, for a workspace, an Azure management
    token and the workspace's resource id: the headers that let an identity with Contributor on the workspace
    in before it is a member (the same path the Pulumi provider takes, infra/databricks.py).
    """

    def __init__(self, credential: Any, resource_id: str | None) -> None:
        self._credential, self._resource_id = credential, resource_id

    def auth_type(self) -> str:
        return "azure-credential"

    def __call__(self, cfg: Any) -> Callable[[], dict[str, str]]:
        def headers() -> dict[str, str]:
            found = {"Authorization": f"Bearer {self._credential.get_token(DATABRICKS_SCOPE).token}"}
            if self._resource_id:
                found["X-Databricks-Azure-SP-Management-Token"] = self._credential.get_token(ARM_SCOPE).token
                found["X-Databricks-Azure-Workspace-Resource-Id"] = self._resource_id
            return found

        return headers


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:400]


def translate(exc: BaseException, action: str, needs: str = "") -> AzureOpsError:
    """An SDK exception as one of this module's errors, its message naming `action` and the fix."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

    if isinstance(exc, AzureOpsError):
        return exc
    if type(exc).__module__.startswith("databricks.sdk"):
        from databricks.sdk.errors import PermissionDenied, Unauthenticated

        if isinstance(exc, Unauthenticated):
            return SignInError(f"{action}: Databricks refused the sign-in ({_message(exc)}); {SIGN_IN_HINT}")
        if isinstance(exc, PermissionDenied):
            hint = f" It needs {needs}." if needs else ""
            return PermissionDeniedError(f"{action}: the signed-in identity lacks permission ({_message(exc)}).{hint}")
    if isinstance(exc, ClientAuthenticationError):
        return SignInError(f"{action}: the Azure sign-in is missing or expired ({_message(exc)}); {SIGN_IN_HINT}")
    if isinstance(exc, ResourceNotFoundError):
        return NotFoundError(f"{action}: not found ({_message(exc)})")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None) or ""
        if status == 401 or code in {"ExpiredAuthenticationToken", "InvalidAuthenticationToken"}:
            return SignInError(f"{action}: the Azure sign-in was refused ({_message(exc)}); {SIGN_IN_HINT}")
        if status == 403 or "AuthorizationFailed" in code:
            hint = f" It needs {needs}." if needs else ""
            return PermissionDeniedError(
                f"{action}: the signed-in identity lacks permission ({code or status}: {_message(exc)}).{hint}"
            )
        if status == 404:
            return NotFoundError(f"{action}: not found ({_message(exc)})")
        if status in (409, 429) or "provision" in _message(exc).lower():
            return BusyError(f"{action}: Azure is busy with it ({_message(exc)})")
    return AzureOpsError(f"{action}: {_message(exc)}")


class AzureSdkClient:
    """`AzureClient` over the Azure SDKs. `sdk` builds the SDK clients (the tests pass fakes)."""

    def __init__(
        self, credential: Any = None, sdk: Callable[[str, str], Any] | None = None, graph_url: str = GRAPH_URL
    ) -> None:
        self._credential, self._graph_url = credential, graph_url
        self._sdk = sdk or self._build
        self._clients: dict[tuple[str, str], Any] = {}

    @property
    def credential(self) -> Any:
        if self._credential is None:
            self._credential = azure_credential()
        return self._credential

    def _build(self, kind: str, subscription_id: str) -> Any:
        if kind == "datafactory":
            from azure.mgmt.datafactory import DataFactoryManagementClient

            return DataFactoryManagementClient(self.credential, subscription_id)
        if kind == "resources":
            from azure.mgmt.resource.resources import ResourceManagementClient

            return ResourceManagementClient(self.credential, subscription_id)
        if kind == "synapse":
            from azure.mgmt.synapse import SynapseManagementClient

            return SynapseManagementClient(self.credential, subscription_id)
        if kind == "keyvault":
            from azure.mgmt.keyvault import KeyVaultManagementClient

            return KeyVaultManagementClient(self.credential, subscription_id)
        raise ValueError(kind)

    def _client(self, kind: str, subscription_id: str) -> Any:
        if (kind, subscription_id) not in self._clients:
            self._clients[(kind, subscription_id)] = self._sdk(kind, subscription_id)
        return self._clients[(kind, subscription_id)]

    @contextmanager
    def _calling(self, action: str, needs: str = "") -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            raise translate(exc, action, needs) from exc

    def check_sign_in(self) -> None:
        with self._calling("checking the Azure sign-in"):
            self.credential.get_token(ARM_SCOPE)

    def provider_states(self, subscription_id: str, namespaces: Sequence[str]) -> dict[str, str]:
        client = self._client("resources", subscription_id)
        states = {}
        for namespace in namespaces:
            with self._calling(f"reading resource provider {namespace}", "Reader on the subscription"):
                states[namespace] = client.providers.get(namespace).registration_state or "Unknown"
        return states

    def trigger_state(self, factory: FactoryRef, name: str) -> str | None:
        adf = self._client("datafactory", factory.subscription_id)
        try:
            with self._calling(f"reading trigger {name}", "Reader on the factory"):
                trigger = adf.triggers.get(factory.resource_group, factory.factory, name)
        except NotFoundError:
            return None
        return trigger.properties.runtime_state

    def stop_trigger(self, factory: FactoryRef, name: str) -> None:
        adf = self._client("datafactory", factory.subscription_id)
        with self._calling(f"stopping trigger {name}", "Data Factory Contributor on the factory"):
            adf.triggers.begin_stop(factory.resource_group, factory.factory, name).result()

    def start_trigger(self, factory: FactoryRef, name: str) -> None:
        adf = self._client("datafactory", factory.subscription_id)
        with self._calling(f"starting trigger {name}", "Data Factory Contributor on the factory"):
            adf.triggers.begin_start(factory.resource_group, factory.factory, name).result()

    def integration_runtime_state(self, factory: FactoryRef, name: str) -> str | None:
        adf = self._client("datafactory", factory.subscription_id)
        try:
            with self._calling(f"reading integration runtime {name}", "Reader on the factory"):
                status = adf.integration_runtimes.get_status(factory.resource_group, factory.factory, name)
        except NotFoundError:
            return None
        return status.properties.state

    def run_pipeline(self, factory: FactoryRef, pipeline: str) -> str:
        adf = self._client("datafactory", factory.subscription_id)
        with self._calling(f"starting pipeline {pipeline}", "Data Factory Contributor on the factory"):
            return adf.pipelines.create_run(factory.resource_group, factory.factory, pipeline).run_id

    def pipeline_run(self, factory: FactoryRef, run_id: str) -> tuple[str, str]:
        adf = self._client("datafactory", factory.subscription_id)
        with self._calling(f"reading pipeline run {run_id}", "Reader on the factory"):
            run = adf.pipeline_runs.get(factory.resource_group, factory.factory, run_id)
        return run.status, run.message or ""

    def activity_runs(self, factory: FactoryRef, run_id: str) -> list[ActivityRunInfo]:
        from datetime import UTC, datetime, timedelta

        from azure.mgmt.datafactory.models import RunFilterParameters

        adf = self._client("datafactory", factory.subscription_id)
        now = datetime.now(UTC)
        window = RunFilterParameters(
            last_updated_after=now - timedelta(days=2), last_updated_before=now + timedelta(hours=1)
        )
        runs: list[ActivityRunInfo] = []
        with self._calling(f"reading the activity runs of run {run_id}", "Reader on the factory"):
            while True:
                page = adf.activity_runs.query_by_pipeline_run(factory.resource_group, factory.factory, run_id, window)
                runs.extend(
                    ActivityRunInfo(
                        run_id=run.activity_run_id or "",
                        pipeline=run.pipeline_name or "",
                        name=run.activity_name or "",
                        type=run.activity_type or "",
                        status=run.status or "",
                        seconds=(run.duration_in_ms or 0) / 1000,
                        output=run.output if isinstance(run.output, dict) else {},
                        error=(run.error or {}).get("message", "") if isinstance(run.error, dict) else "",
                    )
                    for run in page.value or []
                )
                if not page.continuation_token:
                    return runs
                window.continuation_token = page.continuation_token

    def runtime_auth_key(self, factory: FactoryRef, name: str) -> str:
        adf = self._client("datafactory", factory.subscription_id)
        with self._calling(f"reading the auth key of integration runtime {name}", "Data Factory Contributor"):
            return adf.integration_runtimes.list_auth_keys(factory.resource_group, factory.factory, name).auth_key1

    def query(self, server: str, database: str, sql: str) -> list[tuple[Any, ...]]:
        from synapse_views.connection import TOKEN_SCOPE, fetch_all, open_connection

        with self._calling(f"signing in to {server}"):
            token = self.credential.get_token(TOKEN_SCOPE).token
        try:
            connection = open_connection(server, database, token)
        except Exception as exc:
            raise AzureOpsError(
                f"connecting to {server}/{database}: {_message(exc)} (is this machine's IP inside one of the "
                "stack's synapse.firewallRules, and the identity a member of the platform admins' group?)"
            ) from exc
        try:
            return fetch_all(connection, sql)
        except Exception as exc:
            raise AzureOpsError(f"querying {server}/{database}: {_message(exc)}") from exc

    def permissions(self, subscription_id: str) -> list[dict[str, list[str]]]:
        from azure.core.rest import HttpRequest

        client = self._client("resources", subscription_id)
        url = f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"
        with self._calling("reading the deploying identity's permissions", "Reader on the subscription"):
            response = client.send_request(HttpRequest("GET", url))
            response.raise_for_status()
            return [
                {"actions": entry.get("actions") or [], "notActions": entry.get("notActions") or []}
                for entry in response.json().get("value") or []
            ]

    def synapse_state(self, subscription_id: str, resource_group: str, workspace: str) -> SynapseState | None:
        client = self._client("synapse", subscription_id)
        try:
            with self._calling(f"reading Synapse workspace {workspace}", "Reader on the resource group"):
                found = client.workspaces.get(resource_group, workspace)
                rules = client.ip_firewall_rules.list_by_workspace(resource_group, workspace)
                firewall = tuple(sorted((r.name, r.start_ip_address, r.end_ip_address) for r in rules))
        except NotFoundError:
            return None
        return SynapseState(
            found.provisioning_state or "", firewall, (found.identity.principal_id if found.identity else None) or ""
        )

    def signed_in_as_user(self) -> bool:
        # A delegated (user) token carries the `scp` claim; an app-only token carries `roles` instead.
        with self._calling("reading the Azure sign-in"):
            payload = self.credential.get_token(GRAPH_SCOPE).token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return bool(claims.get("scp"))

    def directory_roles(self, principal_id: str) -> set[str]:
        import urllib.error
        import urllib.request

        action = f"reading the directory roles of service principal {principal_id} from Microsoft Graph"
        with self._calling(action):
            token = self.credential.get_token(GRAPH_SCOPE).token
        # Graph answers an OData cast only with ConsistencyLevel: eventual and $count ("List servicePrincipal
        # transitive memberOf").
        url = (
            f"{self._graph_url}/v1.0/servicePrincipals/{principal_id}/transitiveMemberOf/microsoft.graph.directoryRole"
            "?$count=true&$select=roleTemplateId"
        )
        headers = {"Authorization": f"Bearer {token}", "ConsistencyLevel": "eventual", "Accept": "application/json"}
        found: set[str] = set()
        while url:
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as response:
                    page = json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = _message(exc)
                if exc.code == 401:
                    raise SignInError(f"{action}: Graph refused the sign-in ({detail}); {SIGN_IN_HINT}") from exc
                if exc.code == 403:
                    raise PermissionDeniedError(
                        f"{action}: the signed-in identity may not read the directory ({detail})"
                    ) from exc
                raise AzureOpsError(f"{action}: {detail}") from exc
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise AzureOpsError(f"{action}: {_message(exc)}") from exc
            found.update(role.get("roleTemplateId") or "" for role in page.get("value") or [])
            url = page.get("@odata.nextLink")
        return found - {""}

    def _databricks(self, host: str, resource_id: str | None = None, account_id: str | None = None) -> Any:
        """A databricks-sdk client signed in with the one credential (and the management token for a workspace)."""
        from databricks.sdk import AccountClient, WorkspaceClient

        strategy = DatabricksCredentials(self.credential, resource_id)
        if account_id:
            return AccountClient(host=host, account_id=account_id, credentials_strategy=strategy)
        return WorkspaceClient(host=host, credentials_strategy=strategy)

    def workspace_metastore(self, host: str, resource_id: str) -> Metastore | None:
        from databricks.sdk.errors import NotFound

        workspace = self._databricks(host, resource_id)
        with self._calling(f"reading the Unity Catalog metastore of {host}", "admin of the Databricks workspace"):
            try:
                assigned = workspace.metastores.current()
            except NotFound:
                return None
            summary = workspace.metastores.summary()
        return Metastore(assigned.metastore_id or "", summary.name or "", summary.region or "")

    def account_metastores(self, account_id: str) -> list[Metastore]:
        account = self._databricks(ACCOUNTS_HOST, account_id=account_id)
        with self._calling("listing the account's Unity Catalog metastores", "account admin of Databricks"):
            return [Metastore(m.metastore_id or "", m.name or "", m.region or "") for m in account.metastores.list()]

    def workspace_jobs(self, host: str, resource_id: str) -> dict[str, str]:
        workspace = self._databricks(host, resource_id)
        with self._calling(f"listing the jobs of {host}", "a member of the Databricks workspace"):
            return {str(job.job_id): (job.settings.name if job.settings else "") or "" for job in workspace.jobs.list()}

    def deleted_vault_exists(self, subscription_id: str, name: str, location: str) -> bool:
        client = self._client("keyvault", subscription_id)
        try:
            with self._calling(f"looking for the deleted vault {name}", "Key Vault Contributor on the subscription"):
                client.vaults.get_deleted(name, location)
        except NotFoundError:
            return False
        return True

    def purge_deleted_vault(self, subscription_id: str, name: str, location: str) -> None:
        client = self._client("keyvault", subscription_id)
        with self._calling(f"purging the deleted vault {name}", "Key Vault Contributor on the subscription"):
            client.vaults.begin_purge_deleted(name, location).result()
