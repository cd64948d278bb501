"""Each policy of the pack against a compliant and a violating resource, made by hand.

The resources carry the inputs as the engine hands them to a policy pack (camelCase keys); the expected
violations are written out from the security baseline of DESIGN.md, not taken from the code's output.
"""

from __future__ import annotations

import pytest

from infra.policies.evaluate import evaluate
from tests.support.resources import RG, SUBSCRIPTION, resource

STORAGE = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
VAULT = "azure-native:keyvault:Vault"
SYNAPSE = "azure-native:synapse:Workspace"
FIREWALL = "azure-native:synapse:IpFirewallRule"
ROLE = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"
FACTORY = "azure-native:datafactory:Factory"
LINKED_SERVICE = "azure-native:datafactory:LinkedService"
JOB = "databricks:index/job:Job"

# Built-in role ids, from Azure's list of built-in roles.
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"

LAKE_ID = f"{RG}/providers/Microsoft.Storage/storageAccounts/stcipdevk3x9q"
VAULT_ID = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-cip-dev-k3x9q"
WORKSPACE_ID = f"{RG}/providers/Microsoft.Databricks/workspaces/dbw-cip-dev-k3x9q"
LOGS_ID = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log-cip-dev-k3x9q"
ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]


def messages(policy: str, *resources) -> list[str]:
    [result] = [r for r in evaluate(resources) if r.policy == policy]
    return [v.message for v in result.violations]


def role(guid: str) -> str:
    return f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


# --- lake --------------------------------------------------------------------------------------

GOOD_LAKE = {
    "isHnsEnabled": True,
    "allowBlobPublicAccess": False,
    "allowSharedKeyAccess": False,
    "enableHttpsTrafficOnly": True,
    "minimumTlsVersion": "TLS1_2",
}


def test_lake_compliant_account_and_private_container_pass() -> None:
    assert messages("lake-baseline", resource(STORAGE, "lake", **GOOD_LAKE)) == []
    assert messages("lake-baseline", resource(STORAGE, "lake", **{**GOOD_LAKE, "minimumTlsVersion": "TLS1_3"})) == []
    assert messages("lake-baseline", resource(CONTAINER, "gold", containerName="gold", publicAccess="None")) == []


def test_lake_violations_name_each_bad_setting() -> None:
    bad = {**GOOD_LAKE, "isHnsEnabled": False, "allowBlobPublicAccess": True, "minimumTlsVersion": "TLS1_0"}
    del bad["allowSharedKeyAccess"]  # unset: Azure would leave shared keys on
    found = messages("lake-baseline", resource(STORAGE, "lake", **bad))
    assert len(found) == 4
    assert any(m.startswith("isHnsEnabled must be True") and m.endswith("it is False") for m in found)
    assert any(m.startswith("allowBlobPublicAccess must be False") for m in found)
    assert any(m.startswith("allowSharedKeyAccess must be False") and m.endswith("it is unset") for m in found)
    assert "minimumTlsVersion must be TLS1_2 or newer; it is TLS1_0" in found
    assert messages("lake-baseline", resource(STORAGE, "lake", **{**GOOD_LAKE, "enableHttpsTrafficOnly": False}))


def test_lake_public_container_is_a_violation() -> None:
    found = messages("lake-baseline", resource(CONTAINER, "gold", containerName="gold", publicAccess="Blob"))
    assert found == ["publicAccess must be None; it is 'Blob' (anonymous read of the lake)"]


# --- vault -------------------------------------------------------------------------------------


def vault(stack: str, **properties) -> object:
    base = {"enableRbacAuthorization": True, "enableSoftDelete": True, "softDeleteRetentionInDays": 7}
    return resource(VAULT, "vault", stack=stack, vaultName="kv", properties={**base, **properties})


def test_vault_compliant_in_dev_without_purge_protection_and_in_prod_with_it() -> None:
    assert messages("vault-baseline", vault("dev")) == []
    assert messages("vault-baseline", vault("prod", enablePurgeProtection=True)) == []


def test_vault_without_purge_protection_in_prod_is_a_violation() -> None:
    [found] = messages("vault-baseline", vault("prod"))
    assert found.startswith("properties.enablePurgeProtection must be True in the production stack 'prod'")


