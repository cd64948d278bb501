"""Fixtures for the policy pack's tests: the program's own resources for dev and prod, under mocks, and
a small builder for hand-made resources (a compliant and a violating one per policy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.offline import Resource, Run, run_program
from tests.infra.conftest import SECRETS, snapshot_artifacts

SUBSCRIPTION = "/subscriptions/11111111-2222-4333-8444-555555555555"
RG = f"{SUBSCRIPTION}/resourceGroups/rg-test"


def resource(
    typ: str,
    name: str,
    stack: str = "dev",
    resource_id: str = "",
    property_dependencies: dict[str, list[str]] | None = None,
    **inputs: Any,
) -> Resource:
    """A resource as the mocks record it: `inputs` with Azure's camelCase keys."""
    return Resource(
        type=typ,
        name=name,
        urn=f"urn:pulumi:{stack}::customer-insights::{typ}::{name}",
        inputs=inputs,
        wire=inputs,
        parent=f"urn:pulumi:{stack}::customer-insights::pulumi:pulumi:Stack::customer-insights-{stack}",
        dependencies=sorted({u for urns in (property_dependencies or {}).values() for u in urns}),
        provider="",
        id=resource_id,
        property_dependencies=property_dependencies or {},
    )


@pytest.fixture(scope="session")
def program_artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_artifacts(tmp_path_factory.mktemp("policy-artifacts"))


@pytest.fixture(scope="session")
def program_runs(program_artifacts: Path) -> dict[str, Run]:
    return {stack: run_program(stack, secrets=SECRETS, artifacts_root=program_artifacts) for stack in ("dev", "prod")}
