# ruff: noqa: E501  (the grants table below is one row per line, to be read at a glance)
"""Access: every Azure role assignment of the platform, from one table.

Read `GRANTS` top to bottom: who, which built-in role, on what, and why. Scopes are the narrowest
Azure offers for the need: a container rather than the account, one secret rather than the vault.
Nothing is granted at resource-group or subscription scope.

Not here, on purpose:
- the analysts' group has no Azure role: it reads the serving views through SQL permissions granted by
  `synapse_views/grants/` (the views reach the lake with the workspace's identity);
- the platform admins' group is the Synapse Entra SQL admin (a workspace setting, `synapse.py`);
- the identity that runs `pulumi up` needs Owner (or Contributor plus User Access Administrator) on
  the subscription: it is the one creating these assignments.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.authorization as authorization

from infra.roles import definition_id


@dataclass(frozen=True)
class Grant:
    principal: str  # factory | databricks | synapse (managed identities) | platformAdmins | dataEngineers (groups)
    role: str  # a built-in role's name (infra/roles.py)
    scope: str  # container:<name> | secret:source-password | vault | databricks-workspace | lake
    why: str


# fmt: off
GRANTS: tuple[Grant, ...] = (
    # principal        role                             scope                     why
    Grant("factory",    "Storage Blob Data Contributor", "container:bronze",       "Copy writes the extracts"),
    Grant("factory",    "Storage Blob Data Contributor", "container:control",      "reads and commits the watermarks"),
    Grant("factory",    "Key Vault Secrets User",        "secret:source-password", "reads the source password, no other secret"),
    Grant("factory",    "Contributor",                   "databricks-workspace",   "runs the jobs (ADF's managed-identity auth to Databricks needs it)"),
    Grant("databricks", "Storage Blob Data Reader",      "container:bronze",       "the silver job reads the extracts"),
    Grant("databricks", "Storage Blob Data Contributor", "container:silver",       "the silver job writes silver and quarantine"),
    Grant("databricks", "Storage Blob Data Contributor", "container:gold",         "the gold job writes gold"),
    Grant("databricks", "Storage Blob Data Contributor", "container:control",      "the gold job keeps its state"),
    Grant("synapse",    "Storage Blob Data Reader",      "container:gold",         "the serving views read gold"),
    Grant("synapse",    "Storage Blob Data Contributor", "container:synapse",      "the workspace's own filesystem"),
    Grant("platformAdmins", "Key Vault Secrets Officer", "vault",                  "rotates the source password"),
    Grant("dataEngineers",  "Storage Blob Data Reader",  "lake",                   "inspects every layer (only when the group is configured)"),
)
# fmt: on

GROUP_PRINCIPALS = {"platformAdmins", "dataEngineers"}


@dataclass(frozen=True)
class AccessArgs:
    subscription_id: pulumi.Input[str]
    # principal key -> object id; a missing optional group skips its grants
    principals: dict[str, pulumi.Input[str]]
    # scope key -> Azure resource id
    scopes: dict[str, pulumi.Input[str]]


def _slug(text: str) -> str:
    return "".join(word[0] for word in text.lower().split() if word)


class Access(pulumi.ComponentResource):
    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:access:Access", name, {}, opts)
        self.assignments: dict[Grant, authorization.RoleAssignment] = {}
        for grant in GRANTS:
            if grant.principal not in args.principals:
                continue
            if grant.scope not in args.scopes:
                raise KeyError(f"access table: scope {grant.scope!r} was not provided")
            resource_name = f"{name}-{grant.principal}-{_slug(grant.role)}-{grant.scope.replace(':', '-')}"
            self.assignments[grant] = authorization.RoleAssignment(
                resource_name,
                principal_id=args.principals[grant.principal],
                principal_type="Group" if grant.principal in GROUP_PRINCIPALS else "ServicePrincipal",
                role_definition_id=pulumi.Output.from_input(args.subscription_id).apply(
                    lambda sub, role=grant.role: definition_id(sub, role)
                ),
                scope=args.scopes[grant.scope],
                description=f"{grant.principal}: {grant.why}",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"assignments": len(self.assignments)})
