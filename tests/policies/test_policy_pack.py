"""The pack as a whole: its file, its entry point, that importing it starts no server, and that the
program's own resources for dev and prod, collected under mocks, pass every policy."""

from __future__ import annotations

import runpy
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pulumi_policy
import pytest
import yaml

from infra.offline import Run
from infra.policies import plain_secrets_in_config
from infra.policies.evaluate import evaluate
from tests.support.paths import REPO_ROOT

PACK = REPO_ROOT / "infra" / "policies"
EXPECTED_POLICIES = {
    "lake-baseline",
    "vault-baseline",
    "synapse-entra-only",
    "synapse-firewall-not-open",
    "role-assignments-least-privilege",
    "diagnostic-settings-everywhere",
    "no-plain-secrets",
}


def test_pack_project_file() -> None:
    document = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert document["runtime"]["name"] == "python"
    assert document["description"]
    # the pack runs in the repository's own locked environment
    assert (PACK / document["runtime"]["options"]["virtualenv"]).resolve() == REPO_ROOT / ".venv"


def test_importing_the_policies_starts_no_server() -> None:
    # PolicyPack() would print the port it listens on and block forever: importing must do neither.
    done = subprocess.run(
        [sys.executable, "-c", "import infra.policies, infra.policies.baseline, infra.policies.evaluate"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_the_entry_point_builds_one_mandatory_pack_of_every_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    packs: list[dict] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: packs.append(kwargs))
    saved = list(sys.path)
    try:
        runpy.run_path(str(PACK), run_name="__main__")  # as the Pulumi CLI runs it
    finally:
        sys.path[:] = saved
    [pack] = packs
    assert pack["name"] == "customer-insights-baseline"
    assert pack["enforcement_level"] == pulumi_policy.EnforcementLevel.MANDATORY
    assert {p.name for p in pack["policies"]} == EXPECTED_POLICIES
    assert all(p.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY for p in pack["policies"])


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_programs_resources_pass_every_policy(program_runs: dict[str, Run], stack: str) -> None:
    results = {r.policy: r for r in evaluate(program_runs[stack].resources)}
    assert set(results) == EXPECTED_POLICIES
    failures = {name: [v.message for v in r.violations] for name, r in results.items() if r.violations}
    assert failures == {}
    # and they did look at the resources: 1 account + 5 containers; 1 vault; 1 workspace; 2 firewall
    # rules from the config; the GRANTS table's 12 rows (11 in prod: no data engineers' group); the 5
    # services with resource logs
    assert results["lake-baseline"].checked == 6
    assert results["vault-baseline"].checked == 1
    assert results["synapse-entra-only"].checked == 1
    assert results["synapse-firewall-not-open"].checked == 2
    assert results["role-assignments-least-privilege"].checked == (12 if stack == "dev" else 11)
    assert results["diagnostic-settings-everywhere"].checked == 5


def test_without_its_diagnostic_settings_the_program_would_fail(program_runs: dict[str, Run]) -> None:
    resources = [r for r in program_runs["dev"].resources if r.type != "azure-native:monitor:DiagnosticSetting"]
    [result] = [r for r in evaluate(resources) if r.policy == "diagnostic-settings-everywhere"]
    assert sorted(v.name for v in result.violations) == [
        "databricks-workspace",
        "factory-factory",
        "lake-account",
        "synapse-workspace",
        "vault-vault",
    ]


def test_a_dev_vault_deployed_as_prod_would_fail(program_runs: dict[str, Run]) -> None:
    # The dev stack's vault has no purge protection: declared in a stack named prod, the policy stops it.
    [vault] = [r for r in program_runs["dev"].resources if r.type == "azure-native:keyvault:Vault"]
    as_prod = replace(vault, urn=vault.urn.replace("urn:pulumi:dev::", "urn:pulumi:prod::"))
    [result] = [r for r in evaluate([as_prod]) if r.policy == "vault-baseline"]
    assert len(result.violations) == 1


# --- the stack's config file -------------------------------------------------------------------


def test_plain_text_secrets_in_stack_config() -> None:
    assert plain_secrets_in_config({"customer-insights:sourcePassword": {"secure": "v1:abc"}}) == []
    assert plain_secrets_in_config({"customer-insights:source": {"passwordSecretName": "source-sql-password"}}) == []
    assert plain_secrets_in_config({"customer-insights:sourcePassword": "hunter2"}) == [
        "customer-insights:sourcePassword: stored in plain text; set it with "
        "`pulumi config set --secret sourcePassword`"
    ]
    assert len(plain_secrets_in_config({"customer-insights:databricks": {"token": "dapi0123"}})) == 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_committed_stack_files_hold_no_plain_secret(stack: str) -> None:
    document = yaml.safe_load(Path(REPO_ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    assert plain_secrets_in_config(document["config"]) == []
