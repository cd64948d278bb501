"""Bad stack config fails before any resource is declared, with a message naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from infra.offline import Resource, run_program, stack_config
from infra.settings import ConfigError, is_production, read_stack
from tests.support.stacks import SECRETS

NS = "customer-insights"


def dev_config(**changes: object) -> dict[str, str]:
    """The dev stack's config with some keys replaced (None removes a key); objects as JSON."""
    config = stack_config("dev")
    for key, value in changes.items():
        full = f"{NS}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return config


def nested(key: str, **changes: object) -> object:
    value = json.loads(stack_config("dev")[f"{NS}:{key}"])
    value.update(changes)
    return value


def fails(config: dict[str, str], secrets: dict[str, str] | None = SECRETS) -> str:
    recorded: list[Resource] = []
    with pytest.raises(ConfigError) as error:
        run_program("dev", config=config, secrets=secrets, recorded=recorded)
    assert recorded == [], "resources were declared before the config was validated"
    return str(error.value)


def test_the_committed_stack_files_are_valid(dev_run, prod_run) -> None:
    assert dev_run.outputs["factoryName"].startswith("adf-cip-dev-")
    assert prod_run.outputs["factoryName"].startswith("adf-cip-prod-")


def test_a_missing_key_is_named() -> None:
    message = fails(dev_config(monitoring=None))
    assert f"{NS}:monitoring: is required but not set" in message
    assert "Pulumi.dev.yaml" in message


def test_a_missing_nested_key_is_named() -> None:
    cluster = nested("jobCluster")
    del cluster["nodeType"]
    assert f"{NS}:jobCluster.nodeType: is required but not set" in fails(dev_config(jobCluster=cluster))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("jobCluster", {"maxWorkers": 0}, "jobCluster: maxWorkers must be at least minWorkers"),
        ("jobCluster", {"minWorkers": "two"}, "jobCluster.minWorkers: Input should be a valid integer"),
        ("trigger", {"time": "25:00"}, "trigger.time: String should match pattern"),
        ("trigger", {"startDate": "yesterday"}, "trigger.startDate: Input should be a valid date"),
        ("vault", {"softDeleteRetentionDays": 3}, "vault.softDeleteRetentionDays: Input should be greater than"),
        ("lake", {"sku": "Premium_LRS"}, "lake.sku: Input should be 'Standard_LRS'"),
        ("lake", {"bronzeCoolAfterDays": 60}, "lake: bronzeCoolAfterDays must be smaller than bronzeDeleteAfterDays"),
        ("monitoring", {"alertEmail": "nobody"}, "monitoring.alertEmail: String should match pattern"),
        ("source", {"passwrd": "x"}, "source.passwrd: is not a known key"),
    ],
)
def test_a_wrong_value_is_named(key: str, value: dict, expected: str) -> None:
    assert f"{NS}:{expected}" in fails(dev_config(**{key: nested(key, **value)}))


def test_an_open_firewall_rule_is_refused() -> None:
    synapse = nested("synapse", firewallRules=[{"name": "all", "start": "0.0.0.0", "end": "255.255.255.255"}])
    assert f"{NS}:synapse.firewallRules.0: a rule may open at most a /8" in fails(dev_config(synapse=synapse))


def test_a_bad_group_object_id_is_named() -> None:
    groups = nested("groups")
    groups["analysts"]["objectId"] = "sg-insights-analysts"
    assert f"{NS}:groups.analysts.objectId: must be an Entra object id (a GUID)" in fails(dev_config(groups=groups))


def test_a_power_bi_workspace_is_optional_and_must_be_a_workspace_id() -> None:
    assert read_stack("dev").powerbi is None  # the committed stacks publish no report
    expected = f"{NS}:powerbi.workspaceId: must be the workspace's id, from app.powerbi.com/groups/<id> (a GUID)"
    assert expected in fails(dev_config(powerbi={"workspaceId": "Customer Insights"}))
    assert f"{NS}:powerbi.workspace: is not a known key" in fails(dev_config(powerbi={"workspace": "x"}))


