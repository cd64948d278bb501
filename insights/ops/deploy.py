"""`insights deploy` and `insights destroy`: the steps around `pulumi up` / `pulumi destroy`, in order.

deploy:  1 preflight (config valid and policies pass offline, Pulumi CLI and login, Azure sign-in,
           resource providers registered)
         2 stop the factory's started triggers (ADF refuses to update a started trigger)
         3 pulumi up, with the policy pack
         4 start the triggers the stack's config enables (retrying while ADF still provisions them)
         5 publish the Power BI report (powerbi/) to the stack's workspace with fabric-cicd
           (insights/ops/powerbi.py); a stack that names no workspace skips it
         6 smoke test: run pl_daily_master once and wait for it, then read one serving view through
           the Synapse serverless endpoint
destroy: 1 preflight (Pulumi CLI and login, Azure sign-in), 2 stop the started triggers,
         3 pulumi destroy, 4 in a non-production stack whose vault has no purge protection, purge the
           soft-deleted vault so that its name is free at once

A failure before `pulumi up` (or `pulumi destroy`) changes nothing: triggers the step had stopped are
started again. Every Azure call goes through `AzureClient` (insights/ops/azure.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adf_pipelines import MASTER_PIPELINE
from infra.factory import SELF_HOSTED_RUNTIME
from infra.paths import REPO_ROOT
from infra.settings import ConfigError, Settings, is_production, read_stack, stack_file_config
from insights.credential import SignInError, azure_credential, renew_az_cli
from insights.ops import powerbi
from insights.ops.azure import REQUIRED_PROVIDERS, AzureClient, AzureOpsError, FactoryRef
from insights.ops.plan import PlanError, build_plan, plan_passes, violations
from insights.ops.prerequisites import PrerequisiteError, check_prerequisites
from insights.ops.pulumi_cli import PulumiCli, PulumiError
from insights.ops.runs import FollowedRun, RunTimeout, failure, follow_run
from insights.ops.triggers import StackTriggers, TriggerError, restore_triggers, start_triggers, stop_triggers

SMOKE_VIEW = "[gold].[agg_daily_sales]"


class OpsFailure(Exception):
    """A deploy or destroy step failed; the message says which, why, and in what state it left the stack."""


@dataclass
class Operator:
    """What the steps need from the outside world; the tests pass fakes."""

    azure: AzureClient
    pulumi: PulumiCli
    say: Callable[[str], None] = print
    warn: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    credential: Callable[[], Any] = azure_credential  # for the calls made outside AzureClient (fabric-cicd)


@dataclass
class Timing:
    trigger_attempts: int = 6
    trigger_wait_seconds: float = 10.0
    stop_checks: int = 3
    stop_wait_seconds: float = 5.0
    poll_seconds: float = 30.0
    smoke_timeout_seconds: float = 3600.0
    purge_checks: int = 6
    purge_wait_seconds: float = 10.0


@dataclass
class Report:
    stack: str
    steps: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    powerbi: str = "not run"
    smoke: str = "not run"  # passed | skipped: ... | not run
    pipeline_run_id: str | None = None
    view_rows: int | None = None
    purged_vault: str | None = None


# --- preflight ---------------------------------------------------------------------------------


def stack_settings(stack: str, root: Path | None = None, require_secrets: bool = False) -> Settings:
    try:
        return read_stack(stack, root, require_secrets=require_secrets)
    except ConfigError as exc:
        raise OpsFailure(f"{exc}\nnothing was changed") from None


def check_config(stack: str, op: Operator, root: Path | None = None) -> Settings:
    """The stack's config is valid and the program passes the policy pack: the offline plan, as a gate."""
    settings = stack_settings(stack, root, require_secrets=True)
    try:
        plan = build_plan(stack, root=root, say=op.say)
    except PlanError as exc:
        raise OpsFailure(f"{exc}\nnothing was changed") from None
    if not plan_passes(plan):
        problems = "\n".join(f"  {line}" for line in violations(plan))
        raise OpsFailure(f"stack {stack!r} breaks the security baseline:\n{problems}\nnothing was changed")
    op.say(f"config valid; {plan['summary']['resources']} resources pass all {plan['summary']['policies']} policies")
    return settings


def subscription_for(stack: str, outputs: Mapping[str, Any], env: Mapping[str, str], root: Path | None = None) -> str:
    """ARM_SUBSCRIPTION_ID (or AZURE_SUBSCRIPTION_ID), else the deployed stack's, else azure-native's config."""
    for candidate in (env.get("ARM_SUBSCRIPTION_ID"), env.get("AZURE_SUBSCRIPTION_ID"), outputs.get("subscriptionId")):
        if candidate:
            return str(candidate)
    try:
        configured = stack_file_config(stack, root or REPO_ROOT).get("azure-native:subscriptionId")
    except ConfigError as exc:
        raise OpsFailure(f"{exc}; nothing was changed") from None
    if configured:
        return str(configured)
    raise OpsFailure(
        f"which Azure subscription should stack {stack!r} use? Set ARM_SUBSCRIPTION_ID "
        "(`export ARM_SUBSCRIPTION_ID=$(az account show --query id -o tsv)`); nothing was changed"
    )


