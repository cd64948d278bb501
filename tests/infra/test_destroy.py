"""A destroy that completes: `pulumi destroy` calls no delete that Azure refuses or that its parent's delete
already does. Every resource type of the program is classified here by hand, from Azure's behaviour: a new
type fails the test until someone decides how it goes."""

from __future__ import annotations

from infra.offline import Run

# Azure deletes these with their parent resource; their own delete is skipped when the parent goes too
# (`deleted_with`), and still runs when only the child leaves the program.
DELETED_WITH_PARENT = {
    "azure-native:storage:BlobContainer": "azure-native:storage:StorageAccount",
    "azure-native:storage:ManagementPolicy": "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Secret": "azure-native:keyvault:Vault",
    "azure-native:datafactory:IntegrationRuntime": "azure-native:datafactory:Factory",
    "azure-native:datafactory:LinkedService": "azure-native:datafactory:Factory",
    "azure-native:datafactory:Dataset": "azure-native:datafactory:Factory",
    "azure-native:datafactory:Pipeline": "azure-native:datafactory:Factory",
    "azure-native:datafactory:Trigger": "azure-native:datafactory:Factory",  # ADF refuses to delete a started one
    "azure-native:synapse:IpFirewallRule": "azure-native:synapse:Workspace",
    "databricks:index/job:Job": "azure-native:databricks:Workspace",
    "databricks:index/workspaceFile:WorkspaceFile": "azure-native:databricks:Workspace",
    # kept until the workspace goes: the Unity Catalog objects are deleted through it
    "databricks:index/metastoreAssignment:MetastoreAssignment": "azure-native:databricks:Workspace",
}
# Azure refuses to delete these alone: under Entra-only authentication the workspace's Entra admin cannot be
# removed. They go with their parent; Pulumi only forgets them.
NEVER_DELETED_ALONE = {"azure-native:synapse:WorkspaceSqlAadAdmin"}
# Deleted by their own call, before what they depend on: nothing deletes them for us (Unity Catalog objects
# live in the account's metastore, not in the workspace; diagnostic settings outlive their resource), or their
# parent is the resource group, which goes last.
DELETED_ALONE = {
    "azure-native:resources:ResourceGroup",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:datafactory:Factory",
    "azure-native:databricks:Workspace",
    "azure-native:databricks:AccessConnector",
    "azure-native:synapse:Workspace",
    "azure-native:authorization:RoleAssignment",
    "azure-native:operationalinsights:Workspace",
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:MetricAlert",
    "databricks:index/storageCredential:StorageCredential",
    "databricks:index/externalLocation:ExternalLocation",
    "pulumi-python:dynamic:Resource",  # drops the serving database through the serverless endpoint
    "random:index/randomString:RandomString",
    "random:index/randomPassword:RandomPassword",
    "pulumi:providers:databricks",
}


def test_every_resource_type_is_classified(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    types = {r.type for r in run.resources if not r.type.startswith("insights:")}
    classified = set(DELETED_WITH_PARENT) | NEVER_DELETED_ALONE | DELETED_ALONE
    assert types - classified == set()


def test_children_azure_deletes_with_their_parent_are_deleted_with_it(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    for resource in run.resources:
        if resource.type in DELETED_WITH_PARENT:
            parent = run.one(DELETED_WITH_PARENT[resource.type])
            assert resource.deleted_with == parent.urn, resource.name
            assert not resource.retain_on_delete, resource.name


def test_what_azure_refuses_to_delete_alone_is_never_deleted(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    [admin] = [r for r in run.resources if r.type in NEVER_DELETED_ALONE]
    assert admin.retain_on_delete
    assert admin.deleted_with == run.one("azure-native:synapse:Workspace").urn


def test_the_rest_is_deleted_by_its_own_call(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    for resource in run.resources:
        if resource.type in DELETED_ALONE:
            assert resource.deleted_with == "" and not resource.retain_on_delete, resource.name


def test_the_serving_database_is_dropped_while_the_firewall_still_lets_the_deployer_in(dev_run: Run) -> None:
    """The dynamic resource's delete signs in to the serverless endpoint: Pulumi destroys it before the
    Synapse component it depends on, and the firewall rules and the admin are never deleted before the
    workspace itself."""
    serving = dev_run.one("insights:synapse:ServingDatabase")
    reached = [
        dev_run.one("azure-native:synapse:Workspace"),
        dev_run.one("azure-native:synapse:WorkspaceSqlAadAdmin"),
        *dev_run.of_type("azure-native:synapse:IpFirewallRule"),
    ]
    assert {r.urn for r in reached} <= set(serving.dependencies)  # destroyed after the serving database
    for resource in reached[1:]:
        assert resource.deleted_with == reached[0].urn, resource.name
