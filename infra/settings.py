"""The stack's configuration, read once and validated before any resource is declared.

Every difference between environments lives in `Pulumi.<stack>.yaml` under the project's namespace
(`customer-insights:`). Two entry points share one validation: `load_settings()` inside the running
Pulumi program, `read_stack(stack)` everywhere else (`insights plan`, `deploy`, `destroy`, the offline
run). Both reject unknown keys (a typo is an error, not a silently ignored value) and validate the rest
with pydantic. A failure is a `ConfigError` whose message names each bad key, e.g.
`customer-insights:jobCluster.maxWorkers`. Components never read `pulumi.Config` themselves: they
receive these typed values.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra.paths import REPO_ROOT

NAMESPACE = "customer-insights"

_SLUG = r"^[a-z][a-z0-9]*$"
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _guid(what: str) -> AfterValidator:
    """A GUID (kept lower-case); otherwise the error says it must be `what`."""

    def check(value: str) -> str:
        if not _GUID.fullmatch(value):
            raise ValueError(f"must be {what} (a GUID)")
        return value.lower()

    return AfterValidator(check)


class ConfigError(Exception):
    """The stack configuration is missing a value or has a wrong one; the message names the keys."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Group(_Model):
    """An Entra ID group: its display name (used in SQL) and its object id (used in role assignments)."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    object_id: Annotated[str, Field(alias="objectId"), _guid("an Entra object id")]


class Groups(_Model):
    platform_admins: Annotated[Group, Field(alias="platformAdmins")]
    analysts: Group
    data_engineers: Annotated[Group | None, Field(alias="dataEngineers")] = None


class LakeSettings(_Model):
    sku: Literal["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS", "Standard_RAGRS"]
    bronze_cool_after_days: Annotated[int | None, Field(alias="bronzeCoolAfterDays", ge=1)] = None
    bronze_delete_after_days: Annotated[int, Field(alias="bronzeDeleteAfterDays", ge=7, le=36500)]

    @model_validator(mode="after")
    def _cool_before_delete(self) -> LakeSettings:
        if self.bronze_cool_after_days is not None and self.bronze_cool_after_days >= self.bronze_delete_after_days:
            raise ValueError("bronzeCoolAfterDays must be smaller than bronzeDeleteAfterDays")
        return self


class VaultSettings(_Model):
    purge_protection: Annotated[bool, Field(alias="purgeProtection")]
    soft_delete_retention_days: Annotated[int, Field(alias="softDeleteRetentionDays", ge=7, le=90)]


class SourceSettings(_Model):
    server: Annotated[str, Field(min_length=1)]
    database: Annotated[str, Field(min_length=1)]
    user: Annotated[str, Field(min_length=1)]
    password_secret_name: Annotated[str, Field(alias="passwordSecretName", pattern=r"^[0-9a-zA-Z-]{1,127}$")] = (
        "source-sql-password"
    )
    encrypt: Literal["mandatory", "optional", "strict"] = "mandatory"
    trust_server_certificate: Annotated[bool, Field(alias="trustServerCertificate")] = False


class TriggerSettings(_Model):
    time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    time_zone: Annotated[str, Field(alias="timeZone", min_length=1)]
    start_date: Annotated[date, Field(alias="startDate")]
    enabled: bool

    @property
    def hour(self) -> int:
        return int(self.time.split(":")[0])

    @property
    def minute(self) -> int:
        return int(self.time.split(":")[1])


class JobClusterSettings(_Model):
    spark_version: Annotated[str, Field(alias="sparkVersion", min_length=1)]
    node_type: Annotated[str, Field(alias="nodeType", min_length=1)]
    min_workers: Annotated[int, Field(alias="minWorkers", ge=0, le=100)]
    max_workers: Annotated[int, Field(alias="maxWorkers", ge=0, le=100)]
    spot: bool
    timeout_minutes: Annotated[int, Field(alias="timeoutMinutes", ge=5, le=1440)] = 120

    @model_validator(mode="after")
    def _range(self) -> JobClusterSettings:
        if self.max_workers < self.min_workers:
            raise ValueError("maxWorkers must be at least minWorkers")
        return self


class FirewallRule(_Model):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _ipv4(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 address") from exc
        return value

    @model_validator(mode="after")
    def _not_open(self) -> FirewallRule:
        start, end = ipaddress.IPv4Address(self.start), ipaddress.IPv4Address(self.end)
        if end < start:
            raise ValueError("end must not be below start")
        if int(end) - int(start) >= 2**24:
            raise ValueError("a rule may open at most a /8; the serverless endpoint is not for the whole internet")
        return self


class SynapseSettings(_Model):
    database: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    firewall_rules: Annotated[list[FirewallRule], Field(alias="firewallRules")] = []

    @field_validator("firewall_rules")
    @classmethod
    def _unique_names(cls, rules: list[FirewallRule]) -> list[FirewallRule]:
        names = [r.name for r in rules]
        if len(names) != len(set(names)):
            raise ValueError("rule names must be unique")
        return rules


class DatabricksSettings(_Model):
    """Unity Catalog: the region's metastore to assign the workspace to. Unset, the workspace relies on
    Databricks' automatic assignment (the preflight checks that the region has a metastore either way)."""

    metastore_id: Annotated[str | None, Field(alias="metastoreId")] = None

    @field_validator("metastore_id")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", value.lower()):
            raise ValueError("must be a metastore id (a UUID, `databricks metastores list`)")
        return value.lower() if value else None