def check_cloud(stack: str, op: Operator, root: Path | None, require_providers: bool) -> dict[str, Any]:
    """Pulumi CLI and login, the stack's outputs, Azure sign-in and providers; return the outputs."""
    try:
        op.say(f"Pulumi CLI {op.pulumi.version()}, logged in as {op.pulumi.whoami()}")
        outputs = op.pulumi.outputs(stack)
    except PulumiError as exc:
        raise OpsFailure(f"{exc}; nothing was changed") from None
    subscription = subscription_for(stack, outputs, op.env, root)
    op.pulumi.set_env(ARM_SUBSCRIPTION_ID=subscription)
    try:
        op.azure.check_sign_in()
        op.say(f"signed in to Azure; subscription {subscription}")
        if require_providers:
            states = op.azure.provider_states(subscription, REQUIRED_PROVIDERS)
            missing = [name for name in REQUIRED_PROVIDERS if states.get(name) != "Registered"]
            if missing:
                commands = "\n".join(f"  az provider register -n {name}" for name in missing)
                raise OpsFailure(
                    f"resource providers not registered in subscription {subscription}: {', '.join(missing)}. "
                    f"Register them once (as an Owner or Contributor of the subscription):\n{commands}\n"
                    "nothing was changed"
                )
            op.say(f"resource providers registered: {len(REQUIRED_PROVIDERS)}/{len(REQUIRED_PROVIDERS)}")
    except AzureOpsError as exc:
        raise OpsFailure(f"{exc}; nothing was changed") from None
    return outputs


# --- triggers ----------------------------------------------------------------------------------


def _triggers(outputs: Mapping[str, Any]) -> StackTriggers | None:
    try:
        return StackTriggers.from_outputs(outputs)
    except TriggerError as exc:  # outputs of an older program: say so as this command's failure
        raise OpsFailure(f"{exc}; nothing was changed") from None


def _stop(outputs: Mapping[str, Any], op: Operator, timing: Timing) -> list[str]:
    triggers = _triggers(outputs)
    if triggers is None:
        op.say("no factory deployed yet: no trigger to stop")
        return []
    try:
        return stop_triggers(
            triggers,
            op.azure,
            op.say,
            attempts=timing.stop_checks,
            wait_seconds=timing.stop_wait_seconds,
            sleep=op.sleep,
        )
    except (TriggerError, AzureOpsError) as exc:
        raise OpsFailure(f"{exc}\nnothing was deployed; every trigger is as it was") from None


def _restore(outputs: Mapping[str, Any], names: list[str], op: Operator) -> list[str]:
    triggers = _triggers(outputs)
    if not names or triggers is None:
        return []
    return restore_triggers(triggers, names, op.azure, op.say)


def _pulumi_failed(
    exc: PulumiError, command: str, stack: str, outputs: Mapping[str, Any], stopped: list[str], op: Operator
) -> OpsFailure:
    """A failed `pulumi up` or `destroy`: start again the triggers this run stopped, and say what is left."""
    try:
        left = _restore(outputs, stopped, op)
    except AzureOpsError:
        left = stopped
    state = "the triggers it had stopped were started again" if not left else f"still stopped: {left}"
    return OpsFailure(
        f"{exc}. {state.capitalize()}. Fix the cause and run `insights {command} --stack {stack}` again "
        "(docs/runbook.md, 'Recover from a failed deploy')"
    )


# --- deploy ------------------------------------------------------------------------------------


