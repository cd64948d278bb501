"""The Power BI step of `insights deploy`: publish `powerbi/` (semantic model, then report) with fabric-cicd.

The stack names its Power BI (Fabric) workspace in `powerbi.workspaceId`; a stack without it publishes
nothing. Each deploy writes fabric-cicd's parameter file for its stack: `find_replace` entries that set
the model's two parameters, `SynapseServer` and `SynapseDatabase` (`expressions.tmdl`), to the stack's
outputs. The server's name carries the stack's random suffix, so it is known only once the stack exists,
which is why the file is written from the outputs rather than kept in the repository.

No credential is in any file: fabric-cicd calls the Fabric REST API with the deploy's Entra token
(`insights.credential`), and the published model reads Synapse as each viewer (docs/power-bi.md).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.paths import REPO_ROOT
from infra.settings import Settings

ROOT = REPO_ROOT / "powerbi"
ITEM_TYPES = ("SemanticModel", "Report")  # a report is bound to a model, so models go first
# The model's parameters (expressions.tmdl) and the stack output each one takes.
PARAMETERS = {"SynapseServer": "synapseServerlessEndpoint", "SynapseDatabase": "synapseDatabase"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PowerBiError(Exception):
    """`powerbi/` cannot be published as it is; the message says why."""


@dataclass(frozen=True)
class Item:
    """One Fabric item of `powerbi/`: a folder with a `.platform` file, as fabric-cicd finds it."""

    type: str
    name: str
    folder: str


def project_items(root: Path = ROOT) -> list[Item]:
    """The items fabric-cicd would publish from `root`, in its order (models before reports)."""
    items = []
    for platform in sorted(root.glob("*/.platform")):
        metadata = json.loads(platform.read_text(encoding="utf-8")).get("metadata", {})
        items.append(Item(str(metadata.get("type")), str(metadata.get("displayName")), platform.parent.name))
    if not items:
        raise PowerBiError(f"{root} holds no Power BI item (a folder with a .platform file)")
    unknown = [f"{item.folder} ({item.type})" for item in items if item.type not in ITEM_TYPES]
    if unknown:
        raise PowerBiError(f"{root}: only {' and '.join(ITEM_TYPES)} items are published, not {', '.join(unknown)}")
    return sorted(items, key=lambda item: (ITEM_TYPES.index(item.type), item.name))


def parameter_values(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Each model parameter's value for this stack, from its outputs."""
    missing = [output for output in PARAMETERS.values() if not outputs.get(output)]
    if missing:
        raise PowerBiError(f"the stack exports no {', '.join(missing)}: the model would not know its Synapse endpoint")
    return {name: str(outputs[output]) for name, output in PARAMETERS.items()}


def parameter_file(environment: str, values: Mapping[str, str]) -> dict[str, Any]:
    """fabric-cicd's parameter.yml for one environment: a `find_replace` per model parameter.

    The regular expression's one group is the parameter's value in `expression <name> = "<value>" meta [...]`.
    """
    return {
        "find_replace": [
            {
                "find_value": rf'expression\s+{name}\s*=\s*"([^"]*)"',
                "replace_value": {environment: value},
                "is_regex": "true",
                "item_type": "SemanticModel",
            }
            for name, value in values.items()
        ]
    }


def publish_plan(settings: Settings, environment: str, outputs: Mapping[str, Any], root: Path = ROOT) -> dict | None:
    """What the deploy would publish, for `insights plan`; None when the stack names no workspace."""
    if settings.powerbi is None:
        return None
    return {
        "workspaceId": settings.powerbi.workspace_id,
        "environment": environment,
        "items": [asdict(item) for item in project_items(root)],
        "parameters": parameter_values(outputs),
    }


def describe_plan(plan: Mapping[str, Any] | None, stack: str) -> list[str]:
    """The plan's Power BI section as lines for people."""
    if plan is None:
        return [f"Power BI: Pulumi.{stack}.yaml names no workspace (powerbi.workspaceId): nothing is published"]
    items = ", ".join(f"{item['type']} {item['name']}" for item in plan["items"])
    values = ", ".join(f"{name}={value}" for name, value in plan["parameters"].items())
    return [f"Power BI: would publish {items} to workspace {plan['workspaceId']} with {values}"]


def deploy_step(
    step: str,
    stack: str,
    settings: Settings,
    outputs: Mapping[str, Any],
    credential: Callable[[], Any],
    say: Callable[[str], None],
) -> str:
    """`insights deploy`'s Power BI step: publish, or say in one line that the stack names no workspace.

    `stack` is fabric-cicd's environment (the parameter file's key); `credential` makes the Entra credential.
    Returns the deploy report's summary of the step.
    """
    if settings.powerbi is None:
        say(f"{step} Power BI report not published: Pulumi.{stack}.yaml names no workspace (powerbi.workspaceId)")
        return "not published (no workspace)"
    say(f"{step} Publishing powerbi/ to Power BI workspace {settings.powerbi.workspace_id} with fabric-cicd")
    items = publish(settings, stack, outputs, credential(), say)
    return "published " + ", ".join(f"{item.type} {item.name}" for item in items)


def publish(
    settings: Settings,
    environment: str,
    outputs: Mapping[str, Any],
    credential: Any,
    say: Callable[[str], None],
    root: Path = ROOT,
) -> list[Item]:
    """Publish `root`'s items to the stack's workspace with fabric-cicd; the items published."""
    if settings.powerbi is None:
        raise PowerBiError("the stack names no Power BI workspace (powerbi.workspaceId)")
    workspace_id = settings.powerbi.workspace_id
    items = project_items(root)
    values = parameter_values(outputs)
    with tempfile.TemporaryDirectory(prefix="insights-powerbi-") as scratch, _fabric_cicd(say) as fabric:
        parameters = Path(scratch) / "parameter.yml"
        parameters.write_text(yaml.safe_dump(parameter_file(environment, values), sort_keys=False), encoding="utf-8")
        try:
            workspace = fabric.FabricWorkspace(
                workspace_id=workspace_id,
                repository_directory=str(root),
                item_type_in_scope=list(ITEM_TYPES),
                environment=environment,
                token_credential=credential,
                parameter_file_path=str(parameters),
            )
            fabric.publish_all_items(workspace)
        except Exception as exc:  # fabric-cicd's errors, and a refused sign-in from the credential
            text = " ".join(str(exc).split())[:500] or type(exc).__name__
            raise PowerBiError(f"publishing to Power BI workspace {workspace_id} failed: {text}") from exc
    return items


class _Say(logging.Handler):
    """fabric-cicd's log records as progress lines (its banner lines of `#` left out)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self._say = say

    def emit(self, record: logging.LogRecord) -> None:
        text = _ANSI.sub("", record.getMessage()).strip()
        if text and not text.startswith("#"):
            self._say(
                f"  fabric-cicd: {text}" if record.levelno < logging.WARNING else f"  fabric-cicd warning: {text}"
            )


@contextmanager
def _fabric_cicd(say: Callable[[str], None]) -> Iterator[Any]:
    """The fabric_cicd module, its progress sent to `say`.

    Importing it installs a console handler, lowers the root logger to ERROR and replaces `sys.excepthook`;
    the last two are put back, and its log goes through `say` like every other step's progress.
    """
    hook, level = sys.excepthook, logging.getLogger().level
    import fabric_cicd

    sys.excepthook = hook
    logging.getLogger().setLevel(level)
    logger = logging.getLogger("fabric_cicd")
    handlers, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [_Say(say)], False
    try:
        yield fabric_cicd
    finally:
        logger.handlers, logger.propagate = handlers, propagate
