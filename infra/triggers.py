"""The deploy step around `pulumi up`: stop the factory's triggers before, start them after.

azure-native cannot start or stop an ADF trigger, and ADF refuses to update a started one, so:

    pulumi stack output --json -s dev | uv run python -m infra.triggers stop
    pulumi up -s dev
    pulumi stack output --json -s dev | uv run python -m infra.triggers start

`stop` stops every trigger of the stack that is started (a factory or trigger that does not exist
yet, as on the first deploy, is nothing to stop). `start` starts them only where the stack's config
says so (`trigger.enabled`, exported as `triggerEnabled`). Signs in with azure-identity's
DefaultAzureCredential (`az login`, OIDC in CI). `TriggerClient` is the seam the tests replace.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

REQUIRED_OUTPUTS = ("subscriptionId", "resourceGroupName", "factoryName", "triggerNames", "triggerEnabled")


class TriggerClient(Protocol):
    def state(self, name: str) -> str | None:
        """The trigger's runtime state (`Started`, `Stopped`, ...), None if it or the factory is absent."""

    def stop(self, name: str) -> None: ...

    def start(self, name: str) -> None: ...


@dataclass(frozen=True)
class StackTriggers:
    subscription_id: str
    resource_group: str
    factory: str
    names: list[str]
    enabled: bool

    @classmethod
    def from_outputs(cls, outputs: dict[str, Any]) -> StackTriggers:
        missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
        if missing:
            raise SystemExit(f"stack outputs lack {', '.join(missing)}: was the stack deployed with this program?")
        return cls(
            subscription_id=outputs["subscriptionId"],
            resource_group=outputs["resourceGroupName"],
            factory=outputs["factoryName"],
            names=list(outputs["triggerNames"]),
            enabled=bool(outputs["triggerEnabled"]),
        )


class AzureTriggerClient:
    """The real client: azure-mgmt-datafactory."""

    def __init__(self, stack: StackTriggers):
        from azure.identity import DefaultAzureCredential
        from azure.mgmt.datafactory import DataFactoryManagementClient

        self._stack = stack
        self._client = DataFactoryManagementClient(DefaultAzureCredential(), stack.subscription_id)

    def state(self, name: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            trigger = self._client.triggers.get(self._stack.resource_group, self._stack.factory, name)
        except ResourceNotFoundError:
            return None
        return trigger.properties.runtime_state

    def stop(self, name: str) -> None:
        self._client.triggers.begin_stop(self._stack.resource_group, self._stack.factory, name).result()

    def start(self, name: str) -> None:
        self._client.triggers.begin_start(self._stack.resource_group, self._stack.factory, name).result()


class TriggerError(SystemExit):
    """A trigger could not be stopped or started; the message says which and why."""


def stop_triggers(
    stack: StackTriggers,
    client: TriggerClient,
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
            state = client.state(name)
            if state is None:
                say(f"trigger {name}: not deployed yet, nothing to stop")
            elif state == "Started":
                say(f"trigger {name}: stopping")
                client.stop(name)
                for check in range(1, attempts + 1):
                    state = client.state(name)
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
        restore_triggers(stopped, client, say)
        raise
    return stopped


def restore_triggers(names: list[str], client: TriggerClient, say: Callable[[str], None] = print) -> list[str]:
    """Start again the triggers a failed step had stopped (best effort); return the ones still stopped."""
    left = []
    for name in names:
        try:
            say(f"trigger {name}: starting it again, as it was")
            client.start(name)
        except Exception as exc:
            say(f"trigger {name}: could not start it again ({exc}); start it in ADF Studio")
            left.append(name)
    return left


def start_triggers(
    stack: StackTriggers,
    client: TriggerClient,
    say: Callable[[str], None] = print,
    attempts: int = 5,
    wait_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    retry_on: Callable[[Exception], bool] = lambda exc: True,
) -> list[str]:
    """Start each trigger if the stack enables them; retry while ADF still provisions a fresh trigger.

    `retry_on` says which errors are that race (the default retries any); others end the step at once.
    """
    if not stack.enabled:
        say("triggers stay stopped: trigger.enabled is false in this stack's config")
        return []
    started = []
    for name in stack.names:
        if client.state(name) == "Started":
            say(f"trigger {name}: already started")
            continue
        for attempt in range(1, attempts + 1):
            try:
                say(f"trigger {name}: starting")
                client.start(name)
                started.append(name)
                break
            except Exception as exc:  # ADF answers a conflict while the trigger is still provisioning
                if not retry_on(exc):
                    raise
                if attempt == attempts:
                    raise TriggerError(f"trigger {name} did not start after {attempts} attempts: {exc}") from exc
                say(f"trigger {name}: not ready ({exc}); retrying in {wait_seconds:.0f}s")
                sleep(wait_seconds)
    return started


def main(argv: list[str] | None = None, stdin: Any = None) -> int:
    parser = argparse.ArgumentParser(description="Stop or start the factory's triggers around `pulumi up`.")
    parser.add_argument("action", choices=["stop", "start"])
    parser.add_argument("--outputs", help="a file with `pulumi stack output --json` (default: standard input)")
    args = parser.parse_args(argv)
    if args.outputs:
        with open(args.outputs, encoding="utf-8") as handle:
            text = handle.read()
    else:
        text = (stdin or sys.stdin).read()
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SystemExit(f"expected the JSON of `pulumi stack output --json`: {exc}") from exc
    if args.action == "stop" and not outputs:
        print("the stack has no outputs yet (first deploy): no trigger to stop")
        return 0
    stack = StackTriggers.from_outputs(outputs)
    client = AzureTriggerClient(stack)
    if args.action == "stop":
        stop_triggers(stack, client)
    else:
        start_triggers(stack, client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
