"""Databricks: a premium workspace, Unity Catalog access to the lake, the wheel, the two jobs.

Azure resources (workspace, access connector) come from pulumi-azure-native; what lives inside the
workspace (storage credential, external locations, the wheel file, the jobs) comes from
pulumi-databricks through a provider built from the new workspace. The workspace must be enabled for
Unity Catalog: with `databricks.metastoreId` in the stack the program assigns it to that metastore, otherwise
it relies on Databricks' automatic assignment (the deploy's preflight checks the region has a metastore).

The provider signs in with `auth_type = "azure-cli"` and the workspace's Azure resource id. That is the Azure
management-token path of the Databricks SDK (databricks-sdk-go, config/auth_azure_cli.go): besides the
Databricks token it sends `X-Databricks-Azure-SP-Management-Token`, so an identity with Contributor on the
workspace resource that is not yet a member of a brand-new workspace is added as its admin. `github-oidc-azure`
sends no management token (config/auth_azure_github_oidc.go) and would be refused by a new workspace.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_azure_native.databricks as azdbx
import pulumi_databricks as dbx

from infra.lake import LAYERS
from infra.naming import Naming
from infra.settings import JobClusterSettings
from infra.wheel import Wheel, WheelBuildError
from insights_jobs import ENTRY_POINTS as JOBS

WHEEL_FOLDER = "/Shared/customer-insights/wheels"
# The provider's sign-in: the Azure CLI's session, with the management token (see the module docstring).
AUTH_TYPE = "azure-cli"
JOB_CLUSTER_KEY = "job_cluster"
# Every Delta table Synapse serverless reads must stay at reader version 1: no deletion vectors,
# whatever the workspace's default for new tables is. The jobs set it per table too.
SPARK_CONF = {
    "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
}


def job_parameters(layer: str, lake_url: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """A job's parameters and their defaults: ADF's DatabricksJob activity sets them (its jobParameters), the
    wheel task passes each on as a named parameter (`run_id` -> `--run-id`)."""
    parameters: dict[str, pulumi.Input[str]] = {"lake": lake_url, "run_id": "manual"}
    if layer == "silver":
        parameters["load_date"] = ""  # empty: silver finds the run's bronze under any load date
    return parameters


@dataclass(frozen=True)
class DatabricksArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    subscription_id: pulumi.Input[str]
    lake_account_name: pulumi.Input[str]
    lake_url: pulumi.Input[str]
    wheel: Wheel
    cluster: JobClusterSettings
    alert_email: str
    metastore_id: str | None = None


def _new_cluster(cluster: JobClusterSettings, tags: dict[str, str]) -> dbx.JobJobClusterNewClusterArgs:
    fixed = cluster.min_workers == cluster.max_workers
    return dbx.JobJobClusterNewClusterArgs(
        spark_version=cluster.spark_version,
        node_type_id=cluster.node_type,
        num_workers=cluster.min_workers if fixed else None,
        autoscale=(
            None
            if fixed
            else dbx.JobJobClusterNewClusterAutoscaleArgs(
                min_workers=cluster.min_workers, max_workers=cluster.max_workers
            )
        ),
        # Unity Catalog, one user (the job's run-as identity): path access to the external locations.
        data_security_mode="SINGLE_USER",
        spark_conf=SPARK_CONF,
        azure_attributes=dbx.JobJobClusterNewClusterAzureAttributesArgs(
            availability="SPOT_WITH_FALLBACK_AZURE" if cluster.spot else "ON_DEMAND_AZURE",
            first_on_demand=1,
        ),
        custom_tags=tags,
    )


class Databricks(pulumi.ComponentResource):
    def __init__(self, name: str, args: DatabricksArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:databricks:Databricks", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        managed_rg = pulumi.Output.all(args.subscription_id, args.naming.name("rg")).apply(
            lambda v: f"/subscriptions/{v[0]}/resourceGroups/{v[1]}-dbw-managed"
        )
        self.workspace = azdbx.Workspace(
            f"{name}-workspace",
            workspace_name=args.naming.name("dbw"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=azdbx.SkuArgs(name="premium"),
            managed_resource_group_id=managed_rg,
            tags=args.tags,
            opts=child,
        )
        self.connector = azdbx.AccessConnector(
            f"{name}-connector",
            connector_name=args.naming.name("dbac"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=azdbx.ManagedServiceIdentityArgs(type=azdbx.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            tags=args.tags,
            opts=child,
        )

        self.provider = dbx.Provider(
            f"{name}-provider",
            host=self.workspace.workspace_url.apply(lambda u: f"https://{u}"),
            auth_type=AUTH_TYPE,
            azure_workspace_resource_id=self.workspace.id,
            opts=child,
        )
        # The metastore assignment, the wheel file and the jobs go with the workspace (the assignment must
        # outlive the Unity Catalog objects, which are deleted through it).
        in_workspace = pulumi.ResourceOptions(parent=self, provider=self.provider, deleted_with=self.workspace)
        self.metastore_assignment = (
            dbx.MetastoreAssignment(
                f"{name}-metastore",
                metastore_id=args.metastore_id,
                workspace_id=self.workspace.workspace_id.apply(int),
                opts=in_workspace,
            )
            if args.metastore_id
            else None
        )

        wheel = args.wheel
        scripts = wheel.console_scripts()
        for entry_point in JOBS.values():
            if entry_point not in scripts:
                raise WheelBuildError(
                    f"{wheel.filename} has no entry point {entry_point!r} (databricks_jobs/pyproject.toml "
                    f"[project.scripts] has {', '.join(sorted(scripts)) or 'none'}): the job would not start"
                )
        self.wheel_path = f"{WHEEL_FOLDER}/{wheel.filename}"
        self.wheel_file = dbx.WorkspaceFile(
            f"{name}-wheel",
            path=self.wheel_path,
            # The bytes, not a local path: the input is the same on every machine that builds it.
            content_base64=base64.b64encode(wheel.path.read_bytes()).decode("ascii"),
            opts=in_workspace,
        )

        self.jobs: dict[str, dbx.Job] = {}
        for layer, entry_point in JOBS.items():
            parameters = job_parameters(layer, args.lake_url)
            self.jobs[layer] = dbx.Job(
                f"{name}-job-{layer}",
                name=entry_point,
                description=f"{entry_point}: the {layer} layer of the lake (run by ADF's {layer} activity)",
                max_concurrent_runs=1,
                timeout_seconds=args.cluster.timeout_minutes * 60,
                parameters=[dbx.JobParameterArgs(name=key, default=value) for key, value in parameters.items()],
                job_clusters=[
                    dbx.JobJobClusterArgs(
                        job_cluster_key=JOB_CLUSTER_KEY, new_cluster=_new_cluster(args.cluster, args.tags)
                    )
                ],
                tasks=[
                    dbx.JobTaskArgs(
                        task_key=layer,
                        job_cluster_key=JOB_CLUSTER_KEY,
                        python_wheel_task=dbx.JobTaskPythonWheelTaskArgs(
                            package_name=wheel.package,
                            entry_point=entry_point,
                            named_parameters={
                                key.replace("_", "-"): f"{{{{job.parameters.{key}}}}}" for key in parameters
                            },
                        ),
                        libraries=[dbx.JobTaskLibraryArgs(whl=f"/Workspace{self.wheel_path}")],
                    )
                ],
                email_notifications=dbx.JobEmailNotificationsArgs(on_failures=[args.alert_email]),
                tags=args.tags,
                opts=pulumi.ResourceOptions.merge(in_workspace, pulumi.ResourceOptions(depends_on=[self.wheel_file])),
            )

        self.workspace_id: pulumi.Output[str] = self.workspace.id
        self.workspace_url: pulumi.Output[str] = self.workspace.workspace_url
        self.connector_id: pulumi.Output[str] = self.connector.id
        self.connector_principal_id: pulumi.Output[str] = self.connector.identity.apply(lambda i: i.principal_id)
        self.silver_job_id: pulumi.Output[str] = self.jobs["silver"].id
        self.gold_job_id: pulumi.Output[str] = self.jobs["gold"].id
        self.register_outputs({"workspaceUrl": self.workspace_url, "wheel": wheel.filename})


@dataclass(frozen=True)
class LakeCatalogArgs:
    naming: Naming
    provider: dbx.Provider
    connector_id: pulumi.Input[str]
    lake_account_name: pulumi.Input[str]


class LakeCatalog(pulumi.ComponentResource):
    """Unity Catalog's way to the lake: a storage credential (the access connector) and one external
    location per container. Declared after the role assignments (Unity Catalog checks its access when
    it creates a location), which is why it is a component of its own."""

    def __init__(self, name: str, args: LakeCatalogArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:databricks:LakeCatalog", name, {}, opts)
        in_workspace = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.storage_credential = dbx.StorageCredential(
            f"{name}-credential",
            name=args.naming.name("lake"),
            comment="The access connector's identity, for the lake's containers",
            azure_managed_identity=dbx.StorageCredentialAzureManagedIdentityArgs(access_connector_id=args.connector_id),
            opts=in_workspace,
        )
        self.external_locations: dict[str, dbx.ExternalLocation] = {}
        for layer in LAYERS:
            self.external_locations[layer] = dbx.ExternalLocation(
                f"{name}-{layer}",
                name=args.naming.name(layer),
                url=pulumi.Output.from_input(args.lake_account_name).apply(
                    lambda account, layer=layer: f"abfss://{layer}@{account}.dfs.core.windows.net/"
                ),
                credential_name=self.storage_credential.name,
                comment=f"The lake's {layer} container",
                opts=in_workspace,
            )
        self.register_outputs({"credential": self.storage_credential.name})
