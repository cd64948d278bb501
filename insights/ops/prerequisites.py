"""The deploy's prerequisites, checked before any change: each failing one is one line that says what to do.

- The deploying identity's own rights: it creates the resource group, every resource and the role
  assignments of infra/access.py, so it needs those actions on the subscription (Owner, or Contributor with
  Role Based Access Control Administrator). Read from ARM's `permissions` of the caller.
- Unity Catalog: the workspace must sit on a metastore of its region. A deployed workspace is asked which
  metastore it is assigned to; before the first deploy, the account's metastores are listed when
  `DATABRICKS_ACCOUNT_ID` is set (an account admin's view), else the preflight says it cannot see them.
  `databricks.metastoreId` in the stack makes the program assign the workspace itself.
- Synapse: a deployed workspace must have provisioned; its firewall rules are shown (the smoke test reads a
  view through them).
- The analysts' group: `CREATE USER [group] FROM EXTERNAL PROVIDER` (synapse_views/grants/) looks the group up
  in Entra ID. Run by a user, Synapse queries Microsoft Graph with that user's own delegated rights; run by a
  service principal, it uses the workspace's managed identity, which needs Directory Readers (Microsoft's
  "Microsoft Entra service principals with Azure SQL"). The deploy's SQL runs as the identity signed in here
  (infra/synapse_sql.py), so a user's sign-in passes; otherwise the workspace identity's roles are read
  from Graph. A deployer that may not read them is told so, without stopping the deploy.

Every call goes through the one Azure client (insights/ops/azure.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from infra.settings import Settings
from insights.ops.azure import AzureClient, AzureOpsError, PermissionDeniedError

# What `pulumi up` asks ARM to do on a first deploy, one action per kind of resource it creates.
REQUIRED_ACTIONS = (
    "Microsoft.Resources/subscriptions/resourceGroups/write",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Storage/storageAccounts/write",
    "Microsoft.KeyVault/vaults/write",
    "Microsoft.DataFactory/factories/write",
    "Microsoft.Databricks/workspaces/write",
    "Microsoft.Databricks/accessConnectors/write",
    "Microsoft.Synapse/workspaces/write",
    "Microsoft.OperationalInsights/workspaces/write",
    "Microsoft.Insights/diagnosticSettings/write",
)
# Directory Readers' roleTemplateId, the same in every tenant (Entra ID's built-in roles).
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
LOOKUP_HINT = (
    "assign the Entra role Directory Readers to the Synapse workspace's managed identity (a Privileged Role "
    "Administrator can), or deploy as a user signed in with `az login`"
)
RIGHTS_HINT = (
    "give the deploying identity Owner on the subscription, or Contributor plus Role Based Access Control "
    "Administrator (docs/infra.md, 'Prerequisites')"
)


class PrerequisiteError(Exception):
    """A prerequisite is missing; the message says which and what to do, in one line."""


def _allows(pattern: str, action: str) -> bool:
    return fnmatchcase(action.lower(), pattern.lower())


def missing_actions(permissions: list[dict[str, list[str]]], required: tuple[str, ...] = REQUIRED_ACTIONS) -> list[str]:
    """The required actions that no permission entry grants (an entry's notActions take away from its actions)."""
    return [
        action
        for action in required
        if not any(
            any(_allows(granted, action) for granted in entry.get("actions", []))
            and not any(_allows(denied, action) for denied in entry.get("notActions", []))
            for entry in permissions
        )
    ]


def check_rights(azure: AzureClient, subscription: str) -> str:
    missing = missing_actions(azure.permissions(subscription))
    if missing:
        raise PrerequisiteError(
            f"the deploying identity may not {', '.join(missing)} in subscription {subscription}: {RIGHTS_HINT}"
        )
    return f"deploying identity's rights: all {len(REQUIRED_ACTIONS)} actions of a deploy granted"


def check_unity_catalog(
    azure: AzureClient, settings: Settings, outputs: Mapping[str, Any], env: Mapping[str, str]
) -> str:
    region, wanted = settings.location, settings.databricks.metastore_id
    host, resource_id = outputs.get("databricksWorkspaceUrl"), outputs.get("databricksWorkspaceId")
    if host and resource_id:
        assigned = azure.workspace_metastore(host, resource_id)
        if assigned is not None:
            return f"Unity Catalog: the workspace is on metastore {assigned.name} ({assigned.region})"
        if wanted:
            return f"Unity Catalog: this deploy assigns the workspace to metastore {wanted}"
        raise PrerequisiteError(
            f"the Databricks workspace {host} has no Unity Catalog metastore: create one for {region} in the "
            "account console (or ask an account admin), then set databricks.metastoreId in the stack's config"
        )
    account = env.get("DATABRICKS_ACCOUNT_ID")
    if not account:
        return (
            "Unity Catalog: not checked before the first deploy (set DATABRICKS_ACCOUNT_ID, as an account admin, "
            f"to check that {region} has a metastore)"
        )
    metastores = azure.account_metastores(account)
    in_region = [m for m in metastores if m.region == region]
    if wanted and wanted not in {m.id for m in metastores}:
        raise PrerequisiteError(
            f"databricks.metastoreId {wanted} is not a metastore of Databricks account {account}: "
            "correct it from `databricks account metastores list`"
        )
    if not in_region:
        raise PrerequisiteError(
            f"Databricks account {account} has no Unity Catalog metastore in {region}: create one in the account "
            "console (Catalog, Create metastore), then deploy again"
        )
    return f"Unity Catalog: metastore {in_region[0].name} serves {region}"


def check_synapse(azure: AzureClient, subscription: str, outputs: Mapping[str, Any]) -> str:
    workspace, group = outputs.get("synapseWorkspaceName"), outputs.get("resourceGroupName")
    if not (workspace and group):
        return "Synapse: no workspace yet (the first deploy creates it)"
    state = azure.synapse_state(subscription, group, workspace)
    if state is None:
        return f"Synapse: workspace {workspace} is gone; this deploy creates it again"
    if state.provisioning_state not in ("Succeeded", "Provisioning", "Updating"):
        raise PrerequisiteError(
            f"Synapse workspace {workspace} is {state.provisioning_state}: look at its activity log in the portal; "
            "a workspace that failed to provision must be deleted before it can be created again"
        )
    rules = ", ".join(f"{name} {start}-{end}" for name, start, end in state.firewall_rules) or "none"
    return f"Synapse: workspace {workspace} {state.provisioning_state.lower()}; firewall rules: {rules}"


def check_group_lookup(azure: AzureClient, subscription: str, outputs: Mapping[str, Any]) -> str:
    if azure.signed_in_as_user():
        return "analysts' group: the grants run as you, a user, whose own sign-in looks the group up"
    workspace, group = outputs.get("synapseWorkspaceName"), outputs.get("resourceGroupName")
    state = azure.synapse_state(subscription, group, workspace) if workspace and group else None
    if state is None or not state.principal_id:
        return (
            "analysts' group: this deploy creates the Synapse workspace's identity; run by a service principal, the "
            "grants need it to hold Directory Readers: deploy the first time as a user signed in with `az login`, or "
            "assign the role once the workspace exists and deploy again"
        )
    identity = f"Synapse workspace {workspace}'s identity {state.principal_id}"
    try:
        roles = azure.directory_roles(state.principal_id)
    except PermissionDeniedError:
        return (
            f"analysts' group: not checked, you may not read the directory roles of {identity} in Microsoft Graph; "
            f"if the grants fail, {LOOKUP_HINT}"
        )
    if DIRECTORY_READERS not in roles:
        raise PrerequisiteError(f"{identity} cannot look up the analysts' Entra group: {LOOKUP_HINT}")
    return f"analysts' group: {identity} holds Directory Readers"


def check_prerequisites(
    azure: AzureClient, subscription: str, settings: Settings, outputs: Mapping[str, Any], env: Mapping[str, str]
) -> list[str]:
    """Run every check; return what each found, or raise PrerequisiteError naming every one that failed."""
    found, failed = [], []
    checks = (
        lambda: check_rights(azure, subscription),
        lambda: check_unity_catalog(azure, settings, outputs, env),
        lambda: check_synapse(azure, subscription, outputs),
        lambda: check_group_lookup(azure, subscription, outputs),
    )
    for check in checks:
        try:
            found.append(check())
        except (PrerequisiteError, AzureOpsError) as exc:
            failed.append(str(exc))
    if failed:
        raise PrerequisiteError("\n".join(failed))
    return found
