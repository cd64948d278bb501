"""The security baseline of the platform as Pulumi policies (pulumi-policy), one per concern.

Each policy is a plain `ResourceValidationPolicy` or `StackValidationPolicy` object: importing this module
declares them and starts nothing. The pack (`__main__.py` beside this file) hands them to a `PolicyPack`,
which is what starts the analyzer's server when the Pulumi CLI runs the pack; `insights plan` and the
tests run the same objects over the resources the program declares under mocks (`infra.policies.evaluate`).

Properties are read as the engine hands them to a policy pack: the resource's inputs with Azure's
camelCase keys (`isHnsEnabled`, `properties.enableRbacAuthorization`), secrets already unwrapped. During
`pulumi preview` a value computed by another resource may be unknown; a policy that needs it is then
reported by the pack as "can't run during preview" and runs again, on known values, during `pulumi up`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from infra.roles import role_of
from infra.settings import is_production

PACK_NAME = "customer-insights-baseline"
MANDATORY = EnforcementLevel.MANDATORY

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
VAULT = "azure-native:keyvault:Vault"
SYNAPSE_WORKSPACE = "azure-native:synapse:Workspace"
SYNAPSE_AAD_ONLY = "azure-native:synapse:AzureADOnlyAuthentication"
SYNAPSE_FIREWALL_RULE = "azure-native:synapse:IpFirewallRule"
SYNAPSE_DEDICATED = {"azure-native:synapse:SqlPool", "azure-native:synapse:BigDataPool"}
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC_SETTING_TYPES = {"azure-native:monitor:DiagnosticSetting", "azure-native:insights:DiagnosticSetting"}
LINKED_SERVICE = "azure-native:datafactory:LinkedService"
DATABRICKS_JOB = "databricks:index/job:Job"
DATABRICKS_CLUSTER = "databricks:index/cluster:Cluster"

# Resource types that emit resource logs and must send them to Log Analytics. The Log Analytics
# workspace itself is the destination and is left out (its own audit log is not part of the baseline).
DIAGNOSTIC_TYPES = {
    "azure-native:datafactory:Factory": "Data Factory",
    VAULT: "Key Vault",
    STORAGE_ACCOUNT: "storage account (its blob service)",
    "azure-native:databricks:Workspace": "Databricks workspace",
    SYNAPSE_WORKSPACE: "Synapse workspace",
    "azure-native:synapse:SqlPool": "Synapse dedicated SQL pool",
    "azure-native:synapse:BigDataPool": "Synapse Spark pool",
}

# Where a data role may be granted: inside a storage account or a key vault.
_DATA_SCOPE = re.compile(r"/providers/Microsoft\.(Storage/storageAccounts|KeyVault/vaults)/[^/]+(/|$)", re.IGNORECASE)
# A scope that covers a whole management group, subscription or resource group.
_BROAD_SCOPE = re.compile(
    r"^(/|/providers/Microsoft\.Management/managementGroups/[^/]+|/subscriptions/[^/]+(/resourceGroups/[^/]+)?)/?$",
    re.IGNORECASE,
)

_UNKNOWN = object()


# --- reading properties ------------------------------------------------------------------------


def value(props: Mapping[str, Any] | None, path: str, default: Any = None) -> Any:
    """The value at a dotted path, `default` when a step is missing, `_UNKNOWN` when preview cannot know it."""
    current: Any = props
    for step in path.split("."):
        if not isinstance(current, Mapping):
            return default
        try:
            if step not in current:
                return default
            current = current[step]
        except UnknownValueError:
            return _UNKNOWN
    return current


def is_known(item: Any) -> bool:
    return item is not _UNKNOWN


def _items(mapping: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in list(mapping):
        try:
            yield key, mapping[key]
        except UnknownValueError:
            yield key, _UNKNOWN


def _elements(items: Any) -> Iterator[Any]:
    for index in range(len(items)):
        try:
            yield items[index]
        except UnknownValueError:
            yield _UNKNOWN


def stack_of(urn: str) -> str:
    """The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def _require(props: Mapping[str, Any], path: str, expected: Any, report: ReportViolation, why: str) -> None:
    actual = value(props, path)
    if is_known(actual) and actual != expected:
        shown = "unset" if actual is None else repr(actual)
        report(f"{path} must be {expected!r} ({why}); it is {shown}", None)


# --- lake --------------------------------------------------------------------------------------


