"""Fixtures for the policy pack's tests: the program's own resources for dev and prod, under mocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.offline import Run, run_program
from tests.support.stacks import SECRETS, snapshot_artifacts


@pytest.fixture(scope="session")
def program_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_artifacts(tmp_path_factory.mktemp("policy-artifacts"))


@pytest.fixture(scope="session")
def program_runs(program_artifacts: Path) -> dict[str, Run]:
    return {stack: run_program(stack, secrets=SECRETS, artifacts_root=program_artifacts) for stack in ("dev", "prod")}
