"""Monitoring: one Log Analytics workspace, diagnostic settings on every service, an alert on failed
pipeline runs to an action group that e-mails the address from config.

Azure refuses a diagnostic setting that names a category its resource type does not have, so each setting
sends only what `DIAGNOSTICS` lists for its type, taken from Microsoft Learn's supported-categories pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native.monitor as monitor
import pulumi_azure_native.operationalinsights as operationalinsights

from infra.naming import Naming

LEARN = "https://learn.microsoft.com/azure/azure-monitor/reference"


@dataclass(frozen=True)
class Diagnostics:
    """What a diagnostic setting may send for one resource type, and the pages that document it."""

    logs: tuple[str, ...]  # category groups (`allLogs`: every log category the type has)
    metrics: tuple[str, ...]  # metric categories exportable by a diagnostic setting ("DS Export: Yes")
    sources: tuple[str, ...]


# fmt: off
DIAGNOSTICS: dict[str, Diagnostics] = {
    "Microsoft.DataFactory/factories": Diagnostics(("allLogs",), ("AllMetrics",), (
        f"{LEARN}/supported-metrics/microsoft-datafactory-factories-metrics",
        f"{LEARN}/supported-logs/microsoft-datafactory-factories-logs",
    )),
    "Microsoft.KeyVault/vaults": Diagnostics(("allLogs",), ("AllMetrics",), (
        f"{LEARN}/supported-metrics/microsoft-keyvault-vaults-metrics",
        f"{LEARN}/supported-logs/microsoft-keyvault-vaults-logs",
    )),
    # Storage services group their metrics by category; AllMetrics is not one of them.
    "Microsoft.Storage/storageAccounts/blobServices": Diagnostics(("allLogs",), ("Transaction", "Capacity"), (
        f"{LEARN}/supported-metrics/microsoft-storage-storageaccounts-blobservices-metrics",
        f"{LEARN}/supported-logs/microsoft-storage-storageaccounts-blobservices-logs",
    )),
    # Databricks workspaces have resource logs only: no supported-metrics page lists them.
    "Microsoft.Databricks/workspaces": Diagnostics(("allLogs",), (), (
        f"{LEARN}/supported-logs/microsoft-databricks-workspaces-logs",
    )),
    # Every metric of a Synapse workspace says "DS Export: No".
    "Microsoft.Synapse/workspaces": Diagnostics(("allLogs",), (), (
        f"{LEARN}/supported-metrics/microsoft-synapse-workspaces-metrics",
        f"{LEARN}/supported-logs/microsoft-synapse-workspaces-logs",
    )),
}
# fmt: on


@dataclass(frozen=True)
class DiagnosticTarget:
    key: str  # factory | vault | lake | databricks | synapse
    resource_id: pulumi.Input[str]
    resource_type: str  # a key of DIAGNOSTICS


@dataclass(frozen=True)
class MonitoringArgs:
    naming: Naming
    resource_group_name: pulumi.Input[str]
    location: str
    tags: dict[str, str]
    retention_days: int
    alert_email: str
    factory_id: pulumi.Input[str]
    targets: list[DiagnosticTarget]


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("insights:monitoring:Monitoring", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workspace = operationalinsights.Workspace(
            f"{name}-logs",
            workspace_name=args.naming.name("log"),
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_days,
            tags=args.tags,
            opts=child,
        )
        self.diagnostics: dict[str, monitor.DiagnosticSetting] = {}
        for target in args.targets:
            categories = DIAGNOSTICS[target.resource_type]
            self.diagnostics[target.key] = monitor.DiagnosticSetting(
                f"{name}-diag-{target.key}",
                name="to-log-analytics",
                resource_uri=target.resource_id,
                workspace_id=self.workspace.id,
                # Resource-specific tables (ADFPipelineRun, ...) rather than the legacy AzureDiagnostics.
                log_analytics_destination_type="Dedicated",
                logs=[monitor.DiagnosticsLogSettingsArgs(category_group=g, enabled=True) for g in categories.logs],
                metrics=[monitor.DiagnosticsMetricSettingsArgs(category=c, enabled=True) for c in categories.metrics]
                or None,
                opts=child,
            )

        self.action_group = monitor.ActionGroup(
            f"{name}-action-group",
            action_group_name=args.naming.name("ag"),
            resource_group_name=args.resource_group_name,
            location="Global",
            group_short_name=args.naming.short,
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name="platform-team", email_address=args.alert_email, use_common_alert_schema=True
                )
            ],
            tags=args.tags,
            opts=child,
        )
        self.failed_runs_alert = monitor.MetricAlert(
            f"{name}-failed-pipeline-runs",
            rule_name=args.naming.name("alert-adf-failed"),
            resource_group_name=args.resource_group_name,
            location="global",
            description="A Data Factory pipeline run failed",
            severity=1,
            enabled=True,
            scopes=[args.factory_id],
            evaluation_frequency="PT5M",
            window_size="PT15M",
            auto_mitigate=True,
            criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
                odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                all_of=[
                    monitor.MetricCriteriaArgs(
                        criterion_type="StaticThresholdCriterion",
                        name="failed-runs",
                        metric_namespace="Microsoft.DataFactory/factories",
                        metric_name="PipelineFailedRuns",
                        operator="GreaterThan",
                        threshold=0,
                        time_aggregation="Total",
                    )
                ],
            ),
            actions=[monitor.MetricAlertActionArgs(action_group_id=self.action_group.id)],
            tags=args.tags,
            opts=child,
        )
        self.workspace_id: pulumi.Output[str] = self.workspace.id
        self.register_outputs({"logAnalyticsWorkspaceId": self.workspace_id})