def test_vault_access_policies_and_soft_delete_off_are_violations() -> None:
    found = messages(
        "vault-baseline",
        vault("dev", enableRbacAuthorization=False, enableSoftDelete=False, accessPolicies=[{"objectId": "x"}]),
    )
    assert len(found) == 3
    assert any(m.startswith("enableRbacAuthorization must be True") for m in found)
    assert any(m.startswith("enableSoftDelete must be True") for m in found)
    assert "accessPolicies must be empty: the vault uses RBAC authorisation only" in found


def test_only_the_prod_stack_is_production() -> None:
    # the rule of docs/decisions.md: production is the stack named prod, whatever the others are called
    for stack in ("dev", "production", "prd", "test"):
        assert messages("vault-baseline", vault(stack)) == []


# --- Synapse -----------------------------------------------------------------------------------


def test_synapse_entra_only_workspace_passes() -> None:
    assert messages("synapse-entra-only", resource(SYNAPSE, "syn", azureADOnlyAuthentication=True)) == []


def test_synapse_with_sql_logins_or_a_dedicated_pool_is_a_violation() -> None:
    found = messages(
        "synapse-entra-only",
        resource(SYNAPSE, "syn", azureADOnlyAuthentication=False, sqlAdministratorLogin="sqladmin"),
        resource("azure-native:synapse:SqlPool", "pool", sku={"name": "DW100c"}),
    )
    assert len(found) == 3
    assert any(m.startswith("azureADOnlyAuthentication must be True") for m in found)
    assert "sqlAdministratorLogin must not be set: the workspace has no SQL login (Entra-only)" in found
    assert any(m.startswith("azure-native:synapse:SqlPool is not allowed") for m in found)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0.0.0.0", "0.0.0.0"),  # Azure services
        ("203.0.113.0", "203.0.113.255"),  # an office /24
        ("10.0.0.0", "10.255.255.255"),  # exactly a /8: 16,777,216 addresses
    ],
)
def test_synapse_firewall_rules_up_to_a_slash_8_pass(start: str, end: str) -> None:
    rule = resource(FIREWALL, "fw", ruleName="r", startIpAddress=start, endIpAddress=end)
    assert messages("synapse-firewall-not-open", rule) == []


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("0.0.0.0", "255.255.255.255", "0.0.0.0 - 255.255.255.255 opens 4,294,967,296 addresses"),
        ("10.0.0.0", "11.0.0.0", "10.0.0.0 - 11.0.0.0 opens 16,777,217 addresses"),
        ("10.0.0.9", "10.0.0.1", "10.0.0.9 - 10.0.0.1: the end is below the start"),
    ],
)
def test_synapse_open_firewall_rules_are_violations(start: str, end: str, expected: str) -> None:
    rule = resource(FIREWALL, "fw", ruleName="r", startIpAddress=start, endIpAddress=end)
    [found] = messages("synapse-firewall-not-open", rule)
    assert found.startswith(f"the Synapse firewall rule is too open: {expected}")


# --- role assignments --------------------------------------------------------------------------


def assignment(guid: str, scope: str) -> object:
    return resource(ROLE, "ra", roleDefinitionId=role(guid), scope=scope, principalType="ServicePrincipal")


def test_designed_role_assignments_pass() -> None:
    assert (
        messages(
            "role-assignments-least-privilege",
            assignment(CONTRIBUTOR, WORKSPACE_ID),  # the factory runs the Databricks jobs
            assignment(BLOB_READER, f"{LAKE_ID}/blobServices/default/containers/gold"),
            assignment(BLOB_READER, LAKE_ID),
            assignment(SECRETS_USER, f"{VAULT_ID}/secrets/source-sql-password"),
        )
        == []
    )


@pytest.mark.parametrize(
    ("guid", "scope", "expected"),
    [
        (CONTRIBUTOR, SUBSCRIPTION, f"Contributor at {SUBSCRIPTION} is wider than designed"),
        (OWNER, RG, f"Owner at {RG} is wider than designed"),
        (BLOB_READER, RG, f"Storage Blob Data Reader at {RG} is wider than designed"),
        (SECRETS_USER, WORKSPACE_ID, f"Key Vault Secrets User at {WORKSPACE_ID} is wider than designed"),
    ],
)
def test_wide_role_assignments_are_violations(guid: str, scope: str, expected: str) -> None:
    [found] = messages("role-assignments-least-privilege", assignment(guid, scope))
    assert found.startswith(expected)


