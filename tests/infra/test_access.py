"""The role assignments on the wire are exactly the designed table, and none is wider."""

from __future__ import annotations

import json

from infra.access import GRANTS
from infra.offline import SUBSCRIPTION_ID, Run, stack_config

# The designed table, written out again on purpose: a change to infra/access.py must be made here too.
# (principal, built-in role, scope)
DESIGNED = {
    ("factory", "Storage Blob Data Contributor", "container:bronze"),
    ("factory", "Storage Blob Data Contributor", "container:control"),
    ("factory", "Key Vault Secrets User", "secret:source-password"),
    ("factory", "Contributor", "databricks-workspace"),
    ("databricks", "Storage Blob Data Reader", "container:bronze"),
    ("databricks", "Storage Blob Data Contributor", "container:silver"),
    ("databricks", "Storage Blob Data Contributor", "container:gold"),
    ("databricks", "Storage Blob Data Contributor", "container:control"),
    ("synapse", "Storage Blob Data Reader", "container:gold"),
    ("synapse", "Storage Blob Data Contributor", "container:synapse"),
    ("platformAdmins", "Key Vault Secrets Officer", "vault"),
    ("dataEngineers", "Storage Blob Data Reader", "lake"),
}
ROLE_GUIDS = {
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}


def principals(run: Run, stack: str) -> dict[str, str]:
    groups = json.loads(stack_config(stack)["customer-insights:groups"])
    found = {
        "factory": run.one("azure-native:datafactory:Factory").state["identity"]["principalId"],
        "databricks": run.one("azure-native:databricks:AccessConnector").state["identity"]["principalId"],
        "synapse": run.one("azure-native:synapse:Workspace").state["identity"]["principalId"],
        "platformAdmins": groups["platformAdmins"]["objectId"],
    }
    if "dataEngineers" in groups:
        found["dataEngineers"] = groups["dataEngineers"]["objectId"]
    return found


def scopes(run: Run) -> dict[str, str]:
    found = {f"container:{c.inputs['containerName']}": c.id for c in run.of_type("azure-native:storage:BlobContainer")}
    found["lake"] = run.one("azure-native:storage:StorageAccount").id
    found["vault"] = run.one("azure-native:keyvault:Vault").id
    found["secret:source-password"] = run.one("azure-native:keyvault:Secret").id
    found["databricks-workspace"] = run.one("azure-native:databricks:Workspace").id
    return found


def test_the_code_table_is_the_designed_table() -> None:
    assert {(g.principal, g.role, g.scope) for g in GRANTS} == DESIGNED
    assert len(GRANTS) == len(DESIGNED)
    assert all(g.why for g in GRANTS)


def test_role_assignments_are_exactly_the_table(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    who, where = principals(run, stack), scopes(run)
    expected = {
        (who[principal], ROLE_GUIDS[role], where[scope]) for principal, role, scope in DESIGNED if principal in who
    }
    assignments = run.of_type("azure-native:authorization:RoleAssignment")
    actual = [
        (a.inputs["principalId"], a.inputs["roleDefinitionId"].rsplit("/", 1)[1], a.inputs["scope"])
        for a in assignments
    ]
    assert len(actual) == len(set(actual))
    assert set(actual) == expected
    # dev lets the data engineers read the lake; prod has no such group
    assert ("dataEngineers" in who) is (stack == "dev")
    assert len(actual) == (12 if stack == "dev" else 11)


def test_no_assignment_is_wider_than_a_resource(stack_run: tuple[str, Run]) -> None:
    stack, run = stack_run
    group_ids = set(principals(run, stack).values()) - {
        run.one(t).state["identity"]["principalId"]
        for t in (
            "azure-native:datafactory:Factory",
            "azure-native:databricks:AccessConnector",
            "azure-native:synapse:Workspace",
        )
    }
    resource_group = run.one("azure-native:resources:ResourceGroup").id
    for assignment in run.of_type("azure-native:authorization:RoleAssignment"):
        inputs = assignment.inputs
        assert inputs["scope"] not in {f"/subscriptions/{SUBSCRIPTION_ID}", resource_group}
        assert inputs["scope"].startswith(resource_group + "/providers/")
        assert inputs["roleDefinitionId"].startswith(
            f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
        )
        assert inputs["roleDefinitionId"].rsplit("/", 1)[1] in ROLE_GUIDS.values()  # never Owner or UAA
        expected_type = "Group" if inputs["principalId"] in group_ids else "ServicePrincipal"
        assert inputs["principalType"] == expected_type
        # Contributor only ever on the Databricks workspace (ADF's managed-identity auth needs it)
        if inputs["roleDefinitionId"].endswith(ROLE_GUIDS["Contributor"]):
            assert inputs["scope"] == run.one("azure-native:databricks:Workspace").id
