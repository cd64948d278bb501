"""`insights deploy` and `insights destroy`, tested at their seams (fakes of the Azure client and of the Pulumi
CLI's process: the real things are the cloud). The tests assert the invariants, not the exact calls: triggers
are stopped before `pulumi up` and started after it; a failure before `pulumi up` changes nothing (what was
stopped is started again); nothing runs after a failure; each failure is one clear message."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
import typer
from typer.testing import CliRunner

from insights.ops import cli as ops_cli
from insights.ops import deploy as deploy_module
from insights.ops.azure import AzureOpsError, PermissionDeniedError, SignInError
from insights.ops.deploy import OpsFailure, Timing, deploy, destroy
from tests.support.fake_azure import SUBSCRIPTION, TIMING, World, up
from tests.support.fake_fabric import FakeCredential, FakeFabric
from tests.support.paths import REPO_ROOT
from tests.support.stacks import write_stack

SMOKE_SQL = "SELECT TOP (1) * FROM [gold].[agg_daily_sales]"


@pytest.fixture(autouse=True)
def offline_plans(monkeypatch: pytest.MonkeyPatch, plans: dict[str, dict]) -> None:
    """The preflight's offline plan, made once per session rather than once per test."""
    monkeypatch.setattr(deploy_module, "build_plan", lambda stack, root=None, say=None: plans[stack])


# --- deploy ------------------------------------------------------------------------------------


