"""What to install when a command meets a module it does not have.

The wheel's core runs the local platform; the Azure side and the dashboard are extras (`[azure]`,
`[dashboard]`). Their modules are imported inside the commands that need them, so a missing one shows
up as a `ModuleNotFoundError` when such a command starts: `missing_module_message` turns it into one
line that names the extra, read from the installed package's own metadata rather than from a copy of it.
"""

from __future__ import annotations

import re
from importlib import metadata, util

DISTRIBUTION = "customer-insights"
# `dash>=3; extra == "dashboard"`: the requirement's name and its extra.
_EXTRA_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*).*;.*\bextra\s*==\s*['\"]([^'\"]+)['\"]")
# Packages of the repository that the wheel does not ship: they need a checkout.
CHECKOUT_ONLY = {"infra"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def extra_providing(module: str) -> str | None:
    """The extra whose requirements provide `module` (by the import name a distribution's name gives:
    `pulumi-azure-native` -> `pulumi_azure_native`, `azure-identity` -> `azure`), None for another module."""
    top = _normal(module.split(".")[0])
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        found = _EXTRA_REQUIREMENT.match(requirement)
        if found and top in {_normal(found[1]), _normal(found[1]).split("_")[0]}:
            return found[2]
    return None


def ensure_installed(module: str) -> None:
    """Raise the `ModuleNotFoundError` that importing `module` would, without importing it (a cheap early check)."""
    if util.find_spec(module) is None:
        raise ModuleNotFoundError(f"No module named {module!r}", name=module)


def missing_module_message(error: ModuleNotFoundError, command: str) -> str | None:
    """One line saying what to install for `command`, or None when the module is not an optional one."""
    module = error.name or ""
    if module.split(".")[0] in CHECKOUT_ONLY:
        return (
            f"`{command}` runs the Pulumi program in infra/, which only a checkout of the repository has: "
            "run it there with the [azure] extra (`uv sync --extra azure`, then `uv run insights ...`)"
        )
    extra = extra_providing(module)
    if extra is None:
        return None
    return f"`{command}` needs the [{extra}] extra ({module} is not installed): pip install '{DISTRIBUTION}[{extra}]'"