def _lake(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == STORAGE_ACCOUNT:
        _require(props, "isHnsEnabled", True, report, "the lake is ADLS Gen2: hierarchical namespace on")
        _require(props, "allowBlobPublicAccess", False, report, "no anonymous access to any blob")
        _require(props, "allowSharedKeyAccess", False, report, "Entra ID only: account keys and SAS off")
        _require(props, "enableHttpsTrafficOnly", True, report, "HTTPS only")
        tls = value(props, "minimumTlsVersion")
        if is_known(tls) and tls not in ("TLS1_2", "TLS1_3"):
            report(f"minimumTlsVersion must be TLS1_2 or newer; it is {tls or 'unset'}", None)
    elif args.resource_type == BLOB_CONTAINER:
        access = value(props, "publicAccess")
        if is_known(access) and access not in (None, "None"):
            report(f"publicAccess must be None; it is {access!r} (anonymous read of the lake)", None)


lake_baseline = ResourceValidationPolicy(
    name="lake-baseline",
    description="Lake storage: hierarchical namespace, no public blob access, shared keys off, TLS 1.2+, HTTPS only.",
    validate=_lake,
    enforcement_level=MANDATORY,
)


# --- vault -------------------------------------------------------------------------------------


def _vault(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VAULT:
        return
    props = value(args.props, "properties", {})
    _require(props, "enableRbacAuthorization", True, report, "access through Azure RBAC, not access policies")
    _require(props, "enableSoftDelete", True, report, "a deleted secret can be recovered")
    policies = value(props, "accessPolicies")
    if is_known(policies) and policies:
        report("accessPolicies must be empty: the vault uses RBAC authorisation only", None)
    stack = stack_of(args.urn)
    if is_production(stack):
        purge = value(props, "enablePurgeProtection")
        if is_known(purge) and purge is not True:
            report(
                f"properties.enablePurgeProtection must be True in the production stack {stack!r} "
                "(a deleted vault and its secrets cannot be purged before retention ends); "
                f"it is {'unset' if purge is None else repr(purge)}",
                None,
            )


vault_baseline = ResourceValidationPolicy(
    name="vault-baseline",
    description="Key Vault: RBAC authorisation, soft delete, purge protection in the production stack.",
    validate=_vault,
    enforcement_level=MANDATORY,
)


# --- Synapse -----------------------------------------------------------------------------------


def _synapse(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = args.props
    if args.resource_type == SYNAPSE_WORKSPACE:
        _require(props, "azureADOnlyAuthentication", True, report, "Entra-only authentication, no SQL logins")
        for key in ("sqlAdministratorLogin", "sqlAdministratorLoginPassword"):
            if value(props, key) is not None:
                report(f"{key} must not be set: the workspace has no SQL login (Entra-only)", None)
    elif args.resource_type == SYNAPSE_AAD_ONLY:
        _require(props, "azureADOnlyAuthentication", True, report, "Entra-only authentication, no SQL logins")
    elif args.resource_type in SYNAPSE_DEDICATED:
        report(f"{args.resource_type} is not allowed: the serving layer is Synapse serverless only", None)


def firewall_rule_problem(start: str, end: str) -> str | None:
    """Why a Synapse firewall rule from `start` to `end` is too open, or None when it is acceptable."""
    try:
        low, high = ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)
    except ValueError:
        return f"{start} - {end} is not a range of IPv4 addresses"
    if (str(low), str(high)) == ("0.0.0.0", "0.0.0.0"):
        return None  # Azure's "allow Azure services" rule (AllowAllWindowsAzureIps), not an internet range
    if high < low:
        return f"{start} - {end}: the end is below the start"
    if int(high) - int(low) + 1 > 2**24:
        return f"{start} - {end} opens {int(high) - int(low) + 1:,} addresses, more than a /8 (16,777,216)"
    return None


def _synapse_firewall(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SYNAPSE_FIREWALL_RULE:
        return
    start, end = value(args.props, "startIpAddress"), value(args.props, "endIpAddress")
    if not (is_known(start) and is_known(end)):
        return
    problem = firewall_rule_problem(str(start), str(end))
    if problem:
        report(f"the Synapse firewall rule is too open: {problem}", None)


synapse_entra_only = ResourceValidationPolicy(
    name="synapse-entra-only",
    description="Synapse: Entra-only authentication, no SQL admin login, serverless only (no dedicated pools).",
    validate=_synapse,
    enforcement_level=MANDATORY,
)

synapse_firewall = ResourceValidationPolicy(
    name="synapse-firewall-not-open",
    description="Synapse firewall rules open at most a /8; 0.0.0.0-0.0.0.0 (Azure services) is allowed.",
    validate=_synapse_firewall,
    enforcement_level=MANDATORY,
)


# --- role assignments --------------------------------------------------------------------------


def _role_assignment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ROLE_ASSIGNMENT:
        return
    definition, scope = value(args.props, "roleDefinitionId"), value(args.props, "scope")
    if not (is_known(definition) and is_known(scope)) or not definition or not scope:
        return
    role = role_of(str(definition))
    if role is None:
        return
    if role.kind == "privileged" and _BROAD_SCOPE.match(str(scope)):
        report(
            f"{role.name} at {scope} is wider than designed: grant it on one resource, "
            "never on a management group, subscription or resource group",
            None,
        )
    if role.kind == "data" and not _DATA_SCOPE.search(str(scope)):
        report(
            f"{role.name} at {scope} is wider than designed: a data role goes only on the lake "
            "(its account or a container) or on the vault (or one secret)",
            None,
        )


role_assignments = ResourceValidationPolicy(
    name="role-assignments-least-privilege",
    description=(
        "No Owner, Contributor or access-administrator role at subscription, resource-group or "
        "management-group scope; storage and Key Vault data roles only on the lake or the vault."
    ),
    validate=_role_assignment,
    enforcement_level=MANDATORY,
)


# --- diagnostic settings -----------------------------------------------------------------------


def _lower(text: Any) -> str:
    return str(text).lower().rstrip("/")


def _diagnostic_targets(setting: Any) -> tuple[set[str], set[str]]:
    """What a diagnostic setting covers: (URNs its resourceUri depends on, resource ids it names)."""
    urns = {dependency.urn for dependency in (setting.property_dependencies or {}).get("resourceUri", [])}
    ids: set[str] = set()
    uri = value(setting.props, "resourceUri")
    if is_known(uri) and uri:
        ids.add(_lower(uri))
    own_id = value(setting.props, "id")
    if is_known(own_id) and own_id and "/providers/microsoft.insights/diagnosticsettings/" in _lower(own_id):
        ids.add(_lower(own_id).split("/providers/microsoft.insights/diagnosticsettings/")[0])
    return urns, ids


def _sends_logs(setting: Any) -> bool:
    destination = any(
        value(setting.props, key) for key in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId")
    )
    logs = value(setting.props, "logs")
    if not is_known(logs) or not is_known(destination):
        return True  # unknown during preview: judged again on known values
    return bool(destination) and any(
        isinstance(log, Mapping) and value(log, "enabled") is True for log in _elements(logs or [])
    )


def _covers(target_ids: set[str], resource_id: str) -> bool:
    """Whether a setting on one of `target_ids` covers the resource: on it, or on a part of it (a blob service)."""
    return any(i == resource_id or i.startswith(resource_id + "/") for i in target_ids)


def _diagnostics(args: StackValidationArgs, report: ReportViolation) -> None:
    settings = [r for r in args.resources if r.resource_type in DIAGNOSTIC_SETTING_TYPES]
    covered_urns: set[str] = set()
    covered_ids: set[str] = set()
    for setting in settings:
        urns, ids = _diagnostic_targets(setting)
        if not _sends_logs(setting):
            report(
                f"diagnostic setting {setting.name} sends no log: enable a log category (allLogs) and a destination",
                setting.urn,
            )
            continue
        covered_urns |= urns
        covered_ids |= ids
    for resource in args.resources:
        if resource.resource_type not in DIAGNOSTIC_TYPES or resource.urn in covered_urns:
            continue
        own_id = value(resource.props, "id")
        if is_known(own_id) and own_id and _covers(covered_ids, _lower(own_id)):
            continue
        report(
            f"{DIAGNOSTIC_TYPES[resource.resource_type]} {resource.name} has no diagnostic setting sending its "
            "logs to Log Analytics",
            resource.urn,
        )


diagnostic_settings = StackValidationPolicy(
    name="diagnostic-settings-everywhere",
    description=(
        "Every resource that emits resource logs (factory, vault, lake, Databricks, Synapse) has a diagnostic "
        "setting sending them to Log Analytics."
    ),
    validate=_diagnostics,
    enforcement_level=MANDATORY,
)


# --- secrets -----------------------------------------------------------------------------------

# Property names that hold a credential wherever they appear in a resource's configuration.
SECRET_KEYS = {
    "password",
    "adminpassword",
    "administratorloginpassword",
    "sqladministratorloginpassword",
    "clientsecret",
    "accountkey",
    "sastoken",
    "sasuri",
    "accesstoken",
    "serviceprincipalkey",
    "primarykey",
    "secondarykey",
    "token",
}
# A connection string that carries a credential inline.
_INLINE_CREDENTIAL = re.compile(r"(password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)\s*=", re.IGNORECASE)
# Spark settings that carry a credential; their values must be Databricks secret references.
_SPARK_SECRET_KEY = re.compile(r"(\.key(\.|$)|secret|password|token|sas)", re.IGNORECASE)
_DATABRICKS_SECRET_REF = re.compile(r"^\{\{secrets/[^/{}]+/[^/{}]+\}\}$")
# Where a secret value belongs: the vault's own secret resource.
_SECRET_HOLDERS = {"azure-native:keyvault:Secret"}


def _credential_problems(node: Any, path: str) -> Iterator[str]:
    if not is_known(node):
        return
    if isinstance(node, Mapping):
        if value(node, "type") == "SecureString":
            yield f"{path or 'a property'} is an inline SecureString: keep the value in Key Vault (AzureKeyVaultSecret)"
            return
        if value(node, "type") == "AzureKeyVaultSecret":
            return  # a reference to the vault: the right way
        for key, item in _items(node):
            child = f"{path}.{key}" if path else key
            if key.lower() in SECRET_KEYS and isinstance(item, str) and item:
                yield f"{child} holds a credential in plain configuration: keep it in Key Vault and reference it"
            elif "connectionstring" in key.lower() and isinstance(item, str) and _INLINE_CREDENTIAL.search(item):
                yield f"{child} carries a credential inline: use managed identity or a Key Vault reference"
            elif key in ("sparkConf", "sparkEnvVars") and isinstance(item, Mapping):
                for name, setting in _items(item):
                    if (
                        is_known(setting)
                        and _SPARK_SECRET_KEY.search(name)
                        and isinstance(setting, str)
                        and not _DATABRICKS_SECRET_REF.match(setting)
                    ):
                        yield f"{child}.{name} holds a credential: use a secret reference {{{{secrets/<scope>/<key>}}}}"
            else:
                yield from _credential_problems(item, child)
    elif isinstance(node, Sequence) and not isinstance(node, str):
        for index, item in enumerate(_elements(node)):
            yield from _credential_problems(item, f"{path}[{index}]")


def _no_plain_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    cloud = args.resource_type.startswith(("azure-native:", "databricks:"))
    if not cloud or args.resource_type in _SECRET_HOLDERS:
        return
    for problem in _credential_problems(args.props, ""):
        report(problem, None)


no_plain_secrets = ResourceValidationPolicy(
    name="no-plain-secrets",
    description=(
        "No credential in plain resource configuration: passwords, keys and tokens live in Key Vault and are "
        "referenced (ADF AzureKeyVaultSecret, Databricks secret scopes), never written inline."
    ),
    validate=_no_plain_secrets,
    enforcement_level=MANDATORY,
)


# --- the stack's own config file ---------------------------------------------------------------

# Config keys whose name says they hold a secret; their value must be encrypted (`secure:`).
_SECRET_CONFIG_NAME = re.compile(r"(password|secret|token|apikey|accountkey|connectionstring|sas)", re.IGNORECASE)
# ... unless the name says it only names or points at one (`passwordSecretName`, `keyVaultUri`).
_REFERENCE_NAME = re.compile(r"(name|id|uri|url|ref|reference|days|enabled)$", re.IGNORECASE)


def _secret_config_name(key: str) -> bool:
    return bool(_SECRET_CONFIG_NAME.search(key)) and not _REFERENCE_NAME.search(key)


def plain_secrets_in_config(config: Mapping[str, Any]) -> list[str]:
    """Keys of a `Pulumi.<stack>.yaml` `config:` section that look like secrets but are stored in plain text.

    A policy pack never sees the stack's config, so this check runs beside it (`insights plan`, the deploy
    preflight): a value set with `pulumi config set --secret` is `{secure: ...}` and passes.
    """
    problems = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            if set(node) == {"secure"}:
                return
            for key, item in node.items():
                walk(item, f"{path}.{key}")
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}[{index}]")
        elif node not in (None, "") and _secret_config_name(path.rsplit(".", 1)[-1].split(":")[-1]):
            problems.append(
                f"{path}: stored in plain text; set it with `pulumi config set --secret {path.split(':', 1)[-1]}`"
            )

    for key, item in config.items():
        walk(item, key)
    return problems


# In the order a reviewer reads them.
POLICIES = [
    lake_baseline,
    vault_baseline,
    synapse_entra_only,
    synapse_firewall,
    role_assignments,
    diagnostic_settings,
    no_plain_secrets,
]

# The resource types each policy looks at (for reports: how many resources a policy checked).
APPLIES_TO: dict[str, set[str] | None] = {
    lake_baseline.name: {STORAGE_ACCOUNT, BLOB_CONTAINER},
    vault_baseline.name: {VAULT},
    synapse_entra_only.name: {SYNAPSE_WORKSPACE, SYNAPSE_AAD_ONLY, *SYNAPSE_DEDICATED},
    synapse_firewall.name: {SYNAPSE_FIREWALL_RULE},
    role_assignments.name: {ROLE_ASSIGNMENT},
    diagnostic_settings.name: set(DIAGNOSTIC_TYPES),
    no_plain_secrets.name: None,  # every Azure and Databricks resource
}
