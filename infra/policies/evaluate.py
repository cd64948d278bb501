"""Run the policy pack's policies offline, over resources the program declared under Pulumi's mocks.

The policies get what the Pulumi engine would hand the pack: `ResourceValidationArgs` per resource (its
inputs, secrets unwrapped, behind pulumi-policy's unknown-checking proxy) and one `StackValidationArgs`
with every resource, its parent, dependencies and property dependencies. Nothing starts a server.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from infra.offline import Resource
from infra.policies.baseline import APPLIES_TO, POLICIES


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str | None = None
    name: str | None = None


@dataclass
class PolicyResult:
    policy: str
    description: str
    enforcement: str  # mandatory | advisory | disabled
    checked: int  # resources of the types the policy looks at
    violations: list[Violation] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "description": self.description,
            "enforcement": self.enforcement,
            "checked": self.checked,
            "passed": self.passed,
            "violations": [{"message": v.message, "resource": v.name, "urn": v.urn} for v in self.violations],
        }


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], resource.parent or None)


def _props(resource: Resource, with_id: bool) -> Any:
    props = dict(resource.inputs)
    if with_id and resource.id:
        props.setdefault("id", resource.id)
    return unknown_checking_proxy(props)


def _run(result: Any) -> None:
    if inspect.isawaitable(result):
        asyncio.run(_await(result))


async def _await(result: Any) -> None:
    await result


def _level(policy: Policy) -> EnforcementLevel:
    return policy.enforcement_level or EnforcementLevel.ADVISORY


def _default_config(policy: Policy) -> dict[str, Any]:
    schema = policy.config_schema
    if schema is None:
        return {}
    return {key: spec["default"] for key, spec in schema.properties.items() if "default" in spec}


def evaluate(
    resources: Iterable[Resource],
    policies: Iterable[Policy] = POLICIES,
    config: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[PolicyResult]:
    """Each policy's result over `resources` (components are skipped, as the engine skips them)."""
    resources = [r for r in resources if not r.type.startswith("insights:")]
    results = []
    for policy in policies:
        level = _level(policy)
        settings = {**_default_config(policy), **((config or {}).get(policy.name) or {})}
        types = APPLIES_TO.get(policy.name)
        checked = sum(1 for r in resources if types is None or r.type in types)
        result = PolicyResult(policy.name, policy.description, level.value, checked)
        results.append(result)
        if level == EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            _check_resources(policy, resources, settings, result)
        elif isinstance(policy, StackValidationPolicy):
            _check_stack(policy, resources, settings, result)
    return results


def _check_resources(
    policy: ResourceValidationPolicy, resources: list[Resource], settings: dict[str, Any], result: PolicyResult
) -> None:
    for resource in resources:

        def report(message: str, _urn: str | None = None, resource: Resource = resource) -> None:
            result.violations.append(Violation(policy.name, message, resource.urn, resource.name))

        args = ResourceValidationArgs(
            resource.type, _props(resource, False), resource.urn, resource.name, _options(resource), None, settings
        )
        _run(policy.validate(args, report))


def _check_stack(
    policy: StackValidationPolicy, resources: list[Resource], settings: dict[str, Any], result: PolicyResult
) -> None:
    stack = {
        r.urn: PolicyResource(r.type, _props(r, True), r.urn, r.name, _options(r), None, None, [], {})
        for r in resources
    }
    for r in resources:
        policy_resource = stack[r.urn]
        policy_resource.parent = stack.get(r.parent)
        policy_resource.dependencies = [stack[urn] for urn in r.dependencies if urn in stack]
        policy_resource.property_dependencies = {
            key: [stack[urn] for urn in urns if urn in stack] for key, urns in r.property_dependencies.items()
        }
    names = {r.urn: r.name for r in resources}

    def report(message: str, urn: str | None = None) -> None:
        result.violations.append(Violation(policy.name, message, urn, names.get(urn) if urn else None))

    _run(policy.validate(StackValidationArgs(list(stack.values()), settings), report))


def mandatory_violations(results: Iterable[PolicyResult]) -> list[Violation]:
    return [v for r in results if r.enforcement == EnforcementLevel.MANDATORY.value for v in r.violations]
