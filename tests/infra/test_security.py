"""Every resource is declared with its key security properties, for dev and for prod."""

from __future__ import annotations

import json
from typing import Any

from adf_pipelines import ADF_PIPELINES
from infra.naming import MAX_LENGTHS
from infra.offline import Run
from tests.support.stacks import SOURCE_PASSWORD

SECRET_SIG = "4dabf18193072939515e22adb298388d"


def plain_strings(value: Any):
    """Every string on the wire outside a secret wrapper."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return
        for item in value.values():
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)
    elif isinstance(value, str):
        yield value


def role_assignment_urns(run: Run) -> set[str]:
    return {r.urn for r in run.of_type("azure-native:authorization:RoleAssignment")}


def test_resource_inventory(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    counts: dict[str, int] = {}
    for resource in run.resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    assert counts["azure-native:resources:ResourceGroup"] == 1
    assert counts["azure-native:storage:StorageAccount"] == 1
    assert counts["azure-native:storage:BlobContainer"] == 5
    assert counts["azure-native:keyvault:Vault"] == 1
    assert counts["azure-native:datafactory:Factory"] == 1
    assert counts["azure-native:datafactory:LinkedService"] == 4
    assert counts["azure-native:datafactory:Trigger"] == 1
    assert counts["azure-native:databricks:Workspace"] == 1
    assert counts["databricks:index/job:Job"] == 2
    assert counts["databricks:index/externalLocation:ExternalLocation"] == 4
    assert counts["azure-native:synapse:Workspace"] == 1
    assert counts["azure-native:monitor:DiagnosticSetting"] == 5
    assert counts["azure-native:monitor:MetricAlert"] == 1
    assert counts["pulumi-python:dynamic:Resource"] == 1
    # serverless only: no dedicated SQL pool, no Spark pool
    assert not [
        r for r in run.resources if r.type in {"azure-native:synapse:SqlPool", "azure-native:synapse:BigDataPool"}
    ]


def test_every_resource_belongs_to_a_component(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    components = {r.urn for r in run.resources if r.type.startswith("insights:")}
    for resource in run.resources:
        if resource.type.startswith("insights:") or resource.name == "resource-group":
            assert (
                resource.parent
                == f"urn:pulumi:{stack}::customer-insights::pulumi:pulumi:Stack::customer-insights-{stack}"
            )
            continue
        assert resource.parent in components, f"{resource.name} is not a child of a component"
        component = run.by_urn(resource.parent)
        assert resource.name.startswith(component.name), f"{resource.name} is not named after {component.name}"


def test_names_share_one_random_suffix_and_fit_azure_limits(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    names = {
        "storage": run.one("azure-native:storage:StorageAccount").inputs["accountName"],
        "keyvault": run.one("azure-native:keyvault:Vault").inputs["vaultName"],
        "factory": run.one("azure-native:datafactory:Factory").inputs["factoryName"],
        "databricks": run.one("azure-native:databricks:Workspace").inputs["workspaceName"],
        "synapse": run.one("azure-native:synapse:Workspace").inputs["workspaceName"],
        "resource_group": run.one("azure-native:resources:ResourceGroup").inputs["resourceGroupName"],
    }
    suffix = run.one("random:index/randomString:RandomString")
    assert suffix.inputs == {"length": 5, "lower": True, "numeric": True, "special": False, "upper": False}
    for kind, name in names.items():
        assert name.endswith("k3x9q") and stack in name, name
        assert len(name) <= MAX_LENGTHS[kind], name
    assert names["storage"] == f"stcip{stack}k3x9q"
    assert names["keyvault"] == f"kv-cip-{stack}-k3x9q"


def test_lake_baseline(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    account = run.one("azure-native:storage:StorageAccount").inputs
    assert account["isHnsEnabled"] is True
    assert account["allowBlobPublicAccess"] is False
    assert account["allowSharedKeyAccess"] is False
    assert account["defaultToOAuthAuthentication"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["enableHttpsTrafficOnly"] is True
    assert account["kind"] == "StorageV2"
    assert account["sku"] == {"name": "Standard_LRS" if stack == "dev" else "Standard_ZRS"}
    containers = {c.inputs["containerName"]: c.inputs for c in run.of_type("azure-native:storage:BlobContainer")}
    assert set(containers) == {"bronze", "silver", "gold", "control", "synapse"}
    assert all(c["publicAccess"] == "None" for c in containers.values())


def test_bronze_lifecycle_rule(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    [rule] = run.one("azure-native:storage:ManagementPolicy").inputs["policy"]["rules"]
    assert rule["definition"]["filters"] == {"blobTypes": ["blockBlob"], "prefixMatch": ["bronze/"]}
    base = rule["definition"]["actions"]["baseBlob"]
    if stack == "dev":
        assert base == {"delete": {"daysAfterModificationGreaterThan": 30}}
    else:
        assert base == {
            "delete": {"daysAfterModificationGreaterThan": 365},
            "tierToCool": {"daysAfterModificationGreaterThan": 30},
        }


def test_vault_baseline(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    properties = run.one("azure-native:keyvault:Vault").inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert "accessPolicies" not in properties
    if stack == "prod":
        assert properties["enablePurgeProtection"] is True
        assert properties["softDeleteRetentionInDays"] == 90
    else:
        assert "enablePurgeProtection" not in properties  # Azure accepts only true; off means unset
        assert properties["softDeleteRetentionInDays"] == 7


def test_the_source_password_travels_only_as_a_secret(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    secret = run.one("azure-native:keyvault:Secret")
    assert secret.inputs["secretName"] == "source-sql-password"
    assert secret.wire["properties"]["value"] == {
        SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270",
        "value": SOURCE_PASSWORD,
    }
    for resource in run.resources:
        assert SOURCE_PASSWORD not in list(plain_strings(resource.wire)), resource.name
    source = run.one("azure-native:datafactory:LinkedService", "factory-ls_sqlserver_source").inputs["properties"]
    assert source["password"] == {
        "type": "AzureKeyVaultSecret",
        "secretName": "source-sql-password",
        "store": {"referenceName": "ls_keyvault", "type": "LinkedServiceReference"},
    }
    assert source["connectVia"] == {"referenceName": "shir-onprem", "type": "IntegrationRuntimeReference"}


def test_factory_uses_its_identity_everywhere(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    assert run.one("azure-native:datafactory:Factory").inputs["identity"] == {"type": "SystemAssigned"}
    runtime = run.one("azure-native:datafactory:IntegrationRuntime").inputs
    assert runtime["properties"]["type"] == "SelfHosted"
    credential_keys = {"accountKey", "sasUri", "sasToken", "servicePrincipalKey", "accessToken", "credential"}
    for linked in run.of_type("azure-native:datafactory:LinkedService"):
        assert not credential_keys & set(linked.inputs["properties"]), linked.name
    databricks = run.one("azure-native:datafactory:LinkedService", "factory-ls_databricks").inputs["properties"]
    assert databricks["authentication"] == "MSI"
    assert databricks["workspaceResourceId"] == run.one("azure-native:databricks:Workspace").id
    assert not {"existingClusterId", "newClusterNodeType", "instancePoolId"} & set(databricks)


def test_global_parameters_carry_the_environment(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    params = run.one("azure-native:datafactory:Factory").inputs["globalParameters"]
    jobs = {j.inputs["name"]: j.id for j in run.of_type("databricks:index/job:Job")}
    account = run.one("azure-native:storage:StorageAccount").inputs["accountName"]
    assert params == {
        "lakeUrl": {"type": "String", "value": f"abfss://{{layer}}@{account}.dfs.core.windows.net"},
        "silverJobId": {"type": "String", "value": jobs["insights-silver"]},
        "goldJobId": {"type": "String", "value": jobs["insights-gold"]},
    }


def test_synapse_is_serverless_and_entra_only(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    workspace = run.one("azure-native:synapse:Workspace").inputs
    assert workspace["azureADOnlyAuthentication"] is True
    assert "sqlAdministratorLoginPassword" not in workspace and "sqlAdministratorLogin" not in workspace
    assert workspace["identity"] == {"type": "SystemAssigned"}
    assert workspace["defaultDataLakeStorage"]["filesystem"] == "synapse"
    admin = run.one("azure-native:synapse:WorkspaceSqlAadAdmin").inputs
    assert admin["login"] == "sg-insights-platform-admins" and admin["administratorType"] == "ActiveDirectory"
    for rule in run.of_type("azure-native:synapse:IpFirewallRule"):
        start = [int(x) for x in rule.inputs["startIpAddress"].split(".")]
        end = [int(x) for x in rule.inputs["endIpAddress"].split(".")]
        assert end[0] - start[0] < 1 or rule.inputs["startIpAddress"] == rule.inputs["endIpAddress"], rule.inputs
        assert rule.inputs["endIpAddress"] != "255.255.255.255"


def test_serving_database_parameters_are_secret(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    sql = run.one("pulumi-python:dynamic:Resource")
    assert sql.inputs["database"] == "insights"
    assert sql.inputs["server"] == run.outputs["synapseServerlessEndpoint"]
    assert SECRET_SIG in sql.wire["parameters"]["masterKeyPassword"]["value"]
    password = run.one("random:index/randomPassword:RandomPassword").state["result"]
    assert all(password not in text for r in run.resources for text in plain_strings(r.wire))
    # created after every role assignment (the views read gold with the workspace's identity)
    serving = run.one("insights:synapse:ServingDatabase")
    assert role_assignment_urns(run) <= set(serving.dependencies)


def test_databricks_premium_unity_catalog_and_job_clusters(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    assert run.one("azure-native:databricks:Workspace").inputs["sku"] == {"name": "premium"}
    connector = run.one("azure-native:databricks:AccessConnector")
    assert connector.inputs["identity"] == {"type": "SystemAssigned"}
    credential = run.one("databricks:index/storageCredential:StorageCredential").inputs
    assert credential["azureManagedIdentity"] == {"accessConnectorId": connector.id}
    account = run.one("azure-native:storage:StorageAccount").inputs["accountName"]
    urls = sorted(loc.inputs["url"] for loc in run.of_type("databricks:index/externalLocation:ExternalLocation"))
    assert urls == sorted(
        f"abfss://{c}@{account}.dfs.core.windows.net/" for c in ("bronze", "silver", "gold", "control")
    )
    catalog = run.one("insights:databricks:LakeCatalog")
    assert role_assignment_urns(run) <= set(catalog.dependencies)
    provider = run.one("pulumi:providers:databricks")
    assert provider.inputs["azureWorkspaceResourceId"] == run.one("azure-native:databricks:Workspace").id
    for job in run.of_type("databricks:index/job:Job"):
        [cluster] = job.inputs["jobClusters"]
        new = cluster["newCluster"]
        assert new["sparkConf"] == {"spark.databricks.delta.properties.defaults.enableDeletionVectors": "false"}
        assert new["dataSecurityMode"] == "SINGLE_USER"
        if stack == "dev":
            assert new["numWorkers"] == 1 and new["azureAttributes"]["availability"] == "SPOT_WITH_FALLBACK_AZURE"
        else:
            assert new["autoscale"] == {"minWorkers": 2, "maxWorkers": 6}
            assert new["azureAttributes"]["availability"] == "ON_DEMAND_AZURE"
        assert job.provider.startswith(provider.urn)


def test_jobs_run_the_wheel_entry_points_with_lake_run_id_and_silver_s_load_date(dev_run: Run) -> None:
    wheel = dev_run.one("databricks:index/workspaceFile:WorkspaceFile").inputs
    assert wheel["path"] == f"/Shared/customer-insights/wheels/{dev_run.outputs['jobsWheel']}"
    named = {
        "silver": {
            "lake": "{{job.parameters.lake}}",
            "run-id": "{{job.parameters.run_id}}",
            "load-date": "{{job.parameters.load_date}}",
        },
        "gold": {"lake": "{{job.parameters.lake}}", "run-id": "{{job.parameters.run_id}}"},
    }
    for layer in ("silver", "gold"):
        job = dev_run.one("databricks:index/job:Job", f"databricks-job-{layer}").inputs
        assert job["name"] == f"insights-{layer}"
        assert job["maxConcurrentRuns"] == 1
        defaults = {p["name"]: p["default"] for p in job["parameters"]}
        assert list(defaults) == ["lake", "run_id", "load_date"][: len(named[layer])]
        assert defaults["run_id"] == "manual" and defaults.get("load_date", "") == ""
        [task] = job["tasks"]
        assert task["pythonWheelTask"] == {
            "packageName": "insights_jobs",
            "entryPoint": f"insights-{layer}",
            "namedParameters": named[layer],
        }
        assert task["libraries"] == [{"whl": f"/Workspace{wheel['path']}"}]


def test_adf_sets_every_job_parameter_and_one_load_date_serves_the_copies_and_silver(dev_run: Run) -> None:
    master = json.loads((ADF_PIPELINES / "pipeline" / "pl_daily_master.json").read_text())["properties"]
    activities = {a["name"]: a for a in master["activities"]}
    for activity, layer in (("Build Silver", "silver"), ("Build Gold", "gold")):
        job = dev_run.one("databricks:index/job:Job", f"databricks-job-{layer}").inputs
        sent = activities[activity]["typeProperties"]["jobParameters"]
        assert set(sent) == {p["name"] for p in job["parameters"]}, activity
    [extract] = activities["Extract Tables"]["typeProperties"]["activities"]
    written = extract["typeProperties"]["parameters"]["loadDate"]["value"]
    read = activities["Build Silver"]["typeProperties"]["jobParameters"]["load_date"]["value"]
    assert written == read == "@variables('loadDate')"
    assert activities["Set Load Date"]["typeProperties"]["variableName"] == "loadDate"


def test_diagnostics_and_the_failed_run_alert(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    logs = run.one("azure-native:operationalinsights:Workspace")
    assert logs.inputs["retentionInDays"] == (30 if stack == "dev" else 90)
    targets = {
        "factory": run.one("azure-native:datafactory:Factory").id,
        "vault": run.one("azure-native:keyvault:Vault").id,
        "lake": run.one("azure-native:storage:StorageAccount").id + "/blobServices/default",
        "databricks": run.one("azure-native:databricks:Workspace").id,
        "synapse": run.one("azure-native:synapse:Workspace").id,
    }
    diagnostics = {d.inputs["resourceUri"]: d.inputs for d in run.of_type("azure-native:monitor:DiagnosticSetting")}
    assert set(diagnostics) == set(targets.values())
    for setting in diagnostics.values():
        assert setting["workspaceId"] == logs.id
        assert setting["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    group = run.one("azure-native:monitor:ActionGroup").inputs
    expected_email = "data-platform-dev@example.com" if stack == "dev" else "data-platform-oncall@example.com"
    assert [r["emailAddress"] for r in group["emailReceivers"]] == [expected_email]
    alert = run.one("azure-native:monitor:MetricAlert")
    assert alert.inputs["scopes"] == [targets["factory"]]
    [criterion] = alert.inputs["criteria"]["allOf"]
    assert criterion["metricName"] == "PipelineFailedRuns" and criterion["operator"] == "GreaterThan"
    assert criterion["threshold"] == 0
    assert alert.inputs["actions"] == [{"actionGroupId": run.one("azure-native:monitor:ActionGroup").id}]


def test_stack_outputs_for_operators(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    expected = {
        "subscriptionId", "resourceGroupName", "lakeUrl", "storageAccountName", "keyVaultName", "factoryName",
        "triggerNames", "triggerEnabled", "databricksWorkspaceUrl", "silverJobId",
        "goldJobId", "jobsWheel", "synapseServerlessEndpoint", "synapseDatabase", "logAnalyticsWorkspaceId",
        # what the deploy's preflight and smoke test read (insights/ops/prerequisites.py, deploy.py)
        "databricksWorkspaceId", "synapseWorkspaceName", "synapseViewsPending",
    }  # fmt: skip
    assert set(run.outputs) == expected
    assert run.secret_outputs == set()  # the runtime's auth key is read on demand: insights cloud runtime-key
    assert run.outputs["triggerEnabled"] is (stack == "prod")
    assert run.outputs["databricksWorkspaceUrl"].startswith("https://adb-")
    assert run.outputs["databricksWorkspaceId"] == run.one("azure-native:databricks:Workspace").id
    assert run.outputs["synapseWorkspaceName"] == run.one("azure-native:synapse:Workspace").inputs["workspaceName"]
    assert run.outputs["synapseServerlessEndpoint"].endswith("-ondemand.sql.azuresynapse.net")
    assert run.outputs["lakeUrl"].startswith("abfss://{layer}@")


def test_trigger_schedule_from_config(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    trigger = run.one("azure-native:datafactory:Trigger").inputs
    assert trigger["triggerName"] == "tr_daily"
    recurrence = trigger["properties"]["recurrence"]
    assert recurrence["frequency"] == "Day" and recurrence["interval"] == 1
    assert recurrence["schedule"] == {"hours": [6 if stack == "dev" else 2], "minutes": [0]}
    assert recurrence["startTime"] == "2025-01-01T00:00:00"
    assert recurrence["timeZone"] == "W. Europe Standard Time"
    [pipeline] = trigger["properties"]["pipelines"]
    assert pipeline["pipelineReference"] == {"referenceName": "pl_daily_master", "type": "PipelineReference"}
