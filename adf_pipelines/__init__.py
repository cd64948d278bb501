"""The ADF artifacts as ADF Studio's Git integration stores them (`pipeline/`, `dataset/`: one JSON file per
object), and their one loader, shared by the local executor and `infra/`.

The loader refuses what neither platform could run: a file that is not `{"name": <file name>, "properties":
{...}}`, a reference to a pipeline or dataset that has no file, pipelines that run each other in a cycle.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADF_PIPELINES = Path(__file__).resolve().parent
# The pipeline the daily trigger (and `insights run`) starts, and the one it runs for each table.
MASTER_PIPELINE = "pl_daily_master"
EXTRACT_PIPELINE = "pl_extract_table"
# The linked services the datasets and pipelines refer to: each platform binds them (in Azure
# `infra/factory.py`, on one machine `insights/local/pipeline.py`).
LS_SOURCE = "ls_sqlserver_source"
LS_LAKE = "ls_lake"
LS_KEYVAULT = "ls_keyvault"
LS_DATABRICKS = "ls_databricks"
LINKED_SERVICES = {LS_SOURCE, LS_LAKE, LS_KEYVAULT, LS_DATABRICKS}


class FactoryError(ValueError):
    """A pipeline or dataset is missing or malformed."""


def references(value: Any, kind: str) -> Iterator[str]:
    """The `referenceName` of every `{"referenceName": ..., "type": kind}` inside a JSON value, in document order."""
    if isinstance(value, dict):
        if value.get("type") == kind and isinstance(value.get("referenceName"), str):
            yield value["referenceName"]
        for item in value.values():
            yield from references(item, kind)
    elif isinstance(value, list):
        for item in value:
            yield from references(item, kind)


@dataclass(frozen=True)
class Factory:
    """Pipelines and datasets by name, plus the factory's global parameters."""

    pipelines: dict[str, dict]
    datasets: dict[str, dict]
    global_parameters: dict[str, object] = field(default_factory=dict)

    def pipeline(self, name: str) -> dict:
        try:
            return self.pipelines[name]["properties"]
        except KeyError:
            raise FactoryError(f"pipeline {name!r} not found (have: {', '.join(sorted(self.pipelines))})") from None

    def dataset(self, name: str) -> dict:
        try:
            return self.datasets[name]["properties"]
        except KeyError:
            raise FactoryError(f"dataset {name!r} not found (have: {', '.join(sorted(self.datasets))})") from None

    def runs(self, name: str) -> list[str]:
        """The pipelines that pipeline `name` runs (ExecutePipeline), sorted."""
        return sorted(set(references(self.pipeline(name), "PipelineReference")))

    def call_order(self) -> list[str]:
        """Every pipeline, each after the pipelines it runs (the order to deploy them in)."""
        ordered: list[str] = []
        visiting: list[str] = []

        def visit(name: str) -> None:
            if name in ordered:
                return
            if name in visiting:
                cycle = [*visiting[visiting.index(name) :], name]
                raise FactoryError("pipelines run each other in a cycle: " + " -> ".join(cycle))
            visiting.append(name)
            for called in self.runs(name):
                visit(called)
            visiting.pop()
            ordered.append(name)

        for name in sorted(self.pipelines):
            visit(name)
        return ordered

    def linked_service_users(self) -> dict[str, list[str]]:
        """Each linked service the artifacts reference, and the files (`dataset/<name>.json`, ...) that do."""
        users: dict[str, list[str]] = {}
        for folder, documents in (("dataset", self.datasets), ("pipeline", self.pipelines)):
            for name, document in sorted(documents.items()):
                for service in dict.fromkeys(references(document["properties"], "LinkedServiceReference")):
                    users.setdefault(service, []).append(f"{folder}/{name}.json")
        return users


def _load_folder(folder: Path) -> dict[str, dict]:
    objects: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise FactoryError(f"{path}: not valid JSON ({error})") from None
        if not isinstance(document, dict) or not isinstance(document.get("properties"), dict):
            raise FactoryError(f"{path}: expected {{'name': '{path.stem}', 'properties': {{...}}}}")
        if document.get("name") != path.stem:
            raise FactoryError(
                f"{path}: 'name' is {document.get('name')!r} but ADF's Git layout names the file after it"
            )
        objects[path.stem] = document
    return objects


def load_factory(root: Path = ADF_PIPELINES, global_parameters: dict[str, object] | None = None) -> Factory:
    """Read `pipeline/` and `dataset/` under root, ADF's Git layout, and check the references between them."""
    if not root.is_dir():
        raise FactoryError(f"{root}: the ADF artifacts folder does not exist")
    factory = Factory(
        pipelines=_load_folder(root / "pipeline"),
        datasets=_load_folder(root / "dataset"),
        global_parameters=dict(global_parameters or {}),
    )
    for name, document in factory.pipelines.items():
        path = root / "pipeline" / f"{name}.json"
        for called in references(document["properties"], "PipelineReference"):
            if called not in factory.pipelines:
                raise FactoryError(f"{path}: runs pipeline {called!r}, which has no file")
        for dataset in references(document["properties"], "DatasetReference"):
            if dataset not in factory.datasets:
                raise FactoryError(f"{path}: uses dataset {dataset!r}, which has no file")
    factory.call_order()  # refuses a cycle
    return factory
