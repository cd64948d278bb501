"""Fixtures for the Pulumi program's tests: the program run offline under Pulumi's mocks.

Each run executes `infra/__main__.py` with the stack's real `Pulumi.<stack>.yaml` against a snapshot of
the artifacts it deploys (`adf_pipelines/`, `databricks_jobs/`, `synapse_views/`), taken once per test
session so that edits made elsewhere while the tests run cannot make two runs differ.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.offline import Run, run_program
from infra.paths import REPO_ROOT

# A password with the characters that break naive quoting, to show it only travels as a secret.
SOURCE_PASSWORD = "Src-Pa55'word;--"
SECRETS = {"sourcePassword": SOURCE_PASSWORD}
FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACT_FOLDERS = ("adf_pipelines", "databricks_jobs", "synapse_views")


def snapshot_artifacts(target: Path, synapse_views: Path | None = None) -> Path:
    """Copy the artifacts the program deploys into `target` (caches and build output left out)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")
    for folder in ARTIFACT_FOLDERS:
        source = REPO_ROOT / folder
        if folder == "synapse_views" and synapse_views is not None:
            source = synapse_views
        if source.is_dir():
            shutil.copytree(source, target / folder, ignore=ignore)
    return target


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_artifacts(tmp_path_factory.mktemp("artifacts"))


@pytest.fixture(scope="session")
def dev_run(artifacts: Path) -> Run:
    return run_program("dev", secrets=SECRETS, artifacts_root=artifacts)


@pytest.fixture(scope="session")
def prod_run(artifacts: Path) -> Run:
    return run_program("prod", secrets=SECRETS, artifacts_root=artifacts)


@pytest.fixture(params=["dev", "prod"])
def stack_run(request: pytest.FixtureRequest) -> tuple[str, Run]:
    return request.param, request.getfixturevalue(f"{request.param}_run")
