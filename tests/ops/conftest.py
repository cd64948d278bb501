"""Fixtures for the operator's commands: an `insights`-like app with the commands registered, stack files
in a scratch folder, and plans made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer

from insights.ops.cli import register
from insights.ops.plan import build_plan
from tests.support.paths import REPO_ROOT
from tests.support.stacks import ENCRYPTED, snapshot_artifacts, write_stack


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


@pytest.fixture(scope="session")
def deployed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stack files as after `pulumi config set --secret sourcePassword`: the secret is stored encrypted."""
    root = tmp_path_factory.mktemp("stacks")
    for stack in ("dev", "prod"):

        def secret(config: dict) -> None:
            config["customer-insights:sourcePassword"] = ENCRYPTED

        write_stack(root, stack, secret, like=stack)
    shutil.copy(REPO_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    return root


@pytest.fixture(scope="session")
def plans(deployed_root: Path, ops_artifacts: Path) -> dict[str, dict]:
    return {stack: build_plan(stack, root=deployed_root, artifacts_root=ops_artifacts) for stack in ("dev", "prod")}