class MonitoringSettings(_Model):
    alert_email: Annotated[str, Field(alias="alertEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    log_retention_days: Annotated[int, Field(alias="logRetentionDays", ge=30, le=730)]


class PowerBiSettings(_Model):
    """The Power BI (Fabric) workspace that `insights deploy` publishes `powerbi/` to (insights/ops/powerbi.py)."""

    workspace_id: Annotated[
        str, Field(alias="workspaceId"), _guid("the workspace's id, from app.powerbi.com/groups/<id>")
    ]


class Settings(_Model):
    """Everything the program needs from the stack, typed."""

    location: Annotated[str, Field(pattern=r"^[a-z0-9]+$")]
    environment: Annotated[str, Field(pattern=_SLUG, min_length=2, max_length=8)]
    prefix: Annotated[str, Field(pattern=_SLUG, min_length=2, max_length=6)] = "cip"
    tags: dict[str, str] = {}
    lake: LakeSettings
    vault: VaultSettings
    source: SourceSettings
    trigger: TriggerSettings
    job_cluster: Annotated[JobClusterSettings, Field(alias="jobCluster")]
    synapse: SynapseSettings
    groups: Groups
    monitoring: MonitoringSettings
    powerbi: PowerBiSettings | None = None  # no workspace: the deploy publishes no report
    databricks: DatabricksSettings = DatabricksSettings()
    # The on-prem SQL Server password: only ever an Output marked secret, never a plain value.
    source_password: Annotated[Any, Field(alias="sourcePassword", exclude=True)] = None


# Keys read as plain strings; every other key is structured (YAML object or list).
_SCALAR_KEYS = {"location", "environment", "prefix"}
SECRET_KEYS = {"sourcePassword"}
KNOWN_KEYS = {(field.alias or name) for name, field in Settings.model_fields.items()}
# The one production stack: the policy pack sees a resource's stack (in its URN), never its config,
# so the rule is on the stack's name, and the deploy commands apply the same rule.
PRODUCTION_STACK = "prod"


def is_production(stack: str) -> bool:
    """Whether `stack` is production: its vault must be purge-protected and destroying it needs consent."""
    return stack == PRODUCTION_STACK


def _error_lines(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required but not set"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known key"
        lines.append(f"  {NAMESPACE}:{loc}: {msg}")
    return lines


def _validate(
    stack: str, values: Mapping[str, str], encrypted: Callable[[str], bool], require_secrets: bool = True
) -> Settings:
    """Settings from the config as the Pulumi engine hands it over (full key -> string, objects as JSON).

    `encrypted(full_key)` says whether a key is stored encrypted. Raise `ConfigError` naming every bad key.
    """
    problems: list[str] = []
    present = {key.split(":", 1)[1] for key in values if key.startswith(f"{NAMESPACE}:")}
    for key in sorted(present - KNOWN_KEYS):
        problems.append(f"  {NAMESPACE}:{key}: is not a known key (known: {', '.join(sorted(KNOWN_KEYS))})")

    raw: dict[str, Any] = {}
    for key in sorted(KNOWN_KEYS - SECRET_KEYS):
        value = values.get(f"{NAMESPACE}:{key}")
        if value is None:
            continue
        if key in _SCALAR_KEYS:
            raw[key] = value
            continue
        try:
            raw[key] = json.loads(value)
        except json.JSONDecodeError:
            problems.append(f"  {NAMESPACE}:{key}: must be a YAML object, got {value!r}")

    full = f"{NAMESPACE}:sourcePassword"
    if values.get(full) is None:
        if require_secrets:
            command = f"pulumi config set --secret sourcePassword -s {stack}"
            problems.append(f"  {full}: is required but not set: `{command}`")
    elif not encrypted(full):
        problems.append(f"  {full}: must be stored encrypted: pulumi config set --secret sourcePassword ...")

    settings: Settings | None = None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_error_lines(exc))

    if problems:
        raise ConfigError(f"stack {stack!r} has invalid configuration (Pulumi.{stack}.yaml):\n" + "\n".join(problems))
    assert settings is not None
    return settings


def load_settings() -> Settings:
    """The running Pulumi program's stack config, validated; raise `ConfigError` naming every bad key."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env, get_config_secret_keys_env, is_config_secret

    config = pulumi.Config(NAMESPACE)
    keys = set(CONFIG.get()) | set(get_config_env()) | {f"{NAMESPACE}:{key}" for key in KNOWN_KEYS}
    values = {key: value for key in keys if (value := pulumi.runtime.get_config(key)) is not None}
    encrypted = set(get_config_secret_keys_env())
    settings = _validate(pulumi.get_stack(), values, lambda key: is_config_secret(key) or key in encrypted)
    return settings.model_copy(update={"source_password": config.require_secret("sourcePassword")})


# --- the stack file, for every reader outside the running program ------------------------------


def stack_file(stack: str, root: Path) -> Path:
    """`Pulumi.<stack>.yaml` under `root`; `ConfigError` naming the stacks there when it does not exist."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in root.glob("Pulumi.*.yaml"))
        raise ConfigError(f"no stack {stack!r}: {path.name} does not exist (stacks here: {', '.join(known) or 'none'})")
    return path


def stack_file_config(stack: str, root: Path) -> dict[str, Any]:
    """The `config:` section of `Pulumi.<stack>.yaml` as written (encrypted values as `{secure: ...}`).

    For what `Settings` does not hold: other namespaces' keys (`azure-native:...`) and the check for
    secrets written in plain text. Everything of the project's own is read through `read_stack`.
    """
    import yaml

    path = stack_file(stack, root)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name} is not valid YAML: {exc}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict | None):
        raise ConfigError(f"{path.name}: `config:` must be a mapping of keys to values")
    return {(key if ":" in key else f"{NAMESPACE}:{key}"): value for key, value in (config or {}).items()}


def is_encrypted(value: Any) -> bool:
    """A value written by `pulumi config set --secret`: `{secure: <ciphertext>}`."""
    return isinstance(value, dict) and set(value) == {"secure"}


def engine_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Plain config values as the Pulumi engine hands them to the program: strings, objects as JSON.

    Encrypted values are left out: only the Pulumi CLI can decrypt them.
    """
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if not is_encrypted(value)
    }


def read_stack(stack: str, root: Path | None = None, *, require_secrets: bool = False) -> Settings:
    """The stack's settings from `Pulumi.<stack>.yaml` (under `root`, default the checkout), validated as
    `pulumi up` validates them.

    The source password is not read (only the Pulumi CLI decrypts it): written in plain text it is an
    error; missing, it is an error only with `require_secrets` (a deploy needs it, an offline plan does not).
    """
    config = stack_file_config(stack, root or REPO_ROOT)
    encrypted = {key for key, value in config.items() if is_encrypted(value)}
    values = {**engine_config(config), **dict.fromkeys(encrypted, "")}
    return _validate(stack, values, encrypted.__contains__, require_secrets)