# --- diagnostic settings -----------------------------------------------------------------------


def factory() -> object:
    return resource(FACTORY, "factory", resource_id=f"{RG}/providers/Microsoft.DataFactory/factories/adf")


def test_a_resource_with_a_diagnostic_setting_passes() -> None:
    target = factory()
    setting = resource(
        DIAGNOSTIC,
        "diag-factory",
        property_dependencies={"resourceUri": [target.urn]},
        workspaceId=LOGS_ID,
        logs=ALL_LOGS,
    )
    assert messages("diagnostic-settings-everywhere", target, setting) == []


def test_a_setting_matched_by_resource_id_covers_a_part_of_the_resource() -> None:
    # The lake's logs come from its blob service: a setting on `<account>/blobServices/default`.
    account = resource(STORAGE, "lake", resource_id=LAKE_ID, **GOOD_LAKE)
    setting = resource(
        DIAGNOSTIC, "diag-lake", resourceUri=f"{LAKE_ID}/blobServices/default", workspaceId=LOGS_ID, logs=ALL_LOGS
    )
    assert messages("diagnostic-settings-everywhere", account, setting) == []


def test_a_resource_without_diagnostic_setting_is_a_violation() -> None:
    target = factory()
    other = resource(DIAGNOSTIC, "diag-vault", resourceUri=VAULT_ID, workspaceId=LOGS_ID, logs=ALL_LOGS)
    found = messages("diagnostic-settings-everywhere", target, other)
    assert found == ["Data Factory factory has no diagnostic setting sending its logs to Log Analytics"]


def test_a_setting_that_sends_no_log_does_not_count() -> None:
    target = factory()
    setting = resource(
        DIAGNOSTIC,
        "diag-factory",
        property_dependencies={"resourceUri": [target.urn]},
        workspaceId=LOGS_ID,
        logs=[{"categoryGroup": "allLogs", "enabled": False}],
    )
    found = messages("diagnostic-settings-everywhere", target, setting)
    assert len(found) == 2
    assert found[0].startswith("diagnostic setting diag-factory sends no log")
    assert found[1].startswith("Data Factory factory has no diagnostic setting")


# --- secrets -----------------------------------------------------------------------------------

KEY_VAULT_PASSWORD = {
    "type": "AzureKeyVaultSecret",
    "secretName": "source-sql-password",
    "store": {"referenceName": "ls_keyvault", "type": "LinkedServiceReference"},
}


def sql_linked_service(**properties) -> object:
    return resource(
        LINKED_SERVICE,
        "ls",
        linkedServiceName="ls_sqlserver_source",
        properties={"type": "SqlServer", "server": "sql.corp", "userName": "svc", **properties},
    )


def test_a_key_vault_reference_and_a_databricks_secret_reference_pass() -> None:
    job = resource(
        JOB,
        "job",
        jobClusters=[{"newCluster": {"sparkConf": {"fs.azure.account.key.x.dfs.core.windows.net": "{{secrets/a/b}}"}}}],
    )
    secret = resource("azure-native:keyvault:Secret", "secret", properties={"value": "the password belongs here"})
    assert messages("no-plain-secrets", sql_linked_service(password=KEY_VAULT_PASSWORD), job, secret) == []


def test_inline_credentials_are_violations() -> None:
    found = messages(
        "no-plain-secrets",
        sql_linked_service(password={"type": "SecureString", "value": "hunter2"}),
        resource(LINKED_SERVICE, "blob", properties={"connectionString": "AccountName=x;AccountKey=abc=="}),
        resource(SYNAPSE, "syn", azureADOnlyAuthentication=True, sqlAdministratorLoginPassword="hunter2"),
        resource(JOB, "job", jobClusters=[{"newCluster": {"sparkConf": {"fs.azure.account.key.x": "abc"}}}]),
    )
    assert found == [
        "properties.password is an inline SecureString: keep the value in Key Vault (AzureKeyVaultSecret)",
        "properties.connectionString carries a credential inline: use managed identity or a Key Vault reference",
        "sqlAdministratorLoginPassword holds a credential in plain configuration: "
        "keep it in Key Vault and reference it",
        "jobClusters[0].newCluster.sparkConf.fs.azure.account.key.x holds a credential: use a secret reference "
        "{{secrets/<scope>/<key>}}",
    ]
