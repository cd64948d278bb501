"""Stopping the factory's triggers before `pulumi up` and starting them after, over the one Azure client.

azure-native cannot start or stop an ADF trigger, and ADF refuses to update a started one. `stop_triggers`
stops every started trigger of the stack (a factory or trigger that does not exist yet, as on the first
deploy, is nothing to stop) and, if one will not stop, starts again those it had stopped, so the factory
is left as it was. `start_triggers` starts them only where the stack's config says so (`trigger.enabled`,
exported as `triggerEnabled`), retrying while ADF still provisions a fresh trigger (`BusyError`).
`insights deploy` and `insights destroy` call these, and `insights cloud triggers` does only this step.
Failures are `TriggerError` or the client's `AzureOpsError`; the commands print them as one line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from insights.ops.azure import AzureClient, BusyError, FactoryRef

REQUIRED_OUTPUTS = ("subscriptionId", "resourceGroupName", "factoryName", "triggerNames", "triggerEnabled")


class TriggerError(Exception):
    """A trigger could not be stopped or started; the message says which and why."""


@dataclass(frozen=True)
class StackTriggers:
    factory: FactoryRef
    names: tuple[str, ...]
    enabled: bool

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> StackTriggers | None:
        """The stack's triggers from `pulumi stack output`; None before the first deploy (no factory yet)."""
        if not outputs.get("factoryName"):
            return None
        missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
        if missing:
            raise TriggerError(f"stack outputs lack {', '.join(missing)}: was the stack deployed with this program?")
        factory = FactoryRef(outputs["subscriptionId"], outputs["resourceGroupName"], outputs["factoryName"])
        return cls(factory, tuple(outputs["triggerNames"]), bool(outputs["triggerEnabled"]))


def stop_triggers(
    stack: StackTriggers,
    azure: AzureClient,
    say: Callable[[str], None] = print,
    attempts: int = 3,
    wait_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Stop each started trigger and check that it stopped; return the names stopped.

    A trigger still running after `attempts` checks, or an error from the service, ends the step: the
    triggers it had already stopped are started again, so the factory is left as it was.
    """
    stopped: list[str] = []
    try:
        for name in stack.names:
            state = azure.trigger_state(stack.factory, name)
            if state is None:
                say(f"trigger {name}: not deployed yet, nothing to stop")
            elif state == "Started":
                say(f"trigger {name}: stopping")
                azure.stop_trigger(stack.factory, name)
                for check in range(1, attempts + 1):
                    state = azure.trigger_state(stack.factory, name)
                    if state != "Started":
                        break
                    if check < attempts:
                        sleep(wait_seconds)
                else:
                    raise TriggerError(
                        f"trigger {name} will not stop: still {state} after {attempts} checks "
                        f"{wait_seconds:.0f}s apart (a run it started may be holding it; look in ADF Studio, Monitor)"
                    )
                stopped.append(name)
            else:
                say(f"trigger {name}: already {state.lower()}")
    except BaseException:
        restore_triggers(stack, stopped, azure, say)
        raise
    return stopped


def restore_triggers(
    stack: StackTriggers, names: list[str], azure: AzureClient, say: Callable[[str], None] = print
) -> list[str]:
    """Start again the triggers a failed step had stopped (best effort); return the ones still stopped."""
    left = []
    for name in names:
        try:
            say(f"trigger {name}: starting it again, as it was")
            azure.start_trigger(stack.factory, name)
        except Exception as exc:
            say(f"trigger {name}: could not start it again ({exc}); start it in ADF Studio")
            left.append(name)
    return left


def start_triggers(
    stack: StackTriggers,
    azure: AzureClient,
    say: Callable[[str], None] = print,
    attempts: int = 6,
    wait_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Start each trigger if the stack enables them; retry while ADF still provisions a fresh trigger."""
    if not stack.enabled:
        say("triggers stay stopped: trigger.enabled is false in this stack's config")
        return []
    started = []
    for name in stack.names:
        if azure.trigger_state(stack.factory, name) == "Started":
            say(f"trigger {name}: already started")
            continue
        for attempt in range(1, attempts + 1):
            try:
                say(f"trigger {name}: starting")
                azure.start_trigger(stack.factory, name)
                started.append(name)
                break
            except BusyError as exc:
                if attempt == attempts:
                    raise TriggerError(f"trigger {name} did not start after {attempts} attempts: {exc}") from exc
                say(f"trigger {name}: not ready ({exc}); retrying in {wait_seconds:.0f}s")
                sleep(wait_seconds)
    return started
