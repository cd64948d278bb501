"""What a provider would drop: every input key, at every depth, checked against the provider SDK's own types.

A provider builds its request only from the properties its schema knows and silently drops every other key,
at any depth (pulumi-azure-native builds each ARM request body that way). The Python SDKs carry that schema:
a resource's `<Resource>Args` and every nested `@pulumi.input_type` class declare their properties, with the
wire name `pulumi.getter(name=...)` gives each. `unknown_keys` walks a resource's inputs against them. A
union (an activity, a dataset, a linked service, a copy source...) is resolved by the constant its members
set on their discriminator (`type`, `odata.type`), as the provider resolves it; an `Any` property is sent as
it is, so nothing below it is checked.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import inspect
import types
import typing
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi import _types as pulumi_types  # the SDK's own introspection of @pulumi.input_type classes
from pulumi.runtime.rpc import get_resource_module, get_resource_package

# Resources whose inputs no provider SDK describes: their own code reads them.
OWN_CODE = ("insights:", "pulumi-python:dynamic:")


@dataclass(frozen=True)
class UnknownKey:
    path: str  # where the key is, e.g. `activities[3].ifTrueActivities[0].sourc`
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def args_type(token: str) -> type | None:
    """The SDK's Args type of a resource type token; None for a component or a dynamic resource."""
    if token.startswith(OWN_CODE):
        return None
    if token.startswith("pulumi:providers:"):
        package = get_resource_package(token.removeprefix("pulumi:providers:"), "")
        info = getattr(package, "pkg_info", None)
        fqn, class_name = (info["fqn"], info["class"]) if info else (None, None)
    else:
        package_name, module_name, _ = token.split(":")
        module = get_resource_module(package_name, module_name, "")
        info = getattr(module, "mod_info", None)
        fqn, class_name = (info["fqn"], info["classes"].get(token)) if info else (None, None)
    if not class_name:
        raise LookupError(f"{token}: no installed provider SDK declares this resource type")
    resource = getattr(importlib.import_module(fqn), class_name)
    # The Args class its own module exports (`ActionGroupInitArgs` where a nested type took the plain name).
    module = importlib.import_module(resource.__module__)
    [args] = [getattr(module, name) for name in module.__all__ if name.endswith("Args")]
    assert pulumi_types.is_input_type(args), args
    return args


def unknown_keys(token: str, inputs: dict[str, Any]) -> list[UnknownKey]:
    """Every input key of one resource that its provider's SDK does not know at that position."""
    args = args_type(token)
    return [] if args is None else check(args, inputs)


def check(typ: Any, value: Any) -> list[UnknownKey]:
    """Every key of `value` that the SDK type `typ` (an Args class or an annotation) does not know."""
    found: list[UnknownKey] = []
    _walk(value, typ, "", found)
    return found


def _members(hint: Any) -> list[Any]:
    """The types a value at this position may take: unions flattened, `Input`'s plumbing and None left out."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [member for arg in typing.get_args(hint) for member in _members(arg)]
    if hint is type(None) or typing.is_typeddict(hint):
        return []
    if hint is pulumi.Output or typing.get_origin(hint) in (pulumi.Output, collections.abc.Awaitable):
        return []
    if isinstance(hint, typing.ForwardRef) and hint.__forward_arg__.startswith("Output["):
        return []
    return [hint]


@functools.cache
def constants(cls: type) -> dict[str, Any]:
    """The wire values an input type always sets (its discriminator), read by running its own constructor."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    required = {p.name: None for p in parameters if p.default is inspect.Parameter.empty and p.kind == p.KEYWORD_ONLY}
    instance = cls.__new__(cls)
    cls.__init__(instance, **required)
    return pulumi_types.input_type_to_dict(instance)


def _choose(classes: list[type], value: dict, path: str, found: list[UnknownKey]) -> type | None:
    if len(classes) == 1:
        return classes[0]
    known = [constants(cls) for cls in classes]
    for key in sorted(set.intersection(*(set(k) for k in known))):
        if len({repr(k[key]) for k in known}) != len(classes):
            continue  # not a discriminator: two members share the value
        for cls, consts in zip(classes, known, strict=True):
            if consts[key] == value.get(key):
                return cls
        found.append(UnknownKey(f"{path}.{key}".lstrip("."), f"{value.get(key)!r} names none of the SDK's types here"))
        return None
    found.append(UnknownKey(path, f"no discriminator tells which of {len(classes)} SDK types this is"))
    return None


def _walk(value: Any, hint: Any, path: str, found: list[UnknownKey]) -> None:
    members = _members(hint)
    if not members or Any in members:
        return
    if isinstance(value, dict):
        classes = [m for m in members if pulumi_types.is_input_type(m)]
        maps = [m for m in members if typing.get_origin(m) in (dict, collections.abc.Mapping)]
        if classes:
            cls = _choose(classes, value, path, found)
            if cls is None:
                return
            types = pulumi_types.input_type_types(cls)
            for key, item in value.items():
                where = f"{path}.{key}".lstrip(".")
                if key not in types:
                    found.append(UnknownKey(where, f"not a property of {cls.__name__}: the provider drops it"))
                else:
                    _walk(item, types[key], where, found)
        elif maps:
            item_type = typing.get_args(maps[0])[1] if typing.get_args(maps[0]) else Any
            for key, item in value.items():
                _walk(item, item_type, f"{path}.{key}".lstrip("."), found)
        elif dict not in members:
            found.append(UnknownKey(path, f"an object where the SDK takes {_names(members)}"))
    elif isinstance(value, list):
        sequences = [m for m in members if typing.get_origin(m) in (list, collections.abc.Sequence)]
        if sequences:
            item_type = typing.get_args(sequences[0])[0] if typing.get_args(sequences[0]) else Any
            for index, item in enumerate(value):
                _walk(item, item_type, f"{path}[{index}]", found)
        elif list not in members:
            found.append(UnknownKey(path, f"a list where the SDK takes {_names(members)}"))


def _names(members: list[Any]) -> str:
    return " or ".join(getattr(m, "__name__", str(m)) for m in members)
