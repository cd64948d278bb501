"""What changes between two plans of `insights plan` (`--against`): resources added, removed and modified,
each changed input by its path, so that a reviewer sees the effect of a commit or of another stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(item: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf value by its path (`properties.recurrence.schedule.hours[0]`); empty containers are leaves."""
    if isinstance(item, Mapping) and item:
        out: dict[str, Any] = {}
        for key, child in item.items():
            out.update(flatten(child, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(item, list) and item:
        out = {}
        for index, child in enumerate(item):
            out.update(flatten(child, f"{prefix}[{index}]"))
        return out
    return {prefix: item}


def diff_plans(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What `new` adds, removes and modifies compared with `old`, resource by resource."""
    before = {r["key"]: r for r in old["resources"]}
    after = {r["key"]: r for r in new["resources"]}

    def brief(resource: Mapping[str, Any]) -> dict[str, Any]:
        return {"key": resource["key"], "type": resource["type"], "name": resource["name"]}

    modified = []
    for key in sorted(set(before) & set(after)):
        old_props, new_props = flatten(before[key]["properties"]), flatten(after[key]["properties"])
        changes = [
            {"path": path, "old": old_props.get(path), "new": new_props.get(path)}
            for path in sorted(set(old_props) | set(new_props))
            if old_props.get(path, _ABSENT) != new_props.get(path, _ABSENT)
        ]
        old_deps, new_deps = set(before[key]["dependsOn"]), set(after[key]["dependsOn"])
        if changes or old_deps != new_deps:
            modified.append(
                {
                    **brief(after[key]),
                    "changes": changes,
                    "dependenciesAdded": sorted(new_deps - old_deps),
                    "dependenciesRemoved": sorted(old_deps - new_deps),
                }
            )
    added = [brief(after[k]) for k in sorted(set(after) - set(before))]
    removed = [brief(before[k]) for k in sorted(set(before) - set(after))]
    return {
        "from": {"stack": old.get("stack")},
        "to": {"stack": new.get("stack")},
        "added": added,
        "removed": removed,
        "modified": modified,
        "summary": {
            "added": len(added),
            "removed": len(removed),
            "modified": len(modified),
            "unchanged": len(set(before) & set(after)) - len(modified),
        },
    }


_ABSENT = object()
