"""Fixtures for the Pulumi program's tests: the program run offline under Pulumi's mocks.

Each run executes `infra/__main__.py` with the stack's real `Pulumi.<stack>.yaml` against a snapshot of
the artifacts it deploys (`adf_pipelines/`, `databricks_jobs/`, `synapse_views/`), taken once per test
session so that edits made elsewhere while the tests run cannot make two runs differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.offline import Run, run_program
from tests.support.stacks import SECRETS, snapshot_artifacts


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
