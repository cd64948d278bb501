"""Fakes at the two seams of the operator's commands (`insights deploy`, `destroy`, `cloud`): the Azure
client layer and the Pulumi CLI's process runner. Both write to one journal; a `World` holds them, and
its `steps()` are what the tests' invariants read (which changes happened, in which order)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from insights.ops.azure import ActivityRunInfo, BusyError, FactoryRef, Metastore, SynapseState
from insights.ops.deploy import Operator, Timing
from insights.ops.pulumi_cli import Completed, PulumiCli
from tests.support.paths import REPO_ROOT

SUBSCRIPTION = "00000000-0000-4000-8000-0000000000aa"
SYNAPSE_IDENTITY = "6b3f0c1e-2d4a-4e8b-9c7d-1a2b3c4d5e6f"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"  # Entra ID's built-in roles


def outputs(stack: str, trigger_enabled: bool) -> dict[str, Any]:
    return {
        "subscriptionId": SUBSCRIPTION,
        "resourceGroupName": f"rg-cip-{stack}-abcde",
        "factoryName": f"adf-cip-{stack}-abcde",
        "triggerNames": ["tr_daily"],
        "triggerEnabled": trigger_enabled,
        "keyVaultName": f"kv-cip-{stack}-abcde",
        "synapseServerlessEndpoint": f"syn-cip-{stack}-abcde-ondemand.sql.azuresynapse.net",
        "synapseDatabase": "insights",
        "synapseWorkspaceName": f"syn-cip-{stack}-abcde",
        "silverJobId": "101",
        "goldJobId": "102",
        "databricksWorkspaceUrl": f"https://adb-{stack}.11.azuredatabricks.net",
        "databricksWorkspaceId": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-cip-{stack}-abcde/providers/"
        f"Microsoft.Databricks/workspaces/dbw-cip-{stack}-abcde",
    }


class FakeAzure:
    def __init__(self, journal: list[tuple], triggers: dict[str, str | None] | None = None) -> None:
        self.journal = journal
        self.triggers = dict(triggers or {})
        self.sign_in_error: Exception | None = None
        self.providers: dict[str, str] = {}
        self.stop_error: dict[str, Exception] = {}
        self.stuck: set[str] = set()  # triggers that stay Started whatever is asked
        self.start_busy = 0  # start fails this many times with the "provisioning" race first
        self.start_error: Exception | None = None
        self.runtime = "Online"
        self.pipeline_statuses = ["Queued", "InProgress", "Succeeded"]
        self.pipeline_message = ""
        self.activities: dict[str, list[ActivityRunInfo]] = {}  # run id -> its activity runs (all ended)
        self.runtime_key = "IR@fake-node-key"
        self.granted: list[dict[str, list[str]]] = [{"actions": ["*"], "notActions": []}]  # Owner
        self.synapse: SynapseState | None = SynapseState(
            "Succeeded", (("office", "203.0.113.0", "203.0.113.255"),), SYNAPSE_IDENTITY
        )
        self.user = False  # signed in as a service principal, as in CI
        self.roles: set[str] | Exception = {DIRECTORY_READERS}  # the Synapse identity's directory roles
        self.metastore: Metastore | None = Metastore("m-1", "metastore_westeurope", "westeurope")
        self.account: list[Metastore] = [Metastore("m-1", "metastore_westeurope", "westeurope")]
        self.jobs = {"101": "insights-silver", "102": "insights-gold"}
        self.rows: list[tuple] = [("2024-01-01", "Bikes", "Road Bikes", "Female", 3, 4200.0, 3, 2, 2)]
        self.deleted_vault_after = 1  # the deleted vault shows up on this check
        self._vault_checks = 0
        self.purge_error: Exception | None = None

    def _log(self, *call: Any) -> None:
        self.journal.append(("azure", *call))

    def check_sign_in(self) -> None:
        self._log("check_sign_in")
        if self.sign_in_error:
            raise self.sign_in_error

    def provider_states(self, subscription_id: str, namespaces: Sequence[str]) -> dict[str, str]:
        self._log("provider_states", subscription_id)
        return {name: self.providers.get(name, "Registered") for name in namespaces}

    def trigger_state(self, factory: FactoryRef, name: str) -> str | None:
        self._log("trigger_state", name)
        return self.triggers.get(name)

    def stop_trigger(self, factory: FactoryRef, name: str) -> None:
        self._log("stop_trigger", name)
        if name in self.stop_error:
            raise self.stop_error[name]
        if name not in self.stuck:
            self.triggers[name] = "Stopped"

    def start_trigger(self, factory: FactoryRef, name: str) -> None:
        self._log("start_trigger", name)
        if self.start_error:
            raise self.start_error
        if self.start_busy:
            self.start_busy -= 1
            raise BusyError(f"starting trigger {name}: Azure is busy with it (Trigger {name} is provisioning)")
        self.triggers[name] = "Started"

    def integration_runtime_state(self, factory: FactoryRef, name: str) -> str | None:
        self._log("integration_runtime_state", name)
        return self.runtime

    def run_pipeline(self, factory: FactoryRef, pipeline: str) -> str:
        self._log("run_pipeline", factory.factory, pipeline)
        return "run-1"

    def pipeline_run(self, factory: FactoryRef, run_id: str) -> tuple[str, str]:
        self._log("pipeline_run", run_id)
        status = self.pipeline_statuses.pop(0) if len(self.pipeline_statuses) > 1 else self.pipeline_statuses[0]
        return status, self.pipeline_message

    def activity_runs(self, factory: FactoryRef, run_id: str) -> list[ActivityRunInfo]:
        self._log("activity_runs", run_id)
        return self.activities.get(run_id, [])

    def runtime_auth_key(self, factory: FactoryRef, name: str) -> str:
        self._log("runtime_auth_key", name)
        return self.runtime_key

    def query(self, server: str, database: str, sql: str) -> list[tuple]:
        self._log("query", server, database, sql)
        return self.rows

    def permissions(self, subscription_id: str) -> list[dict[str, list[str]]]:
        self._log("permissions", subscription_id)
        return self.granted

    def synapse_state(self, subscription_id: str, resource_group: str, workspace: str) -> SynapseState | None:
        self._log("synapse_state", workspace)
        return self.synapse

    def signed_in_as_user(self) -> bool:
        return self.user

    def directory_roles(self, principal_id: str) -> set[str]:
        self._log("directory_roles", principal_id)
        if isinstance(self.roles, Exception):
            raise self.roles
        return self.roles

    def workspace_metastore(self, host: str, resource_id: str) -> Metastore | None:
        self._log("workspace_metastore", host)
        return self.metastore

    def account_metastores(self, account_id: str) -> list[Metastore]:
        self._log("account_metastores", account_id)
        return self.account

    def workspace_jobs(self, host: str, resource_id: str) -> dict[str, str]:
        self._log("workspace_jobs", host)
        return self.jobs

    def deleted_vault_exists(self, subscription_id: str, name: str, location: str) -> bool:
        self._log("deleted_vault_exists", name, location)
        self._vault_checks += 1
        return self._vault_checks >= self.deleted_vault_after

    def purge_deleted_vault(self, subscription_id: str, name: str, location: str) -> None:
        self._log("purge_deleted_vault", name, location)
        if self.purge_error:
            raise self.purge_error


class FakePulumiProcess:
    """Answers `pulumi ...` command lines as the CLI would; `outputs_after_up` is what `up` leaves behind."""

    def __init__(self, journal: list[tuple], before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        self.journal = journal
        self.current = dict(before)
        self.after = dict(after)
        self.logged_in = True
        self.fail: dict[str, int] = {}  # command -> exit code
        self.envs: list[dict[str, str]] = []

    def __call__(self, args: Sequence[str], capture: bool, env: Mapping[str, str]) -> Completed:
        assert args[0] == "pulumi" and args[-1] == "--non-interactive", args
        command = list(args[1:-1])
        self.journal.append(("pulumi", *command))
        self.envs.append(dict(env))
        verb = command[0]
        if verb in self.fail:
            return Completed(self.fail[verb], "", f"error: {verb} failed")
        if verb == "version":
            return Completed(0, "v3.200.0\n")
        if verb == "whoami":
            return Completed(0, "ops-bot\n") if self.logged_in else Completed(255, "", "error: PULUMI_ACCESS_TOKEN")
        if verb == "stack":
            return Completed(0, json.dumps(self.current))
        if verb == "up":
            self.current = dict(self.after)
            return Completed(0)
        if verb == "destroy":
            self.current = {}
            return Completed(0)
        raise AssertionError(f"unexpected pulumi command {command}")


def pulumi(process: FakePulumiProcess, installed: bool = True) -> PulumiCli:
    return PulumiCli(runner=process, which=lambda name: "/usr/bin/pulumi" if installed else None, env={})


POLICY_PACK = str(REPO_ROOT / "infra" / "policies")
# Short waits and few retries, so that a test sees each of them.
TIMING = Timing(trigger_attempts=4, trigger_wait_seconds=2, stop_checks=3, stop_wait_seconds=1, poll_seconds=15)


def up(stack: str) -> tuple:
    """The journal entry of `pulumi up` for `stack`, with the policy pack."""
    return ("pulumi", "up", "--stack", stack, "--yes", "--diff", "--policy-pack", POLICY_PACK)


# What changes the stack or Azure; everything else the fakes answer only reads or checks.
CHANGES = {"stop_trigger", "start_trigger", "up", "destroy", "run_pipeline", "purge_deleted_vault"}


class Clock:
    def __init__(self, step: float = 10.0) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class World:
    """One deploy's outside world: the fakes, the journal, what was said and slept."""

    def __init__(self, stack: str, deployed: bool = True, trigger: str | None = "Started") -> None:
        self.journal: list[tuple] = []
        enabled = stack == "prod"  # as in Pulumi.<stack>.yaml: trigger.enabled
        self.azure = FakeAzure(self.journal, {"tr_daily": trigger} if deployed else {})
        self.process = FakePulumiProcess(
            self.journal, outputs(stack, enabled) if deployed else {}, outputs(stack, enabled)
        )
        self.said: list[str] = []
        self.warned: list[str] = []
        self.slept: list[float] = []
        self.installed = True
        self.env: dict[str, str] = {} if deployed else {"ARM_SUBSCRIPTION_ID": SUBSCRIPTION}

    def operator(self) -> Operator:
        return Operator(
            azure=self.azure,
            pulumi=pulumi(self.process, self.installed),
            say=self.said.append,
            warn=self.warned.append,
            sleep=self.slept.append,
            clock=Clock(),
            env=self.env,
        )

    def calls(self, source: str | None = None) -> list[tuple]:
        return [c for c in self.journal if source is None or c[0] == source]

    def changes(self) -> list[tuple]:
        """The calls that change the stack or Azure, in order (reads and checks left out)."""
        return [c for c in self.journal if c[1] in CHANGES]

    def steps(self) -> list[str]:
        """`changes()` by kind, a repeat of the same kind counted once: ["stop_trigger", "up", "start_trigger"]."""
        kinds = [c[1] for c in self.changes()]
        return [kind for i, kind in enumerate(kinds) if i == 0 or kinds[i - 1] != kind]
