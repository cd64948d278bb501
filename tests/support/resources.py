"""Hand-made resources as the program's offline run records them, for the policy pack's tests (a compliant
and a violating one per policy)."""

from __future__ import annotations

from typing import Any

from infra.offline import Resource

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
