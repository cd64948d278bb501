"""The deploy step around `pulumi up`: stopping and starting the factory's triggers, tested at the
client seam (azure-mgmt-datafactory is replaced by a fake that records the calls)."""

from __future__ import annotations

import io
import json

import pytest

from infra import triggers
from infra.triggers import StackTriggers, start_triggers, stop_triggers

OUTPUTS = {
    "subscriptionId": "00000000-0000-4000-8000-000000000001",
    "resourceGroupName": "rg-cip-prod-k3x9q",
    "factoryName": "adf-cip-prod-k3x9q",
    "triggerNames": ["tr_daily"],
    "triggerEnabled": True,
}


class FakeClient:
    def __init__(self, states: dict[str, str | None], failures: int = 0):
        self.states = states
        self.failures = failures
        self.calls: list[tuple[str, str]] = []

    def state(self, name: str) -> str | None:
        return self.states.get(name)

    def stop(self, name: str) -> None:
        self.calls.append(("stop", name))
        self.states[name] = "Stopped"

    def start(self, name: str) -> None:
        self.calls.append(("start", name))
        if self.failures:
            self.failures -= 1
            raise RuntimeError("TriggerIsProvisioning")
        self.states[name] = "Started"


def test_stop_stops_only_started_triggers() -> None:
    stack = StackTriggers.from_outputs({**OUTPUTS, "triggerNames": ["tr_daily", "tr_other", "tr_new"]})
    client = FakeClient({"tr_daily": "Started", "tr_other": "Stopped"})
    said: list[str] = []
    assert stop_triggers(stack, client, say=said.append) == ["tr_daily"]
    assert client.calls == [("stop", "tr_daily")]
    assert said == [
        "trigger tr_daily: stopping",
        "trigger tr_other: already stopped",
        "trigger tr_new: not deployed yet, nothing to stop",
    ]


def test_start_follows_the_config_and_retries_while_provisioning() -> None:
    stack = StackTriggers.from_outputs(OUTPUTS)
    client = FakeClient({"tr_daily": "Stopped"}, failures=2)
    waits: list[float] = []
    assert start_triggers(stack, client, say=lambda _: None, sleep=waits.append) == ["tr_daily"]
    assert client.calls == [("start", "tr_daily")] * 3
    assert waits == [10.0, 10.0]


def test_start_gives_up_with_a_clear_message() -> None:
    stack = StackTriggers.from_outputs(OUTPUTS)
    client = FakeClient({"tr_daily": "Stopped"}, failures=99)
    with pytest.raises(SystemExit, match="trigger tr_daily did not start after 3 attempts: TriggerIsProvisioning"):
        start_triggers(stack, client, say=lambda _: None, attempts=3, sleep=lambda _: None)


def test_a_stack_whose_config_disables_the_trigger_leaves_it_stopped() -> None:
    stack = StackTriggers.from_outputs({**OUTPUTS, "triggerEnabled": False})
    client = FakeClient({"tr_daily": "Stopped"})
    said: list[str] = []
    assert start_triggers(stack, client, say=said.append) == []
    assert client.calls == []
    assert said == ["triggers stay stopped: trigger.enabled is false in this stack's config"]


def test_the_command_reads_the_stack_outputs(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    clients: list[FakeClient] = []

    def make(stack: StackTriggers) -> FakeClient:
        assert (stack.resource_group, stack.factory) == ("rg-cip-prod-k3x9q", "adf-cip-prod-k3x9q")
        clients.append(FakeClient({"tr_daily": "Started"}))
        return clients[-1]

    monkeypatch.setattr(triggers, "AzureTriggerClient", make)
    assert triggers.main(["stop"], stdin=io.StringIO(json.dumps(OUTPUTS))) == 0
    assert clients[0].calls == [("stop", "tr_daily")]
    # the first deploy: no outputs yet, nothing to stop
    assert triggers.main(["stop"], stdin=io.StringIO("{}")) == 0
    assert "no trigger to stop" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="stack outputs lack subscriptionId"):
        triggers.main(["start"], stdin=io.StringIO('{"factoryName": "x"}'))


def test_the_stack_exports_what_the_step_needs(dev_run) -> None:
    stack = StackTriggers.from_outputs(dev_run.outputs)
    assert stack.names == ["tr_daily"] and stack.enabled is False
