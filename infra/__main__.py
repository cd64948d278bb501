"""Customer Insights Platform: the Azure platform of one environment (one stack per environment).

Deploys, in one resource group: the lake (ADLS Gen2: bronze, silver, gold, control), the vault with
the source database password, Databricks (premium workspace, Unity Catalog access to the lake, the
silver and gold jobs running the wheel built from databricks_jobs/), the data factory (self-hosted
runtime, linked services, the pipelines and datasets of adf_pipelines/, the daily trigger), Synapse
serverless with the views of synapse_views/, the role assignments between them, and monitoring.
Every environment difference is in Pulumi.<stack>.yaml; see docs/infra.md.
"""

import sys
from pathlib import Path

# Pulumi runs this folder as a script, with the folder first on sys.path: take it off (its modules,
# such as `wheel` or `databricks`, would shadow libraries of the same name) and make the `infra`
# package importable by its name instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import pulumi  # noqa: E402
import pulumi_azure_native.authorization as authorization  # noqa: E402
import pulumi_azure_native.resources as resources  # noqa: E402

from infra.access import Access, AccessArgs  # noqa: E402
from infra.databricks import Databricks, DatabricksArgs, LakeCatalog, LakeCatalogArgs  # noqa: E402
from infra.factory import Factory, FactoryArgs  # noqa: E402
from infra.lake import Lake, LakeArgs  # noqa: E402
from infra.monitoring import DiagnosticTarget, Monitoring, MonitoringArgs  # noqa: E402
from infra.naming import Naming  # noqa: E402
from infra.paths import ArtifactPaths  # noqa: E402
from infra.settings import load_settings  # noqa: E402
from infra.synapse import ServingDatabase, ServingDatabaseArgs, Synapse, SynapseArgs  # noqa: E402
from infra.vault import Vault, VaultArgs  # noqa: E402
from infra.wheel import build_wheel  # noqa: E402

# 1. The stack's settings, validated before anything is declared.
settings = load_settings()
paths = ArtifactPaths.from_env()
wheel = build_wheel(paths.jobs, paths.wheel_cache)
pulumi.log.info(f"jobs wheel: {wheel.filename}")

client = authorization.get_client_config_output()
tags = {"project": "customer-insights", "environment": settings.environment, "managed-by": "pulumi"}
tags |= settings.tags
naming = Naming("naming", settings.prefix, settings.environment)
group = resources.ResourceGroup(
    "resource-group", resource_group_name=naming.name("rg"), location=settings.location, tags=tags
)
common = {"naming": naming, "resource_group_name": group.name, "location": settings.location, "tags": tags}

# 2. Storage and secrets.
lake = Lake("lake", LakeArgs(**common, settings=settings.lake))
vault = Vault(
    "vault",
    VaultArgs(
        **common,
        tenant_id=client.tenant_id,
        settings=settings.vault,
        source_password_secret_name=settings.source.password_secret_name,
        source_password=settings.source_password,
    ),
)

# 3. Compute: Databricks with the jobs, then the factory that runs them daily.
databricks = Databricks(
    "databricks",
    DatabricksArgs(
        **common,
        subscription_id=client.subscription_id,
        lake_account_name=lake.account_name,
        lake_url=lake.lake_url,
        wheel=wheel,
        cluster=settings.job_cluster,
        alert_email=settings.monitoring.alert_email,
        metastore_id=settings.databricks.metastore_id,
    ),
)
factory = Factory(
    "factory",
    FactoryArgs(
        **common,
        artifacts_dir=paths.adf,
        lake_url=lake.lake_url,
        lake_dfs_url=lake.dfs_url,
        vault_uri=vault.vault_uri,
        source=settings.source,
        databricks_workspace_url=databricks.workspace_url,
        databricks_workspace_id=databricks.workspace_id,
        silver_job_id=databricks.silver_job_id,
        gold_job_id=databricks.gold_job_id,
        trigger=settings.trigger,
    ),
)