def deploy(
    stack: str,
    op: Operator,
    *,
    smoke: bool = True,
    timing: Timing | None = None,
    root: Path | None = None,
) -> Report:
    timing = timing or Timing()
    report = Report(stack)

    op.say(f"1/6 Preflight for stack {stack}")
    settings = check_config(stack, op, root)
    outputs = check_cloud(stack, op, root, require_providers=True)
    try:
        subscription = subscription_for(stack, outputs, op.env, root)
        for line in check_prerequisites(op.azure, subscription, settings, outputs, op.env):
            op.say(line)
    except PrerequisiteError as exc:
        raise OpsFailure(f"{exc}\nnothing was changed") from None
    try:
        if renew_az_cli(op.env):
            op.say("az CLI signed in anew with a fresh GitHub OIDC token (the Databricks provider signs in through it)")
    except SignInError as exc:
        raise OpsFailure(f"{exc}; nothing was changed") from None

    op.say("2/6 Stopping the factory's started triggers (ADF refuses to update a started trigger)")
    report.stopped = _stop(outputs, op, timing)

    op.say(f"3/6 pulumi up --stack {stack} with the policy pack")
    try:
        op.pulumi.up(stack)
    except PulumiError as exc:
        raise _pulumi_failed(exc, "deploy", stack, outputs, report.stopped, op) from None
    try:
        outputs = op.pulumi.outputs(stack)
    except PulumiError as exc:
        raise OpsFailure(f"the stack is deployed, but its outputs could not be read: {exc}") from None

    op.say("4/6 Starting the triggers the stack's config enables")
    triggers = _triggers(outputs)
    if triggers is not None:
        try:
            report.started = start_triggers(
                triggers,
                op.azure,
                op.say,
                attempts=timing.trigger_attempts,
                wait_seconds=timing.trigger_wait_seconds,
                sleep=op.sleep,
            )
        except (TriggerError, AzureOpsError) as exc:
            raise OpsFailure(
                f"the stack is deployed, but a trigger did not start: {exc}. "
                f"Start it with `insights cloud triggers start --stack {stack}`"
            ) from None

    try:
        report.powerbi = powerbi.deploy_step("5/6", stack, settings, outputs, op.credential, op.say)
    except (powerbi.PowerBiError, AzureOpsError) as exc:
        raise OpsFailure(
            f"the stack is deployed, but the Power BI report was not published: {exc}. "
            f"Fix the cause and run `insights deploy --stack {stack}` again (publishing again is safe)"
        ) from None

    if not smoke:
        op.say("6/6 Smoke test skipped (--no-smoke)")
        report.smoke = "skipped: --no-smoke"
        return report
    op.say("6/6 Smoke test")
    smoke_test(stack, outputs, op, timing, report)
    return report


def check_jobs(outputs: Mapping[str, Any], op: Operator) -> None:
    """The job ids the factory runs (its global parameters) are jobs of the deployed Databricks workspace."""
    host, resource_id = outputs.get("databricksWorkspaceUrl"), outputs.get("databricksWorkspaceId")
    if not (host and resource_id):
        return
    jobs = op.azure.workspace_jobs(host, resource_id)
    wanted = {key: str(outputs.get(key)) for key in ("silverJobId", "goldJobId")}
    missing = [f"{key} {job_id}" for key, job_id in wanted.items() if job_id not in jobs]
    if missing:
        raise OpsFailure(
            f"smoke test: the factory would run Databricks jobs that workspace {host} does not have "
            f"({', '.join(missing)}): run `insights deploy` again so that the factory's global parameters follow "
            "the jobs. The stack is deployed."
        )
    op.say("Databricks jobs in the workspace: " + ", ".join(f"{jobs[job_id]} ({job_id})" for job_id in wanted.values()))


def create_pending_views(stack: str, outputs: Mapping[str, Any], op: Operator) -> Mapping[str, Any]:
    """On a first deploy the views wait for their gold folders; once the pipeline has written gold, `pulumi up`
    again creates them (only the serving SQL resource has a change). Return the stack's outputs after it."""
    pending = outputs.get("synapseViewsPending") or []
    if not pending:
        return outputs
    op.say(f"views waiting for their gold folders: {', '.join(pending)}; pulumi up again now that gold exists")
    try:
        op.pulumi.up(stack)
        outputs = op.pulumi.outputs(stack)
    except PulumiError as exc:
        raise OpsFailure(f"smoke test: creating the waiting views failed: {exc}. The stack is deployed.") from None
    if outputs.get("synapseViewsPending"):
        raise OpsFailure(
            f"smoke test: views still without their gold folders after the pipeline run: "
            f"{', '.join(outputs['synapseViewsPending'])}; check that the gold job wrote them (docs/runbook.md). "
            "The stack is deployed."
        )
    return outputs


def run_and_follow_master(op: Operator, factory: FactoryRef, timing: Timing) -> FollowedRun:
    """Start the master pipeline once and follow its runs to the end; `RunTimeout` when it outlasts the timing."""
    run_id = op.azure.run_pipeline(factory, MASTER_PIPELINE)
    op.say(f"pipeline {MASTER_PIPELINE}: run {run_id} started in factory {factory.factory}")
    return follow_run(
        op.azure,
        factory,
        MASTER_PIPELINE,
        run_id,
        op.say,
        timeout_seconds=timing.smoke_timeout_seconds,
        poll_seconds=timing.poll_seconds,
        sleep=op.sleep,
        clock=op.clock,
    )


