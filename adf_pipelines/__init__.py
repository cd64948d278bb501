"""The ADF artifacts as ADF Studio's Git integration stores them (`pipeline/`, `dataset/`: one JSON file per
object), and their one loader, shared by the local executor and `infra/`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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


def _load_folder(folder: Path) -> dict[str, dict]:
    objects: dict[str, dict] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise FactoryError(f"{path}: not valid JSON ({error})") from None
        name = document.get("name")
        if name != path.stem or "properties" not in document:
            raise FactoryError(f"{path}: expected {{'name': '{path.stem}', 'properties': {{...}}}}")
        objects[name] = document
    return objects


def load_factory(root: Path = ADF_PIPELINES, global_parameters: dict[str, object] | None = None) -> Factory:
    """Read `pipeline/` and `dataset/` under root, ADF's Git layout."""
    return Factory(
        pipelines=_load_folder(root / "pipeline"),
        datasets=_load_folder(root / "dataset"),
        global_parameters=dict(global_parameters or {}),
    )