# 4. Serving: Synapse serverless.
synapse = Synapse(
    "synapse",
    SynapseArgs(
        **common,
        tenant_id=client.tenant_id,
        settings=settings.synapse,
        admins=settings.groups.platform_admins,
        lake_dfs_url=lake.dfs_url,
        lake_account_id=lake.account_id,
    ),
)

# 5. Who may do what (infra/access.py has the table), then what needs that access to be created.
principals = {
    "factory": factory.principal_id,
    "databricks": databricks.connector_principal_id,
    "synapse": synapse.principal_id,
    "platformAdmins": settings.groups.platform_admins.object_id,
}
if settings.groups.data_engineers:
    principals["dataEngineers"] = settings.groups.data_engineers.object_id
access = Access(
    "access",
    AccessArgs(
        subscription_id=client.subscription_id,
        principals=principals,
        scopes={
            **{f"container:{name}": container_id for name, container_id in lake.container_ids.items()},
            "lake": lake.account_id,
            "vault": vault.vault_id,
            "secret:source-password": vault.source_password_secret_id,
            "databricks-workspace": databricks.workspace_id,
        },
    ),
)
catalog = LakeCatalog(
    "lake-catalog",
    LakeCatalogArgs(
        naming=naming,
        provider=databricks.provider,
        connector_id=databricks.connector_id,
        lake_account_name=lake.account_name,
    ),
    opts=pulumi.ResourceOptions(depends_on=[access, *filter(None, [databricks.metastore_assignment])]),
)
serving = ServingDatabase(
    "serving",
    ServingDatabaseArgs(
        server=synapse.serverless_endpoint,
        database=settings.synapse.database,
        analysts=settings.groups.analysts,
        lake_dfs_url=lake.dfs_url,
        views_dir=paths.views,
    ),
    opts=pulumi.ResourceOptions(depends_on=[access, synapse]),
)

# 6. Logs and alerts.
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        **common,
        retention_days=settings.monitoring.log_retention_days,
        alert_email=settings.monitoring.alert_email,
        factory_id=factory.factory_id,
        targets=[
            DiagnosticTarget("factory", factory.factory_id, "Microsoft.DataFactory/factories"),
            DiagnosticTarget("vault", vault.vault_id, "Microsoft.KeyVault/vaults"),
            DiagnosticTarget("lake", lake.blob_service_id, "Microsoft.Storage/storageAccounts/blobServices"),
            DiagnosticTarget("databricks", databricks.workspace_id, "Microsoft.Databricks/workspaces"),
            DiagnosticTarget("synapse", synapse.workspace_id, "Microsoft.Synapse/workspaces"),
        ],
    ),
)

# 7. What an operator needs.
pulumi.export("subscriptionId", client.subscription_id)
pulumi.export("resourceGroupName", group.name)
pulumi.export("lakeUrl", lake.lake_url)
pulumi.export("storageAccountName", lake.account_name)
pulumi.export("keyVaultName", vault.vault_name)
pulumi.export("factoryName", factory.factory_name)
pulumi.export("triggerNames", factory.trigger_names)
pulumi.export("triggerEnabled", settings.trigger.enabled)
pulumi.export("databricksWorkspaceUrl", databricks.workspace_url.apply(lambda u: f"https://{u}"))
pulumi.export("databricksWorkspaceId", databricks.workspace_id)
pulumi.export("silverJobId", databricks.silver_job_id)
pulumi.export("goldJobId", databricks.gold_job_id)
pulumi.export("jobsWheel", wheel.filename)
pulumi.export("synapseServerlessEndpoint", synapse.serverless_endpoint)
pulumi.export("synapseWorkspaceName", synapse.workspace.name)
pulumi.export("synapseDatabase", serving.database)
pulumi.export("synapseViewsPending", serving.pending_views)
pulumi.export("logAnalyticsWorkspaceId", monitoring.workspace_id)