def test_deploy_stops_the_triggers_before_pulumi_up_and_starts_them_after(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.start_busy = 2  # the fresh trigger is still provisioning twice
    report = deploy("prod", world.operator(), timing=TIMING, root=deployed_root)

    assert world.steps() == ["stop_trigger", "up", "start_trigger", "run_pipeline"]
    assert up("prod") in world.journal  # with the policy pack
    # the smoke test ends by reading a serving view through the stack's serverless endpoint
    endpoint = "syn-cip-prod-abcde-ondemand.sql.azuresynapse.net"
    assert world.journal[-1] == ("azure", "query", endpoint, "insights", SMOKE_SQL)
    # the smoke test checks the factory's jobs are the workspace's before it starts the pipeline
    jobs = ("azure", "workspace_jobs", "https://adb-prod.11.azuredatabricks.net")
    assert world.journal.index(jobs) < world.journal.index(
        ("azure", "run_pipeline", "adf-cip-prod-abcde", "pl_daily_master")
    )
    assert world.slept == [2, 2, 15, 15]  # two start retries, two polls (Queued, InProgress)
    assert report.stopped == ["tr_daily"] and report.started == ["tr_daily"]
    assert report.smoke == "passed" and report.pipeline_run_id == "run-1" and report.view_rows == 1
    # pulumi up deploys into the subscription the preflight checked
    assert world.process.envs[world.calls("pulumi").index(up("prod"))]["ARM_SUBSCRIPTION_ID"] == SUBSCRIPTION
    assert world.azure.triggers == {"tr_daily": "Started"}
    assert "6/6 Smoke test" in world.said


def test_a_stack_whose_config_disables_the_trigger_leaves_it_stopped(deployed_root: Path) -> None:
    world = World("dev")
    report = deploy("dev", world.operator(), timing=TIMING, root=deployed_root)
    assert report.stopped == ["tr_daily"] and report.started == []
    assert not [c for c in world.journal if c[1] == "start_trigger"]
    assert "triggers stay stopped: trigger.enabled is false in this stack's config" in world.said
    assert world.azure.triggers == {"tr_daily": "Stopped"}


def test_the_first_deploy_has_no_trigger_to_stop(deployed_root: Path) -> None:
    world = World("prod", deployed=False)
    deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert world.steps()[0] == "up"
    # the prerequisites ask Databricks and Synapse only about a deployed stack
    assert not {c[1] for c in world.journal[: world.journal.index(up("prod"))]} & {
        "workspace_metastore",
        "synapse_state",
    }
    assert "no factory deployed yet: no trigger to stop" in world.said


def test_a_first_deploy_needs_to_know_its_subscription(deployed_root: Path) -> None:
    world = World("prod", deployed=False)
    world.env = {}
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "which Azure subscription should stack 'prod' use? Set ARM_SUBSCRIPTION_ID" in str(failure.value)
    assert world.changes() == [] and world.calls("azure") == []


def test_an_expired_sign_in_stops_before_anything_changes(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.sign_in_error = SignInError(
        "checking the Azure sign-in: the Azure sign-in is missing or expired (AADSTS700024); sign in again: `az login`"
    )
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "the Azure sign-in is missing or expired" in str(failure.value)
    assert "az login" in str(failure.value) and str(failure.value).endswith("nothing was changed")
    assert world.changes() == []
    assert world.azure.triggers == {"tr_daily": "Started"}


def test_a_missing_permission_leaves_every_trigger_as_it_was(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.triggers = {"tr_daily": "Started", "tr_hourly": "Started"}
    world.process.current["triggerNames"] = ["tr_daily", "tr_hourly"]
    world.azure.stop_error["tr_hourly"] = PermissionDeniedError(
        "stopping trigger tr_hourly: the signed-in identity lacks permission (AuthorizationFailed). "
        "It needs Data Factory Contributor on the factory."
    )
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    message = str(failure.value)
    assert "It needs Data Factory Contributor on the factory." in message
    assert "nothing was deployed; every trigger is as it was" in message
    assert world.steps() == ["stop_trigger", "start_trigger"]  # tr_daily put back as it was, no pulumi up
    assert world.azure.triggers == {"tr_daily": "Started", "tr_hourly": "Started"}


def test_a_trigger_that_will_not_stop(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.stuck = {"tr_daily"}
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "trigger tr_daily will not stop: still Started after 3 checks 1s apart" in str(failure.value)
    assert world.calls("azure").count(("azure", "trigger_state", "tr_daily")) == 1 + 3  # before stopping, 3 checks
    assert world.slept == [1, 1]
    assert world.steps() == ["stop_trigger"]  # no pulumi up
    assert world.azure.triggers == {"tr_daily": "Started"}


def test_a_failed_pulumi_up_starts_the_stopped_triggers_again(deployed_root: Path) -> None:
    world = World("prod")
    world.process.fail["up"] = 255
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    message = str(failure.value)
    assert "`pulumi up` failed for stack 'prod' (exit 255)" in message
    assert "The triggers it had stopped were started again" in message
    assert "Recover from a failed deploy" in message
    assert world.steps() == ["stop_trigger", "up", "start_trigger"]  # after the failure, only the restart
    assert world.azure.triggers == {"tr_daily": "Started"}


def test_unregistered_providers_are_named_with_the_command_that_registers_them(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.providers = {"Microsoft.Synapse": "NotRegistered", "Microsoft.Databricks": "Registering"}
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    message = str(failure.value)
    assert "not registered in subscription" in message
    assert "az provider register -n Microsoft.Databricks" in message
    assert "az provider register -n Microsoft.Synapse" in message
    assert world.changes() == [] and world.journal[-1][1] == "provider_states"  # nothing after the failed check


def test_starting_gives_up_after_its_attempts(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.start_busy = 99
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "the stack is deployed, but a trigger did not start" in str(failure.value)
    assert "trigger tr_daily did not start after 4 attempts" in str(failure.value)
    assert world.calls("azure").count(("azure", "start_trigger", "tr_daily")) == 4
    assert world.slept == [2, 2, 2]
    assert world.steps()[-1] == "start_trigger"  # nothing after the failure


def test_only_the_provisioning_race_is_retried(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.start_error = PermissionDeniedError(
        "starting trigger tr_daily: the signed-in identity lacks permission"
    )
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "lacks permission" in str(failure.value)
    assert world.calls("azure").count(("azure", "start_trigger", "tr_daily")) == 1
    assert world.steps() == ["stop_trigger", "up", "start_trigger"]  # no smoke test after the failure


def test_the_smoke_test_waits_for_a_runtime_node(deployed_root: Path) -> None:
    world = World("prod", deployed=False)
    world.azure.runtime = "NeedRegistration"
    report = deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert report.smoke == "skipped: integration runtime shir-onprem has no registered node"
    assert "insights cloud runtime-key --stack prod" in world.warned[0]
    assert not [c for c in world.journal if c[1] in {"run_pipeline", "query"}]


def test_a_failed_pipeline_run_fails_the_smoke_test(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.pipeline_statuses = ["InProgress", "Failed"]
    world.azure.pipeline_message = "Operation on target Extract Tables failed"
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "run run-1 of pl_daily_master failed: Operation on target Extract Tables failed" in str(failure.value)
    assert "The stack is deployed." in str(failure.value)
    assert not [c for c in world.journal if c[1] == "query"]  # no view read after the failed run


def test_a_pipeline_run_that_does_not_finish_in_time(deployed_root: Path) -> None:
    world = World("prod")
    world.azure.pipeline_statuses = ["InProgress"]
    timing = Timing(trigger_wait_seconds=0, stop_wait_seconds=0, poll_seconds=15, smoke_timeout_seconds=60)
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=timing, root=deployed_root)
    assert "did not finish within 1 minutes (still InProgress)" in str(failure.value)
    # the fake clock moves 10 s per reading: started at 10, then 20, 30, ... until 70 - 10 >= 60
    assert world.calls("azure").count(("azure", "pipeline_run", "run-1")) == 6


def test_a_stack_without_its_encrypted_password_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    world = World("dev")
    with pytest.raises(OpsFailure) as failure:
        deploy("dev", world.operator(), timing=TIMING, root=tmp_path)
    assert "customer-insights:sourcePassword: is required but not set" in str(failure.value)
    assert "pulumi config set --secret sourcePassword -s dev" in str(failure.value)
    assert world.journal == []


def test_a_policy_violation_is_refused_before_the_cloud(deployed_root: Path, plans: dict[str, dict]) -> None:
    bad = {**plans["prod"], "summary": {**plans["prod"]["summary"], "mandatoryViolations": 1}}
    bad["policies"] = [
        {**p, "violations": [{"message": "purge protection off", "resource": "vault-vault", "urn": None}]}
        if p["policy"] == "vault-baseline"
        else p
        for p in plans["prod"]["policies"]
    ]
    deploy_module.build_plan = lambda stack, root=None, say=None: bad  # undone by the autouse monkeypatch
    world = World("prod")
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "breaks the security baseline:\n  vault-baseline: vault-vault: purge protection off" in str(failure.value)
    assert world.journal == []


def test_without_the_pulumi_cli_the_message_says_what_to_do(deployed_root: Path) -> None:
    world = World("prod")
    world.installed = False
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "the Pulumi CLI is not installed" in str(failure.value)
    assert "insights plan --stack S" in str(failure.value)
    assert world.changes() == [] and world.calls("azure") == []


def test_not_logged_in_to_pulumi(deployed_root: Path) -> None:
    world = World("prod")
    world.process.logged_in = False
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "not logged in to a Pulumi backend: run `pulumi login`" in str(failure.value)
    assert world.changes() == [] and world.calls("azure") == []


# --- the Power BI step --------------------------------------------------------------------------

WORKSPACE = "5b0a7c1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d"


@pytest.fixture
def powerbi_root(tmp_path: Path, deployed_root: Path) -> Path:
    """The deployed stack files, prod naming a Power BI workspace."""

    def with_workspace(config: dict) -> None:
        config["customer-insights:sourcePassword"] = {"secure": "v1:c2VjcmV0:ZW5jcnlwdGVk"}
        config["customer-insights:powerbi"] = {"workspaceId": WORKSPACE}

    write_stack(tmp_path, "prod", with_workspace, like="prod")
    shutil.copy(deployed_root / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


@pytest.fixture
def fabric(monkeypatch: pytest.MonkeyPatch) -> FakeFabric:
    fake = FakeFabric(WORKSPACE)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake.send)
    return fake


def test_a_stack_without_a_power_bi_workspace_says_so_in_one_line_and_publishes_nothing(deployed_root: Path) -> None:
    world = World("prod")
    op = world.operator()
    op.credential = lambda: pytest.fail("no credential is made when nothing is published")
    report = deploy("prod", op, smoke=False, timing=TIMING, root=deployed_root)
    assert [line for line in world.said if "Power BI" in line] == [
        "5/6 Power BI report not published: Pulumi.prod.yaml names no workspace (powerbi.workspaceId)"
    ]
    assert report.powerbi == "not published (no workspace)"


def test_a_stack_with_a_workspace_publishes_after_the_triggers_and_before_the_smoke_test(
    powerbi_root: Path, fabric: FakeFabric
) -> None:
    world = World("prod")
    op = world.operator()
    op.credential = FakeCredential
    report = deploy("prod", op, timing=TIMING, root=powerbi_root)

    assert report.powerbi == "published SemanticModel CustomerInsights, Report CustomerInsights"
    said = world.said
    publishing = said.index(f"5/6 Publishing powerbi/ to Power BI workspace {WORKSPACE} with fabric-cicd")
    published = said.index("  fabric-cicd: ->Published Report 'CustomerInsights'")
    assert said.index("4/6 Starting the triggers the stack's config enables") < publishing < published
    assert published < said.index("6/6 Smoke test")
    model = fabric.created("SemanticModel").parts()["definition/expressions.tmdl"]
    assert '"syn-cip-prod-abcde-ondemand.sql.azuresynapse.net"' in model  # the outputs after pulumi up
    sent = [json.dumps(s.body) for s in fabric.sent] + [
        t for s in fabric.sent if s.method == "POST" for t in s.parts().values()
    ]
    assert [text for text in sent if "ZW5jcnlwdGVk" in text or "fake-fabric-token" in text] == []  # no secret


def test_a_refused_publish_fails_the_deploy_saying_the_stack_is_deployed(
    powerbi_root: Path, fabric: FakeFabric
) -> None:
    fabric.refuse = 403
    world = World("prod")
    op = world.operator()
    op.credential = FakeCredential
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", op, timing=TIMING, root=powerbi_root)
    assert str(failure.value).startswith(
        f"the stack is deployed, but the Power BI report was not published: publishing to Power BI workspace "
        f"{WORKSPACE} failed: "
    )
    assert "run `insights deploy --stack prod` again" in str(failure.value)
    assert ("azure", "run_pipeline", "adf-cip-prod-abcde", "pl_daily_master") not in world.journal  # no smoke test


# --- destroy -----------------------------------------------------------------------------------


def test_destroy_stops_triggers_destroys_and_purges_the_dev_vault(deployed_root: Path) -> None:
    world = World("dev")
    world.azure.deleted_vault_after = 2  # Azure lists the deleted vault a moment later
    report = destroy("dev", world.operator(), timing=TIMING, root=deployed_root)
    assert world.steps() == ["stop_trigger", "destroy", "purge_deleted_vault"]
    # the vault is purged once Azure lists it as deleted (the second check here)
    checks = [c for c in world.journal if c[1] == "deleted_vault_exists"]
    assert len(checks) == 2 and world.journal[-2:] == [checks[-1], world.changes()[-1]]
    assert report.purged_vault == "kv-cip-dev-abcde"


def test_destroy_keeps_the_vault_when_asked(deployed_root: Path) -> None:
    world = World("dev")
    report = destroy("dev", world.operator(), purge_vault=False, timing=TIMING, root=deployed_root)
    assert report.purged_vault is None
    assert world.steps() == ["stop_trigger", "destroy"]


def test_a_production_stack_needs_an_explicit_allowance_and_is_never_purged(deployed_root: Path) -> None:
    world = World("prod")
    with pytest.raises(OpsFailure) as failure:
        destroy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "needs --allow-production" in str(failure.value)
    assert world.journal == []  # refused before any call
    report = destroy("prod", world.operator(), allow_production=True, timing=TIMING, root=deployed_root)
    assert report.purged_vault is None
    assert world.steps() == ["stop_trigger", "destroy"]
    assert any("stays soft-deleted" in line for line in world.said)


def test_a_failed_purge_says_how_to_finish(deployed_root: Path) -> None:
    world = World("dev")
    world.azure.purge_error = AzureOpsError("purging the deleted vault kv-cip-dev-abcde: conflict")
    with pytest.raises(OpsFailure) as failure:
        destroy("dev", world.operator(), timing=TIMING, root=deployed_root)
    assert "the stack is destroyed, but the vault was not purged" in str(failure.value)
    assert "az keyvault purge -n kv-cip-dev-abcde -l westeurope" in str(failure.value)


def test_a_failed_destroy_starts_the_triggers_again(deployed_root: Path) -> None:
    world = World("dev")
    world.process.fail["destroy"] = 1
    with pytest.raises(OpsFailure) as failure:
        destroy("dev", world.operator(), timing=TIMING, root=deployed_root)
    assert "`pulumi destroy` failed for stack 'dev' (exit 1)" in str(failure.value)
    assert world.steps() == ["stop_trigger", "destroy", "start_trigger"]  # no purge after the failure
    assert world.azure.triggers == {"tr_daily": "Started"}


# --- the commands ------------------------------------------------------------------------------


def test_the_deploy_command_ends_with_a_clear_message(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, deployed_root: Path
) -> None:
    world = World("prod")
    world.azure.sign_in_error = SignInError("checking the Azure sign-in: the Azure sign-in is missing or expired")
    monkeypatch.setattr(ops_cli, "_operator", lambda console: world.operator())
    monkeypatch.setattr(deploy_module, "stack_settings", _settings_from(deployed_root))
    result = CliRunner().invoke(app, ["deploy", "--stack", "prod"])
    assert result.exit_code == 1
    assert "error: checking the Azure sign-in: the Azure sign-in is missing or expired" in result.stderr
    assert "nothing was changed" in result.stderr


def test_the_deploy_command_summarises_a_good_deploy(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch, deployed_root: Path
) -> None:
    world = World("prod")
    monkeypatch.setattr(ops_cli, "_operator", lambda console: world.operator())
    monkeypatch.setattr(deploy_module, "stack_settings", _settings_from(deployed_root))
    result = CliRunner().invoke(app, ["deploy", "--stack", "prod", "--no-smoke"])
    assert result.exit_code == 0, result.output
    assert "deployed stack prod: triggers stopped ['tr_daily'], started ['tr_daily']" in result.stderr
    assert "smoke test skipped: --no-smoke" in result.stderr


def test_the_destroy_command_asks_first(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["destroy", "--stack", "dev"])  # no terminal, no --yes
    assert result.exit_code == 1
    assert "destroy needs --yes when it cannot ask" in result.stderr


def _settings_from(root: Path):
    original = deploy_module.stack_settings
    return lambda stack, _root=None, require_secrets=False: original(stack, root, require_secrets)


def test_outputs_of_an_older_program_are_a_clear_error(deployed_root: Path) -> None:
    world = World("prod")
    del world.process.current["triggerNames"]
    with pytest.raises(OpsFailure) as failure:
        deploy("prod", world.operator(), timing=TIMING, root=deployed_root)
    assert "stack outputs lack triggerNames" in str(failure.value)
    assert world.changes() == []