def smoke_test(stack: str, outputs: Mapping[str, Any], op: Operator, timing: Timing, report: Report) -> None:
    triggers = _triggers(outputs)
    if triggers is None:
        raise OpsFailure(f"stack {stack!r} exports no factory: cannot run the smoke test")
    factory = triggers.factory
    try:
        check_jobs(outputs, op)
        runtime = op.azure.integration_runtime_state(factory, SELF_HOSTED_RUNTIME)
        if runtime == "NeedRegistration":
            report.smoke = f"skipped: integration runtime {SELF_HOSTED_RUNTIME} has no registered node"
            op.warn(
                f"smoke test skipped: the self-hosted integration runtime {SELF_HOSTED_RUNTIME} has no node yet "
                "(a new environment). Register one with the auth key "
                f"(`insights cloud runtime-key --stack {stack}`, docs/runbook.md), "
                f"then run `insights deploy --stack {stack}` again"
            )
            return
        if runtime != "Online":
            raise OpsFailure(
                f"smoke test: the self-hosted integration runtime {SELF_HOSTED_RUNTIME} is {runtime or 'missing'}, "
                "so the pipeline cannot reach the source: start the runtime's service on its machine "
                "(docs/runbook.md). The stack is deployed."
            )
        try:
            run = run_and_follow_master(op, factory, timing)
        except RunTimeout as exc:
            raise OpsFailure(f"smoke test: {exc}. The stack is deployed.") from None
        report.pipeline_run_id = run.run_id
        if run.status != "Succeeded":
            raise OpsFailure(
                f"smoke test: {failure(run, MASTER_PIPELINE)}. Its activities are in ADF Studio (Monitor). "
                "The stack is deployed."
            )
        outputs = create_pending_views(stack, outputs, op)
        server, database = outputs["synapseServerlessEndpoint"], outputs["synapseDatabase"]
        rows = op.azure.query(server, database, f"SELECT TOP (1) * FROM {SMOKE_VIEW}")
    except AzureOpsError as exc:
        raise OpsFailure(f"smoke test: {exc}. The stack is deployed.") from None
    report.view_rows = len(rows)
    if not rows:
        op.warn(f"{SMOKE_VIEW} answered through {server} but has no row yet: does the source hold any sale?")
    op.say(f"read {SMOKE_VIEW} through {server}/{database}: {len(rows)} row(s)")
    report.smoke = "passed"


# --- destroy -----------------------------------------------------------------------------------


def destroy(
    stack: str,
    op: Operator,
    *,
    purge_vault: bool = True,
    allow_production: bool = False,
    timing: Timing | None = None,
    root: Path | None = None,
) -> Report:
    timing = timing or Timing()
    report = Report(stack)
    settings = stack_settings(stack, root)
    production = is_production(stack)
    if production and not allow_production:
        raise OpsFailure(
            f"stack {stack!r} is the production stack: destroying it needs --allow-production as well; "
            "nothing was changed"
        )

    op.say(f"1/4 Preflight for stack {stack}")
    outputs = check_cloud(stack, op, root, require_providers=False)

    op.say("2/4 Stopping the factory's started triggers")
    report.stopped = _stop(outputs, op, timing)

    op.say(f"3/4 pulumi destroy --stack {stack}")
    try:
        op.pulumi.destroy(stack)
    except PulumiError as exc:
        raise _pulumi_failed(exc, "destroy", stack, outputs, report.stopped, op) from None

    vault = outputs.get("keyVaultName")
    purge_protection = settings.vault.purge_protection
    if not vault:
        op.say("4/4 No vault in the stack's outputs: nothing to purge")
    elif production or purge_protection:
        op.say(f"4/4 Vault {vault} stays soft-deleted (purge protection / production): its name is not reused")
    elif not purge_vault:
        op.say(f"4/4 Vault {vault} left soft-deleted (--keep-vault)")
    else:
        op.say(f"4/4 Purging the soft-deleted vault {vault} so that its name is free at once")
        location = settings.location
        try:
            present = False
            for attempt in range(1, timing.purge_checks + 1):  # the deleted vault shows up after a moment
                present = op.azure.deleted_vault_exists(outputs["subscriptionId"], vault, location)
                if present or attempt == timing.purge_checks:
                    break
                op.sleep(timing.purge_wait_seconds)
            if not present:
                op.warn(f"vault {vault} is not among the deleted vaults of {location}: nothing to purge")
            else:
                op.azure.purge_deleted_vault(outputs["subscriptionId"], vault, location)
                report.purged_vault = vault
                op.say(f"vault {vault} purged")
        except AzureOpsError as exc:
            raise OpsFailure(
                f"the stack is destroyed, but the vault was not purged: {exc}. It stays soft-deleted for "
                f"vault.softDeleteRetentionDays; purge it later with `az keyvault purge -n {vault} -l {location}`"
            ) from None
    return report
