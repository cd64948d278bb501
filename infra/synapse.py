"""Synapse: a serverless-only workspace with Entra-only authentication, and the serving layer's SQL.

No dedicated SQL pool and no Spark pool is declared: the built-in serverless endpoint
(`<workspace>-ondemand.sql.azuresynapse.net`) is all the serving layer uses, and it costs only per
terabyte scanned. The platform admins' group is the workspace's Entra SQL admin; there is no SQL
login or password at all. The scripts of `synapse_views/` are applied by `SynapseSqlScripts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_azure_native.synapse as synapse
import pulumi_random as random

from infra.lake import SYNAPSE_FILESYSTEM
from infra.naming import Naming
from infra.settings import Group, SynapseSettings
from infra.synapse_sql import SynapseSqlScripts
from synapse_views import load_scripts, serving_parameters


@dataclass(frozen=True)
class SynapseArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    tenant_id: pulumi.Input[str]
    settings: SynapseSettings
    admins: Group
    lake_dfs_url: pulumi.Input[str]
    lake_account_id: pulumi.Input[str]


class Synapse(pulumi.ComponentResource):
    def __init__(self, name: str, args: SynapseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:synapse:Synapse", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workspace = synapse.Workspace(
            f"{name}-workspace",
            workspace_name=args.naming.name("syn"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=synapse.ManagedIdentityArgs(type=synapse.ResourceIdentityType.SYSTEM_ASSIGNED),
            azure_ad_only_authentication=True,
            csp_workspace_admin_properties=synapse.CspWorkspaceAdminPropertiesArgs(
                initial_workspace_admin_object_id=args.admins.object_id
            ),
            default_data_lake_storage=synapse.DataLakeStorageAccountDetailsArgs(
                account_url=args.lake_dfs_url,
                filesystem=SYNAPSE_FILESYSTEM,
                resource_id=args.lake_account_id,
                create_managed_private_endpoint=False,
            ),
            managed_resource_group_name=args.naming.name("rg").apply(lambda n: f"{n}-syn-managed"),
            public_network_access=synapse.WorkspacePublicNetworkAccess.ENABLED,
            trusted_service_bypass_enabled=False,
            tags=args.tags,
            opts=child,
        )
        ws_scope = {"workspace_name": self.workspace.name, "resource_group_name": args.resource_group_name}
        # Under Entra-only authentication Azure refuses to remove the Entra admin: it goes with the workspace.
        self.sql_admin = synapse.WorkspaceSqlAadAdmin(
            f"{name}-sql-admin",
            administrator_type="ActiveDirectory",
            login=args.admins.name,
            sid=args.admins.object_id,
            tenant_id=args.tenant_id,
            **ws_scope,
            opts=pulumi.ResourceOptions(parent=self, deleted_with=self.workspace, retain_on_delete=True),
        )
        self.firewall_rules = [
            synapse.IpFirewallRule(
                f"{name}-fw-{rule.name}",
                rule_name=rule.name,
                start_ip_address=rule.start,
                end_ip_address=rule.end,
                **ws_scope,
                # Deleted with the workspace, so the serving database's delete still gets through them.
                opts=pulumi.ResourceOptions(parent=self, deleted_with=self.workspace),
            )
            for rule in args.settings.firewall_rules
        ]

        self.serverless_endpoint: pulumi.Output[str] = self.workspace.connectivity_endpoints.apply(
            lambda e: e["sqlOnDemand"]
        )
        self.workspace_id: pulumi.Output[str] = self.workspace.id
        self.principal_id: pulumi.Output[str] = self.workspace.identity.apply(lambda i: i.principal_id)
        self.register_outputs({"serverlessEndpoint": self.serverless_endpoint})


@dataclass(frozen=True)
class ServingDatabaseArgs:
    server: pulumi.Input[str]
    database: str
    analysts: Group
    lake_dfs_url: pulumi.Input[str]
    views_dir: Path


class ServingDatabase(pulumi.ComponentResource):
    """The serverless database with the setup, views and grants of synapse_views/. Declared after the
    role assignments and the SQL admin (the deployer signs in as a member of the admins' group)."""

    def __init__(self, name: str, args: ServingDatabaseArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:synapse:ServingDatabase", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.master_key_password = random.RandomPassword(
            f"{name}-master-key-password",
            length=32,
            special=True,
            override_special="!#%*-_=+",
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            opts=child,
        )
        parameters = serving_parameters(
            database=args.database,
            gold_url=pulumi.Output.from_input(args.lake_dfs_url).apply(lambda u: f"{u}/gold"),
            analysts_group=args.analysts.name,
            master_key_password=pulumi.Output.secret(self.master_key_password.result),
        )
        self.scripts = load_scripts(args.views_dir)
        self.sql = SynapseSqlScripts(
            f"{name}-sql",
            server=args.server,
            database=args.database,
            scripts=self.scripts,
            parameters=parameters,
            opts=pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=["parameters"],
            ),
        )
        self.database = args.database
        self.views: pulumi.Output[list[str]] = self.sql.views
        self.pending_views: pulumi.Output[list[str]] = self.sql.pending
        self.register_outputs({"database": self.database, "views": self.views})
