"""The data factory: identity, self-hosted runtime, linked services, the artifacts, the daily trigger.

Linked services and the trigger are written with pulumi-azure-native's `*Args` classes, whose keys
reach Azure as ADF's camelCase; datasets and pipelines are the JSON files of `adf_pipelines/`, read by
`adf_pipelines.load_factory` and converted to the SDK's shape by `infra.adf_artifacts`. Environment
values (the lake URL, the Databricks job ids) reach the pipelines only as factory global parameters, so
the JSON files stay environment-free.

azure-native cannot start or stop a trigger, and ADF refuses to update a started one: stopping the
triggers before `pulumi up` and starting them after is a step of `insights deploy` (insights/ops/triggers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_azure_native.datafactory as adf

from adf_pipelines import (
    LINKED_SERVICES,
    LS_DATABRICKS,
    LS_KEYVAULT,
    LS_LAKE,
    LS_SOURCE,
    MASTER_PIPELINE,
    FactoryError,
    load_factory,
)
from infra.adf_artifacts import dataset_properties, pipeline_args
from infra.naming import Naming
from infra.settings import SourceSettings, TriggerSettings

SELF_HOSTED_RUNTIME = "shir-onprem"
DAILY_TRIGGER = "tr_daily"


@dataclass(frozen=True)
class FactoryArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    artifacts_dir: Path
    lake_url: pulumi.Input[str]
    lake_dfs_url: pulumi.Input[str]
    vault_uri: pulumi.Input[str]
    source: SourceSettings
    databricks_workspace_url: pulumi.Input[str]
    databricks_workspace_id: pulumi.Input[str]
    silver_job_id: pulumi.Input[str]
    gold_job_id: pulumi.Input[str]
    trigger: TriggerSettings


class Factory(pulumi.ComponentResource):
    def __init__(self, name: str, args: FactoryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:factory:Factory", name, {}, opts)
        # Read and check the artifacts first: a broken file fails the preview before anything else.
        artifacts = load_factory(args.artifacts_dir)
        for service, files in artifacts.linked_service_users().items():
            if service not in LINKED_SERVICES:
                raise FactoryError(
                    f"{args.artifacts_dir}/{files[0]}: linked service {service!r} is not one the factory defines "
                    f"({', '.join(sorted(LINKED_SERVICES))})"
                )
        if MASTER_PIPELINE not in artifacts.pipelines:
            raise FactoryError(f"{args.artifacts_dir}/pipeline/{MASTER_PIPELINE}.json is missing: the trigger runs it")
        datasets = {dataset: dataset_properties(artifacts, dataset) for dataset in sorted(artifacts.datasets)}
        pipelines = {pipeline: pipeline_args(artifacts, pipeline) for pipeline in artifacts.call_order()}

        self.factory = adf.Factory(
            f"{name}-factory",
            factory_name=args.naming.name("adf"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=adf.FactoryIdentityArgs(type=adf.FactoryIdentityType.SYSTEM_ASSIGNED),
            global_parameters={
                "lakeUrl": adf.GlobalParameterSpecificationArgs(type="String", value=args.lake_url),
                "silverJobId": adf.GlobalParameterSpecificationArgs(type="String", value=args.silver_job_id),
                "goldJobId": adf.GlobalParameterSpecificationArgs(type="String", value=args.gold_job_id),
            },
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        factory_name = self.factory.name
        scoped = {"factory_name": factory_name, "resource_group_name": args.resource_group_name}

        # Everything inside the factory goes with it: no delete of its own (ADF refuses to delete a started
        # trigger, or a runtime with registered nodes).
        def in_factory(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, deleted_with=self.factory, depends_on=list(depends_on))

        self.runtime = adf.IntegrationRuntime(
            f"{name}-shir",
            integration_runtime_name=SELF_HOSTED_RUNTIME,
            properties=adf.SelfHostedIntegrationRuntimeArgs(
                type="SelfHosted", description="On-premises SQL Server (SalesLT) reached from the data centre"
            ),
            **scoped,
            opts=in_factory(),
        )

        keyvault_ls = adf.LinkedService(
            f"{name}-{LS_KEYVAULT}",
            linked_service_name=LS_KEYVAULT,
            properties=adf.AzureKeyVaultLinkedServiceArgs(type="AzureKeyVault", base_url=args.vault_uri),
            **scoped,
            opts=in_factory(),
        )
        lake_ls = adf.LinkedService(
            f"{name}-{LS_LAKE}",
            linked_service_name=LS_LAKE,
            # No credential: ADF authenticates with its system-assigned identity.
            properties=adf.AzureBlobFSLinkedServiceArgs(type="AzureBlobFS", url=args.lake_dfs_url),
            **scoped,
            opts=in_factory(),
        )
        source_ls = adf.LinkedService(
            f"{name}-{LS_SOURCE}",
            linked_service_name=LS_SOURCE,
            properties=adf.SqlServerLinkedServiceArgs(
                type="SqlServer",
                version="2.0",
                server=args.source.server,
                database=args.source.database,
                authentication_type="SQL",
                user_name=args.source.user,
                encrypt=args.source.encrypt,
                trust_server_certificate=args.source.trust_server_certificate,
                password=adf.AzureKeyVaultSecretReferenceArgs(
                    type="AzureKeyVaultSecret",
                    secret_name=args.source.password_secret_name,
                    store=adf.LinkedServiceReferenceArgs(reference_name=LS_KEYVAULT, type="LinkedServiceReference"),
                ),
                connect_via=adf.IntegrationRuntimeReferenceArgs(
                    reference_name=SELF_HOSTED_RUNTIME, type="IntegrationRuntimeReference"
                ),
            ),
            **scoped,
            opts=in_factory(self.runtime, keyvault_ls),
        )
        databricks_ls = adf.LinkedService(
            f"{name}-{LS_DATABRICKS}",
            linked_service_name=LS_DATABRICKS,
            # Job mode: no cluster settings here, the jobs define their own job clusters.
            properties=adf.AzureDatabricksLinkedServiceArgs(
                type="AzureDatabricks",
                domain=pulumi.Output.from_input(args.databricks_workspace_url).apply(lambda u: f"https://{u}"),
                authentication="MSI",
                workspace_resource_id=args.databricks_workspace_id,
            ),
            **scoped,
            opts=in_factory(),
        )
        self.linked_services = {
            LS_KEYVAULT: keyvault_ls,
            LS_LAKE: lake_ls,
            LS_SOURCE: source_ls,
            LS_DATABRICKS: databricks_ls,
        }

        self.datasets: dict[str, adf.Dataset] = {}
        for dataset, properties in datasets.items():
            self.datasets[dataset] = adf.Dataset(
                f"{name}-{dataset}",
                dataset_name=dataset,
                properties=properties,
                **scoped,
                opts=in_factory(*self.linked_services.values()),
            )

        self.pipelines: dict[str, adf.Pipeline] = {}
        for pipeline, pipeline_inputs in pipelines.items():
            depends = [*self.datasets.values(), *self.linked_services.values()]
            depends += [self.pipelines[called] for called in artifacts.runs(pipeline)]
            self.pipelines[pipeline] = adf.Pipeline(
                f"{name}-{pipeline}",
                pipeline_name=pipeline,
                **pipeline_inputs,
                **scoped,
                opts=in_factory(*depends),
            )

        trigger = args.trigger
        self.trigger = adf.Trigger(
            f"{name}-{DAILY_TRIGGER}",
            trigger_name=DAILY_TRIGGER,
            properties=adf.ScheduleTriggerArgs(
                type="ScheduleTrigger",
                description=f"Runs {MASTER_PIPELINE} every day at {trigger.time} ({trigger.time_zone})",
                recurrence=adf.ScheduleTriggerRecurrenceArgs(
                    frequency="Day",
                    interval=1,
                    # A fixed start from config, never "now": a second `pulumi up` must change nothing.
                    start_time=f"{trigger.start_date.isoformat()}T00:00:00",
                    time_zone=trigger.time_zone,
                    schedule=adf.RecurrenceScheduleArgs(hours=[trigger.hour], minutes=[trigger.minute]),
                ),
                pipelines=[
                    adf.TriggerPipelineReferenceArgs(
                        pipeline_reference=adf.PipelineReferenceArgs(
                            reference_name=MASTER_PIPELINE, type="PipelineReference"
                        ),
                        parameters={},
                    )
                ],
            ),
            **scoped,
            opts=in_factory(self.pipelines[MASTER_PIPELINE]),
        )

        self.factory_id: pulumi.Output[str] = self.factory.id
        self.factory_name: pulumi.Output[str] = factory_name
        self.principal_id: pulumi.Output[str] = self.factory.identity.apply(lambda i: i.principal_id)
        self.trigger_names = [DAILY_TRIGGER]
        self.register_outputs({"factoryName": factory_name})
