"""Stopping and starting the factory's triggers, once, over the Azure client protocol (a fake of the client:
the real thing is the Azure cloud). Failures are plain exceptions; the commands print them as one line."""

from __future__ import annotations

import pytest

from insights.ops.azure import AzureOpsError
from insights.ops.triggers import StackTriggers, TriggerError, start_triggers, stop_triggers
from tests.support.fake_azure import FakeAzure, outputs


def stack(trigger_enabled: bool = True, names: list[str] | None = None) -> StackTriggers:
    found = StackTriggers.from_outputs({**outputs("prod", trigger_enabled), "triggerNames": names or ["tr_daily"]})
    assert found is not None
    return found


def calls(journal: list[tuple], *verbs: str) -> list[tuple]:
    return [call[1:] for call in journal if call[1] in verbs]


def test_stop_stops_only_started_triggers() -> None:
    journal: list[tuple] = []
    azure = FakeAzure(journal, {"tr_daily": "Started", "tr_other": "Stopped"})
    said: list[str] = []
    assert stop_triggers(stack(names=["tr_daily", "tr_other", "tr_new"]), azure, said.append) == ["tr_daily"]
    assert calls(journal, "stop_trigger", "start_trigger") == [("stop_trigger", "tr_daily")]
    assert said == [
        "trigger tr_daily: stopping",
        "trigger tr_other: already stopped",
        "trigger tr_new: not deployed yet, nothing to stop",
    ]


def test_a_trigger_that_will_not_stop_leaves_the_factory_as_it_was() -> None:
    journal: list[tuple] = []
    azure = FakeAzure(journal, {"tr_a": "Started", "tr_b": "Started"})
    azure.stuck.add("tr_b")
    waits: list[float] = []
    with pytest.raises(TriggerError, match="trigger tr_b will not stop: still Started after 3 checks") as caught:
        stop_triggers(stack(names=["tr_a", "tr_b"]), azure, lambda _: None, sleep=waits.append)
    assert not isinstance(caught.value, SystemExit)
    assert azure.triggers == {"tr_a": "Started", "tr_b": "Started"}
    assert waits == [5.0, 5.0]


def test_an_azure_error_while_stopping_restarts_what_was_stopped_and_is_raised_as_is() -> None:
    journal: list[tuple] = []
    azure = FakeAzure(journal, {"tr_a": "Started", "tr_b": "Started"})
    azure.stop_error["tr_b"] = AzureOpsError("stopping trigger tr_b: refused")
    with pytest.raises(AzureOpsError, match="refused"):
        stop_triggers(stack(names=["tr_a", "tr_b"]), azure, lambda _: None)
    assert azure.triggers["tr_a"] == "Started"


def test_start_follows_the_config_and_retries_while_provisioning() -> None:
    journal: list[tuple] = []
    azure = FakeAzure(journal, {"tr_daily": "Stopped"})
    azure.start_busy = 2
    waits: list[float] = []
    assert start_triggers(stack(), azure, lambda _: None, sleep=waits.append) == ["tr_daily"]
    assert calls(journal, "start_trigger") == [("start_trigger", "tr_daily")] * 3
    assert waits == [10.0, 10.0]


def test_start_gives_up_with_a_clear_message() -> None:
    azure = FakeAzure([], {"tr_daily": "Stopped"})
    azure.start_busy = 99
    with pytest.raises(TriggerError, match="trigger tr_daily did not start after 3 attempts: starting trigger"):
        start_triggers(stack(), azure, lambda _: None, attempts=3, sleep=lambda _: None)


def test_an_error_other_than_busy_ends_the_start_at_once() -> None:
    journal: list[tuple] = []
    azure = FakeAzure(journal, {"tr_daily": "Stopped"})
    azure.start_error = AzureOpsError("starting trigger tr_daily: the signed-in identity lacks permission")
    with pytest.raises(AzureOpsError, match="lacks permission"):
        start_triggers(stack(), azure, lambda _: None, sleep=lambda _: None)
    assert calls(journal, "start_trigger") == [("start_trigger", "tr_daily")]


def test_a_stack_whose_config_disables_the_trigger_leaves_it_stopped() -> None:
    journal: list[tuple] = []
    said: list[str] = []
    assert start_triggers(stack(trigger_enabled=False), FakeAzure(journal, {"tr_daily": "Stopped"}), said.append) == []
    assert calls(journal, "start_trigger") == []
    assert said == ["triggers stay stopped: trigger.enabled is false in this stack's config"]


def test_outputs_before_the_first_deploy_and_of_an_older_program() -> None:
    assert StackTriggers.from_outputs({}) is None
    with pytest.raises(TriggerError, match="stack outputs lack subscriptionId"):
        StackTriggers.from_outputs({"factoryName": "x"})


def test_the_program_exports_what_the_step_needs(plans) -> None:
    for name, plan in plans.items():
        triggers = StackTriggers.from_outputs(plan["outputs"])
        assert triggers is not None and triggers.names == ("tr_daily",)
        assert triggers.enabled is (name == "prod")
