"""The lake: one ADLS Gen2 account, a container per layer, a lifecycle rule for old bronze files."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.storage as storage

from infra.naming import Naming
from infra.settings import LakeSettings

# One container per medallion layer plus the control area; the jobs and ADF use these names.
LAYERS = ("bronze", "silver", "gold", "control")
# Synapse needs a primary ADLS filesystem of its own; it is not a data layer.
SYNAPSE_FILESYSTEM = "synapse"


@dataclass(frozen=True)
class LakeArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    settings: LakeSettings


def lake_url(account: str) -> str:
    """The lake root handed to the jobs: `{layer}` is replaced by the container name by the jobs."""
    return f"abfss://{{layer}}@{account}.dfs.core.windows.net"


def dfs_url(account: str) -> str:
    return f"https://{account}.dfs.core.windows.net"


class Lake(pulumi.ComponentResource):
    """ADLS Gen2 per the security baseline: HNS, no public blobs, no shared keys, TLS 1.2, HTTPS only."""

    def __init__(self, name: str, args: LakeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:lake:Lake", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.naming.storage(),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.settings.sku),
            access_tier=storage.AccessTier.HOT,
            is_hns_enabled=True,
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            enable_https_traffic_only=True,
            allow_cross_tenant_replication=False,
            is_local_user_enabled=False,
            is_sftp_enabled=False,
            tags=args.tags,
            opts=child,
        )
        # Azure deletes the containers and the lifecycle policy with the account: no delete of their own.
        with_account = pulumi.ResourceOptions(parent=self, deleted_with=self.account)
        self.containers: dict[str, storage.BlobContainer] = {}
        for container in (*LAYERS, SYNAPSE_FILESYSTEM):
            self.containers[container] = storage.BlobContainer(
                f"{name}-{container}",
                container_name=container,
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                public_access=storage.PublicAccess.NONE,
                opts=with_account,
            )

        bronze_actions = storage.ManagementPolicyBaseBlobArgs(
            delete=storage.DateAfterModificationArgs(
                days_after_modification_greater_than=args.settings.bronze_delete_after_days
            ),
            tier_to_cool=(
                storage.DateAfterModificationArgs(
                    days_after_modification_greater_than=args.settings.bronze_cool_after_days
                )
                if args.settings.bronze_cool_after_days is not None
                else None
            ),
        )
        self.lifecycle = storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            management_policy_name="default",
            policy=storage.ManagementPolicySchemaArgs(
                rules=[
                    storage.ManagementPolicyRuleArgs(
                        name="bronze-retention",
                        type=storage.RuleType.LIFECYCLE,
                        enabled=True,
                        definition=storage.ManagementPolicyDefinitionArgs(
                            filters=storage.ManagementPolicyFilterArgs(
                                blob_types=["blockBlob"], prefix_match=["bronze/"]
                            ),
                            actions=storage.ManagementPolicyActionArgs(base_blob=bronze_actions),
                        ),
                    )
                ]
            ),
            opts=with_account,
        )

        self.account_name: pulumi.Output[str] = self.account.name
        self.account_id: pulumi.Output[str] = self.account.id
        self.blob_service_id: pulumi.Output[str] = self.account.id.apply(lambda i: f"{i}/blobServices/default")
        self.dfs_url: pulumi.Output[str] = self.account.name.apply(dfs_url)
        self.lake_url: pulumi.Output[str] = self.account.name.apply(lake_url)
        self.container_ids: dict[str, pulumi.Output[str]] = {k: c.id for k, c in self.containers.items()}
        self.register_outputs({"accountName": self.account_name, "lakeUrl": self.lake_url})
