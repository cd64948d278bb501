"""The ADF artifacts in `adf_pipelines/` (ADF Studio's Git layout), read and ordered for deployment.

Each file is `{"name": ..., "properties": {...}}` exactly as ADF Studio writes it. The program deploys
them unchanged: the `properties` go on the wire with ADF's own camelCase keys (the union-typed inputs
of pulumi-azure-native are sent as given, so no key is ever rewritten here). This module only reads,
checks the references between artifacts, and orders them: datasets before pipelines, and a pipeline
that another one runs (ExecutePipeline) before the one that runs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Pipeline `properties` keys and the Pipeline resource's Python argument each one maps to. The
# values are passed through untouched (camelCase inside); only the top-level argument name differs.
PIPELINE_PROPERTY_ARGS = {
    "activities": "activities",
    "annotations": "annotations",
    "concurrency": "concurrency",
    "description": "description",
    "folder": "folder",
    "parameters": "parameters",
    "policy": "policy",
    "runDimensions": "run_dimensions",
    "variables": "variables",
}


class ArtifactError(Exception):
    """An ADF artifact file is malformed or references something that does not exist."""


@dataclass(frozen=True)
class Artifact:
    kind: str  # "dataset" or "pipeline"
    name: str
    path: Path
    properties: dict[str, Any]
    references: tuple[str, ...] = field(default=())  # pipelines (for pipelines) it runs


@dataclass(frozen=True)
class Artifacts:
    datasets: list[Artifact]
    pipelines: list[Artifact]  # in dependency order

    def pipeline(self, name: str) -> Artifact:
        for artifact in self.pipelines:
            if artifact.name == name:
                return artifact
        raise KeyError(name)


def _walk(node: Any):
    """Every dict inside a JSON value, depth first, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _references(properties: dict[str, Any], kind: str) -> list[str]:
    return [
        node["referenceName"]
        for node in _walk(properties)
        if node.get("type") == kind and isinstance(node.get("referenceName"), str)
    ]


def _read(path: Path, kind: str) -> Artifact:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ArtifactError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("properties"), dict):
        raise ArtifactError(f"{path}: expected an object with 'name' and 'properties'")
    name = document.get("name")
    if name != path.stem:
        raise ArtifactError(f"{path}: 'name' is {name!r} but ADF's Git layout names the file after it")
    if kind == "pipeline":
        unknown = sorted(set(document["properties"]) - set(PIPELINE_PROPERTY_ARGS))
        if unknown:
            raise ArtifactError(f"{path}: pipeline property {unknown[0]!r} is not one ADF defines")
    return Artifact(kind=kind, name=name, path=path, properties=document["properties"])


def _order_pipelines(pipelines: dict[str, Artifact]) -> list[Artifact]:
    ordered: list[Artifact] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ArtifactError("pipelines run each other in a cycle: " + " -> ".join([*chain, name]))
        state[name] = "visiting"
        for ref in pipelines[name].references:
            visit(ref, [*chain, name])
        state[name] = "done"
        ordered.append(pipelines[name])

    for name in sorted(pipelines):
        visit(name, [])
    return ordered


def load_artifacts(root: Path, linked_services: set[str]) -> Artifacts:
    """Read `root/dataset/*.json` and `root/pipeline/*.json`; check every reference resolves."""
    if not root.is_dir():
        raise ArtifactError(f"{root}: the ADF artifacts folder does not exist")
    datasets = [_read(p, "dataset") for p in sorted((root / "dataset").glob("*.json"))]
    dataset_names = {d.name for d in datasets}
    for dataset in datasets:
        for ref in _references(dataset.properties, "LinkedServiceReference"):
            if ref not in linked_services:
                raise ArtifactError(
                    f"{dataset.path}: linked service {ref!r} is not one the factory defines "
                    f"({', '.join(sorted(linked_services))})"
                )

    raw = [_read(p, "pipeline") for p in sorted((root / "pipeline").glob("*.json"))]
    names = {p.name for p in raw}
    pipelines: dict[str, Artifact] = {}
    for pipeline in raw:
        refs = _references(pipeline.properties, "PipelineReference")
        for ref in refs:
            if ref not in names:
                raise ArtifactError(f"{pipeline.path}: runs pipeline {ref!r}, which has no file")
        for ref in _references(pipeline.properties, "DatasetReference"):
            if ref not in dataset_names:
                raise ArtifactError(f"{pipeline.path}: uses dataset {ref!r}, which has no file")
        for ref in _references(pipeline.properties, "LinkedServiceReference"):
            if ref not in linked_services:
                raise ArtifactError(f"{pipeline.path}: uses linked service {ref!r}, which the factory lacks")
        pipelines[pipeline.name] = Artifact(
            kind="pipeline",
            name=pipeline.name,
            path=pipeline.path,
            properties=pipeline.properties,
            references=tuple(sorted(set(refs))),
        )
    return Artifacts(datasets=datasets, pipelines=_order_pipelines(pipelines))


def pipeline_args(properties: dict[str, Any]) -> dict[str, Any]:
    """The Pipeline resource's keyword arguments for one pipeline's `properties`, values untouched."""
    return {PIPELINE_PROPERTY_ARGS[key]: value for key, value in properties.items()}
