"""A thin wrapper around the Pulumi CLI, for `insights deploy` and `insights destroy`.

The CLI cannot be installed on the build machines (its installers download binaries), so every
command first checks that `pulumi` is on the PATH and says clearly what to do when it is not. `up`
and `destroy` stream the CLI's own output to the operator; the others capture it. `runner` is the seam
the tests replace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.paths import REPO_ROOT

POLICY_PACK = REPO_ROOT / "infra" / "policies"
INSTALL_HINT = (
    "the Pulumi CLI is not installed (no `pulumi` on the PATH): install it from https://www.pulumi.com/docs/install/ "
    "(in CI, pulumi/actions installs it), or use `insights plan --stack S` for an offline preview without it"
)


class PulumiError(Exception):
    """A Pulumi CLI step failed; the message says which and how to go on."""


class PulumiMissingError(PulumiError):
    """The Pulumi CLI is not installed."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str = ""
    stderr: str = ""


Runner = Callable[[Sequence[str], bool, Mapping[str, str]], Completed]


def run_process(args: Sequence[str], capture: bool, env: Mapping[str, str]) -> Completed:
    """Run a command in the repository (where Pulumi.yaml is); capture its output or let it through."""
    done = subprocess.run(list(args), cwd=REPO_ROOT, env=dict(env), capture_output=capture, text=True, check=False)
    return Completed(done.returncode, done.stdout or "", done.stderr or "")


class PulumiCli:
    def __init__(
        self,
        runner: Runner = run_process,
        which: Callable[[str], str | None] = shutil.which,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._runner = runner
        self._which = which
        self._env = dict(os.environ if env is None else env)
        self._env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")

    def set_env(self, **values: str) -> None:
        """Environment for every later command (e.g. ARM_SUBSCRIPTION_ID, so the provider deploys there)."""
        self._env.update(values)

    def _run(self, args: Sequence[str], capture: bool = True) -> Completed:
        if self._which("pulumi") is None:
            raise PulumiMissingError(INSTALL_HINT)
        return self._runner(["pulumi", *args, "--non-interactive"], capture, self._env)

    def version(self) -> str:
        done = self._run(["version"])
        if done.returncode:
            raise PulumiError(f"`pulumi version` failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout.strip()

    def whoami(self) -> str:
        done = self._run(["whoami"])
        if done.returncode:
            raise PulumiError(
                "not logged in to a Pulumi backend: run `pulumi login` (or `pulumi login azblob://...` for a "
                f"self-managed state); pulumi said: {done.stderr.strip() or done.stdout.strip()}"
            )
        return done.stdout.strip()

    def outputs(self, stack: str) -> dict[str, Any]:
        """The stack's outputs (`{}` for a stack never deployed); secrets stay masked."""
        done = self._run(["stack", "output", "--json", "--stack", stack])
        if done.returncode:
            detail = done.stderr.strip() or done.stdout.strip()
            if "no stack named" in detail.lower() or "not found" in detail.lower():
                raise PulumiError(
                    f"stack {stack!r} does not exist in this Pulumi backend: create it once with "
                    f"`pulumi stack init {stack}` and set its secret (docs/runbook.md, new environment)"
                )
            raise PulumiError(f"reading the outputs of stack {stack!r} failed: {detail}")
        try:
            return json.loads(done.stdout or "{}") or {}
        except json.JSONDecodeError as exc:
            raise PulumiError(f"`pulumi stack output --json` did not print JSON: {exc}") from exc

    def up(self, stack: str, policy_pack: Path | None = POLICY_PACK) -> None:
        args = ["up", "--stack", stack, "--yes", "--diff"]
        if policy_pack is not None:
            args += ["--policy-pack", str(policy_pack)]
        done = self._run(args, capture=False)
        if done.returncode:
            raise PulumiError(f"`pulumi up` failed for stack {stack!r} (exit {done.returncode}); its output is above")

    def destroy(self, stack: str) -> None:
        done = self._run(["destroy", "--stack", stack, "--yes"], capture=False)
        if done.returncode:
            raise PulumiError(
                f"`pulumi destroy` failed for stack {stack!r} (exit {done.returncode}); its output is above"
            )