def test_a_misspelt_key_is_an_error_not_ignored() -> None:
    config = dev_config()
    config[f"{NS}:jobClustr"] = config[f"{NS}:jobCluster"]
    assert f"{NS}:jobClustr: is not a known key" in fails(config)


def test_an_environment_name_that_would_not_fit_azure_names_is_refused() -> None:
    assert f"{NS}:environment: String should have at most 8 characters" in fails(dev_config(environment="development"))


def test_the_source_password_must_be_set_and_secret() -> None:
    assert f"{NS}:sourcePassword: is required but not set" in fails(dev_config(), secrets={})
    plain = dev_config(sourcePassword="hunter2")
    assert f"{NS}:sourcePassword: must be stored encrypted" in fails(plain, secrets={})


def test_every_problem_is_reported_at_once() -> None:
    message = fails(dev_config(monitoring=None, trigger=nested("trigger", time="7am")), secrets={})
    assert message.count(f"{NS}:") == 3


# --- read_stack: the same validation outside the running program -------------------------------


def write_stack_file(root: Path, config: dict[str, str], secrets: dict[str, object]) -> None:
    """`Pulumi.dev.yaml` under `root` holding `config` (the engine's strings, objects as JSON) and `secrets`."""
    document = {
        key: json.loads(value) if key.split(":", 1)[1] not in SCALARS else value for key, value in config.items()
    }
    (root / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {**document, **secrets}}), encoding="utf-8")


SCALARS = {"location", "environment", "prefix"}
ENCRYPTED = {f"{NS}:sourcePassword": {"secure": "v1:c2VjcmV0:ZW5jcnlwdGVk"}}


def test_read_stack_reads_the_committed_files() -> None:
    # values as written in Pulumi.dev.yaml and Pulumi.prod.yaml
    dev, prod = read_stack("dev"), read_stack("prod")
    assert (dev.environment, dev.lake.sku, dev.vault.purge_protection) == ("dev", "Standard_LRS", False)
    assert (prod.environment, prod.lake.sku, prod.job_cluster.max_workers) == ("prod", "Standard_ZRS", 6)
    assert dev.groups.data_engineers is not None and prod.groups.data_engineers is None


@pytest.mark.parametrize(
    "changes",
    [
        {"monitoring": None},
        {"jobCluster": nested("jobCluster", maxWorkers=0)},
        {"lake": nested("lake", sku="Premium_LRS", bronzeCoolAfterDays=60)},
        {"jobClustr": nested("jobCluster")},
    ],
)
def test_read_stack_rejects_what_the_program_rejects_with_the_same_words(tmp_path: Path, changes: dict) -> None:
    config = dev_config(**changes)
    program = fails(config)
    write_stack_file(tmp_path, config, ENCRYPTED)
    with pytest.raises(ConfigError) as error:
        read_stack("dev", tmp_path)
    assert str(error.value) == program


def test_read_stack_refuses_a_plain_password_and_needs_one_only_when_asked(tmp_path: Path) -> None:
    write_stack_file(tmp_path, dev_config(), {f"{NS}:sourcePassword": "hunter2"})
    with pytest.raises(ConfigError, match=f"{NS}:sourcePassword: must be stored encrypted"):
        read_stack("dev", tmp_path)
    write_stack_file(tmp_path, dev_config(), {})
    assert read_stack("dev", tmp_path).environment == "dev"  # an offline plan needs no password
    with pytest.raises(ConfigError, match="pulumi config set --secret sourcePassword -s dev"):
        read_stack("dev", tmp_path, require_secrets=True)


def test_read_stack_names_the_stacks_there_when_one_is_missing(tmp_path: Path) -> None:
    write_stack_file(tmp_path, dev_config(), ENCRYPTED)
    with pytest.raises(ConfigError, match=r"no stack 'qa': Pulumi.qa.yaml does not exist \(stacks here: dev\)"):
        read_stack("qa", tmp_path)


def test_production_is_the_stack_named_prod() -> None:
    assert is_production("prod")
    assert not any(is_production(stack) for stack in ("dev", "production", "prd", "Prod"))
