"""The vault: Key Vault with RBAC authorisation, soft delete, purge protection where config says so."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.keyvault as keyvault

from infra.naming import Naming
from infra.settings import VaultSettings


@dataclass(frozen=True)
class VaultArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    tenant_id: pulumi.Input[str]
    settings: VaultSettings
    source_password_secret_name: str
    source_password: pulumi.Input[str]


class Vault(pulumi.ComponentResource):
    """Key Vault holding the on-prem SQL Server password; ADF reads it through a Key Vault reference."""

    def __init__(self, name: str, args: VaultArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:vault:Vault", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.naming.name("kv"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.settings.soft_delete_retention_days,
                # Azure accepts only `true` here, and never lets it go back: leave it unset when off.
                enable_purge_protection=True if args.settings.purge_protection else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
            ),
            tags=args.tags,
            opts=child,
        )
        self.source_password = keyvault.Secret(
            f"{name}-source-password",
            vault_name=self.vault.name,
            resource_group_name=args.resource_group_name,
            secret_name=args.source_password_secret_name,
            properties=keyvault.SecretPropertiesArgs(
                value=pulumi.Output.secret(args.source_password), content_type="text/plain"
            ),
            opts=pulumi.ResourceOptions(parent=self, deleted_with=self.vault),
        )
        self.vault_id: pulumi.Output[str] = self.vault.id
        self.vault_name: pulumi.Output[str] = self.vault.name
        self.vault_uri: pulumi.Output[str] = self.vault.properties.apply(lambda p: p.vault_uri)
        self.source_password_secret_id: pulumi.Output[str] = self.source_password.id
        self.source_password_secret_name = args.source_password_secret_name
        self.register_outputs({"vaultName": self.vault_name})
