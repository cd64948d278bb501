"""Fixtures for the operator's commands: an `insights`-like app with the commands registered, stack files
in a scratch folder, and plans made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
import yaml

from infra.paths import REPO_ROOT
from insights.ops.cli import register
from insights.ops.plan import build_plan
from tests.infra.conftest import snapshot_artifacts


@pytest.fixture(scope="session")
def app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """insights (the test's copy)."""

    register(app)
    return app


@pytest.fixture(scope="session")
def ops_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_artifacts(tmp_path_factory.mktemp("ops-artifacts"))


def write_stack(root: Path, stack: str, edit=None, like: str = "dev") -> Path:
    """`Pulumi.<stack>.yaml` in `root`: a copy of the repository's `Pulumi.<like>.yaml`, edited by `edit`."""
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{like}.yaml").read_text(encoding="utf-8"))
    if edit:
        edit(document["config"])
    path = root / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def deployed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stack files as after `pulumi config set --secret sourcePassword`: the secret is stored encrypted."""
    root = tmp_path_factory.mktemp("stacks")
    for stack in ("dev", "prod"):

        def secret(config: dict) -> None:
            config["customer-insights:sourcePassword"] = {"secure": "v1:c2VjcmV0:ZW5jcnlwdGVk"}

        write_stack(root, stack, secret, like=stack)
    shutil.copy(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    return root


@pytest.fixture(scope="session")
def plans(deployed_root: Path, ops_artifacts: Path) -> dict[str, dict]:
    return {stack: build_plan(stack, root=deployed_root, artifacts_root=ops_artifacts) for stack in ("dev", "prod")}
