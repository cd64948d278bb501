"""`insights plan`: the offline preview of a stack, its JSON, the tree for people, and the diff."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from insights.ops.plan import OFFLINE_SECRET, PlanError, build_plan, load_plan, plan_passes, violations
from insights.ops.plan_diff import diff_plans
from insights.ops.powerbi import describe_plan
from tests.support.stacks import write_stack

ACCOUNT_KEY = "insights:lake:Lake$azure-native:storage:StorageAccount::lake-account"
GROUP_KEY = "azure-native:resources:ResourceGroup::resource-group"
SUFFIX_KEY = "insights:naming:Naming$random:index/randomString:RandomString::naming-suffix"


def by_key(plan: dict) -> dict[str, dict]:
    return {r["key"]: r for r in plan["resources"]}


def test_the_plan_lists_resources_with_key_properties_and_dependencies(plans: dict[str, dict]) -> None:
    dev = by_key(plans["dev"])
    account = dev[ACCOUNT_KEY]
    assert account["type"] == "azure-native:storage:StorageAccount"
    assert account["name"] == "lake-account"
    assert account["parent"] == "insights:lake:Lake::lake"
    # names: st + prefix + environment + the random suffix the mocks draw; the dev lake is LRS
    assert account["keyProperties"] == {
        "accountName": "stcipdevk3x9q",
        "sku.name": "Standard_LRS",
        "isHnsEnabled": True,
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "minimumTlsVersion": "TLS1_2",
        "enableHttpsTrafficOnly": True,
    }
    assert {GROUP_KEY, SUFFIX_KEY} <= set(account["dependsOn"])
    assert by_key(plans["prod"])[ACCOUNT_KEY]["keyProperties"]["sku.name"] == "Standard_ZRS"
    grant = dev[
        "insights:access:Access$azure-native:authorization:RoleAssignment::access-factory-c-databricks-workspace"
    ]
    assert grant["keyProperties"]["role"] == "Contributor"
    assert grant["keyProperties"]["scope"].endswith("/providers/Microsoft.Databricks/workspaces/dbw-cip-dev-k3x9q")


def test_secrets_never_reach_the_plan(plans: dict[str, dict]) -> None:
    for plan in plans.values():
        text = json.dumps(plan)
        assert OFFLINE_SECRET not in text
        secret = by_key(plan)["insights:vault:Vault$azure-native:keyvault:Secret::vault-source-password"]
        assert secret["properties"]["properties"]["value"] == "[secret]"


def test_long_texts_are_kept_as_a_digest(plans: dict[str, dict]) -> None:
    wheel = by_key(plans["dev"])[
        "insights:databricks:Databricks$databricks:index/workspaceFile:WorkspaceFile::databricks-wheel"
    ]
    assert wheel["properties"]["contentBase64"].startswith("sha256:")


def test_both_stacks_pass_every_policy(plans: dict[str, dict]) -> None:
    for plan in plans.values():
        assert plan["summary"]["policies"] == 7
        assert plan["summary"]["policiesFailed"] == 0
        assert plan["summary"]["mandatoryViolations"] == 0
        assert plan["configProblems"] == []
        assert plan["summary"]["resources"] == len(plan["resources"])


def test_no_input_key_of_either_stack_would_be_dropped(plans: dict[str, dict]) -> None:
    for plan in plans.values():
        assert plan["droppedKeys"] == [] and plan["summary"]["droppedKeys"] == 0
        assert plan_passes(plan)
    # a dropped key fails the plan and is named, resource and path
    lost = copy.deepcopy(plans["dev"])
    lost["droppedKeys"] = [{"resource": "r", "path": "activities[0].typeProperties", "problem": "not a property"}]
    lost["summary"]["droppedKeys"] = 1
    assert not plan_passes(lost)
    assert list(violations(lost)) == ["dropped key: r: activities[0].typeProperties: not a property"]


def test_diff_of_hand_made_plans() -> None:
    def plan(*resources: dict) -> dict:
        return {"format": 1, "stack": "dev", "resources": list(resources)}

    def res(key: str, deps: list[str] | None = None, **properties) -> dict:
        return {"key": key, "type": "t", "name": key, "dependsOn": deps or [], "properties": properties}

    old = plan(res("a", x=1, tags={"env": "dev"}), res("b"), res("c", deps=["a"]))
    new = plan(res("a", x=2, tags={"env": "dev"}), res("c", deps=["a", "d"]), res("d", y=[1, 2]))
    diff = diff_plans(old, new)
    assert diff["summary"] == {"added": 1, "removed": 1, "modified": 2, "unchanged": 0}
    assert [r["key"] for r in diff["added"]] == ["d"]
    assert [r["key"] for r in diff["removed"]] == ["b"]
    [a, c] = diff["modified"]
    assert a["changes"] == [{"path": "x", "old": 1, "new": 2}]
    assert c["changes"] == [] and c["dependenciesAdded"] == ["d"] and c["dependenciesRemoved"] == []


def test_the_command_prints_json_for_machines(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["stack"] == "dev" and document["format"] == 1
    assert "Running infra/__main__.py for stack dev under Pulumi's mocks" in result.stderr
    summary = (
        f"stack dev: {document['summary']['resources']} resources; policies 7/7 passed, 0 violation(s); "
        "0 input key(s) the providers would drop"
    )
    assert summary in result.stderr


def test_the_command_draws_a_tree_for_people(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["plan", "--stack", "prod"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Stack prod:" in result.stdout
    assert "lake-account azure-native:storage:StorageAccount" in result.stdout
    assert "factory-factory azure-native:datafactory:Factory" in result.stdout
    assert "depends on:" in result.stdout
    assert "role-assignments-least-privilege" in result.stdout
    assert "Power BI: Pulumi.prod.yaml names no workspace (powerbi.workspaceId): nothing is published" in result.stdout
    assert "stack prod:" in result.stderr


def test_against_a_saved_plan_prints_what_changes(app: typer.Typer, tmp_path: Path) -> None:
    saved = tmp_path / "dev.json"
    first = CliRunner().invoke(app, ["plan", "--stack", "dev", "--out", str(saved)])
    assert first.exit_code == 0, first.output
    # Make the saved plan differ from today's in three known ways.
    old = json.loads(saved.read_text())
    resources = {r["key"]: r for r in old["resources"]}
    del resources[ACCOUNT_KEY.replace("StorageAccount::lake-account", "BlobContainer::lake-gold")]
    resources[ACCOUNT_KEY]["properties"]["minimumTlsVersion"] = "TLS1_0"
    gone = copy.deepcopy(resources[GROUP_KEY]) | {"key": "azure-native:resources:ResourceGroup::old-group"}
    resources[gone["key"]] = gone
    old["resources"] = list(resources.values())
    saved.write_text(json.dumps(old))

    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--against", str(saved), "--json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)["diff"]
    assert [r["name"] for r in diff["added"]] == ["lake-gold"]
    assert [r["key"] for r in diff["removed"]] == ["azure-native:resources:ResourceGroup::old-group"]
    [modified] = diff["modified"]
    assert modified["key"] == ACCOUNT_KEY
    assert modified["changes"] == [{"path": "minimumTlsVersion", "old": "TLS1_0", "new": "TLS1_2"}]
    assert diff["summary"]["unchanged"] == len(old["resources"]) - 2  # every kept one but the modified

    people = CliRunner().invoke(app, ["plan", "--stack", "dev", "--against", str(saved)], env={"COLUMNS": "200"})
    assert "+ add lake-gold" in people.stdout
    assert "- remove resource-group" in people.stdout
    assert "~ modify lake-account" in people.stdout
    assert "minimumTlsVersion: TLS1_0 → TLS1_2" in people.stdout
    assert "1 to add, 1 to remove, 1 to modify" in people.stdout


def test_against_a_file_that_is_not_a_plan(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    result = CliRunner().invoke(app, ["plan", "--stack", "dev", "--against", str(bad)])
    assert result.exit_code == 1
    assert "is not a plan of format 1" in result.stderr
    assert "Running infra/__main__.py" not in result.stderr  # checked before the long part


def test_an_unknown_stack_is_a_clear_error(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["plan", "--stack", "qa"])
    assert result.exit_code == 1
    assert "no stack 'qa': Pulumi.qa.yaml does not exist (stacks here: dev, prod)" in " ".join(result.stderr.split())


def test_an_invalid_config_names_the_key(tmp_path: Path, ops_artifacts: Path) -> None:
    def shorten(config: dict) -> None:
        config["customer-insights:vault"]["softDeleteRetentionDays"] = 3  # Azure keeps 7 to 90 days

    write_stack(tmp_path, "qa", shorten)
    try:
        build_plan("qa", root=tmp_path, artifacts_root=ops_artifacts)
    except PlanError as exc:
        assert "customer-insights:vault.softDeleteRetentionDays: Input should be greater than or equal to 7" in str(exc)
    else:
        raise AssertionError("the plan accepted an invalid config")


def test_a_plain_text_password_is_refused(tmp_path: Path, ops_artifacts: Path) -> None:
    def plain(config: dict) -> None:
        config["customer-insights:sourcePassword"] = "hunter2"

    write_stack(tmp_path, "qa", plain)
    try:
        build_plan("qa", root=tmp_path, artifacts_root=ops_artifacts)
    except PlanError as exc:
        assert "customer-insights:sourcePassword: must be stored encrypted" in str(exc)
    else:
        raise AssertionError("the plan accepted a plain-text password")


def test_a_policy_violation_fails_the_plan(tmp_path: Path, ops_artifacts: Path) -> None:
    # prod's config with the vault's purge protection switched off: valid config, but the policy says no.
    def unprotect(config: dict) -> None:
        config["customer-insights:vault"]["purgeProtection"] = False
        config["other:apiToken"] = "abc123"  # and a secret-looking key in plain text

    write_stack(tmp_path, "prod", unprotect, like="prod")
    plan = build_plan("prod", root=tmp_path, artifacts_root=ops_artifacts)
    [vault] = [p for p in plan["policies"] if p["policy"] == "vault-baseline"]
    assert [v["resource"] for v in vault["violations"]] == ["vault-vault"]
    assert plan["summary"]["mandatoryViolations"] == 1
    assert plan["configProblems"] == [
        "other:apiToken: stored in plain text; set it with `pulumi config set --secret apiToken`"
    ]


def test_load_plan_explains_a_missing_file(tmp_path: Path) -> None:
    try:
        load_plan(tmp_path / "nope.json")
    except PlanError as exc:
        assert "does not exist" in str(exc)
    else:
        raise AssertionError


def test_the_plan_lists_what_the_deploy_would_publish_to_power_bi(tmp_path: Path, ops_artifacts: Path) -> None:
    workspace = "5b0a7c1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d"
    write_stack(tmp_path, "qa", lambda config: config.update({"customer-insights:powerbi": {"workspaceId": workspace}}))
    plan = build_plan("qa", root=tmp_path, artifacts_root=ops_artifacts)
    server = plan["outputs"]["synapseServerlessEndpoint"]
    assert re.fullmatch(r"syn-cip-dev-[a-z0-9]{5}-ondemand\.sql\.azuresynapse\.net", server)
    assert plan["powerbi"] == {
        "workspaceId": workspace,
        "environment": "qa",
        "items": [
            {"type": "SemanticModel", "name": "CustomerInsights", "folder": "CustomerInsights.SemanticModel"},
            {"type": "Report", "name": "CustomerInsights", "folder": "CustomerInsights.Report"},
        ],
        "parameters": {"SynapseServer": server, "SynapseDatabase": "insights"},
    }
    assert describe_plan(plan["powerbi"], "qa") == [
        f"Power BI: would publish SemanticModel CustomerInsights, Report CustomerInsights to workspace {workspace} "
        f"with SynapseServer={server}, SynapseDatabase=insights"
    ]
