"""ADF payloads on the wire: ADF's camelCase keys, and the pipelines and datasets of adf_pipelines/
deployed exactly as their JSON files say, in dependency order."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from adf_pipelines import LINKED_SERVICES
from infra.adf_artifacts import ArtifactError, load_artifacts
from infra.offline import Run

SCOPE_INPUTS = {"factoryName", "resourceGroupName"}
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")


def files(artifacts: Path, kind: str) -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((artifacts / "adf_pipelines" / kind).glob("*.json"))
    }


def keys(value: Any, path: str = ""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from keys(item, f"{path}[{index}]")


def test_the_real_artifacts_are_deployed(artifacts: Path) -> None:
    assert {"pl_daily_master", "pl_extract_table"} <= set(files(artifacts, "pipeline"))
    assert {"ds_source_query", "ds_bronze_parquet", "ds_control_json"} <= set(files(artifacts, "dataset"))


def test_datasets_on_the_wire_equal_their_files(stack_run: tuple[str, Run], artifacts: Path) -> None:
    _, run = stack_run
    deployed = {d.inputs["datasetName"]: d.inputs for d in run.of_type("azure-native:datafactory:Dataset")}
    expected = files(artifacts, "dataset")
    assert set(deployed) == set(expected)
    for name, document in expected.items():
        assert set(deployed[name]) == {"datasetName", "properties"} | SCOPE_INPUTS
        assert deployed[name]["properties"] == document["properties"], name


def test_pipelines_on_the_wire_equal_their_files(stack_run: tuple[str, Run], artifacts: Path) -> None:
    _, run = stack_run
    deployed = {p.inputs["pipelineName"]: p.inputs for p in run.of_type("azure-native:datafactory:Pipeline")}
    expected = files(artifacts, "pipeline")
    assert set(deployed) == set(expected)
    for name, document in expected.items():
        properties = {k: v for k, v in deployed[name].items() if k not in SCOPE_INPUTS | {"pipelineName"}}
        assert properties == document["properties"], name


def test_datasets_before_pipelines_and_called_pipelines_first(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    order = [r.name for r in run.resources if r.type.startswith("azure-native:datafactory:")]
    datasets = [i for i, n in enumerate(order) if n.startswith("factory-ds_")]
    pipelines = [i for i, n in enumerate(order) if n.startswith("factory-pl_")]
    assert max(datasets) < min(pipelines)
    assert order.index("factory-pl_extract_table") < order.index("factory-pl_daily_master")
    master = run.one("azure-native:datafactory:Pipeline", "factory-pl_daily_master")
    extract = run.one("azure-native:datafactory:Pipeline", "factory-pl_extract_table")
    assert extract.urn in master.dependencies
    for dataset in run.of_type("azure-native:datafactory:Dataset"):
        assert dataset.urn in extract.dependencies
        linked = {r.urn for r in run.of_type("azure-native:datafactory:LinkedService")}
        assert linked <= set(dataset.dependencies)
    trigger = run.one("azure-native:datafactory:Trigger")
    assert master.urn in trigger.dependencies


def test_linked_services_and_trigger_use_adf_camel_case_keys(stack_run: tuple[str, Run]) -> None:
    """The pitfall: a snake_case key in a union-typed input would reach Azure as is and be dropped there."""
    _, run = stack_run
    payloads = [
        *run.of_type("azure-native:datafactory:LinkedService"),
        *run.of_type("azure-native:datafactory:Trigger"),
        *run.of_type("azure-native:datafactory:IntegrationRuntime"),
        *run.of_type("azure-native:datafactory:Factory"),
    ]
    for resource in payloads:
        for where, key in keys(resource.inputs):
            if where.startswith(".tags."):
                continue  # Azure tags, not ADF payload
            assert CAMEL.match(key), f"{resource.name}: key {where} is not ADF's camelCase"
    names = {r.inputs["linkedServiceName"] for r in run.of_type("azure-native:datafactory:LinkedService")}
    assert names == LINKED_SERVICES == {"ls_sqlserver_source", "ls_lake", "ls_keyvault", "ls_databricks"}
    types = {
        r.inputs["linkedServiceName"]: r.inputs["properties"]["type"]
        for r in payloads
        if "linkedServiceName" in r.inputs
    }
    assert types == {
        "ls_sqlserver_source": "SqlServer",
        "ls_lake": "AzureBlobFS",
        "ls_keyvault": "AzureKeyVault",
        "ls_databricks": "AzureDatabricks",
    }


# --- the checks made while reading the artifacts -------------------------------------------------


@pytest.fixture
def adf_copy(artifacts: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(artifacts / "adf_pipelines", tmp_path / "adf_pipelines"))


def rewrite(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_a_reference_to_a_missing_dataset_names_the_file(adf_copy: Path) -> None:
    (adf_copy / "dataset" / "ds_control_json.json").unlink()
    with pytest.raises(ArtifactError, match=r"pl_\w+\.json: uses dataset 'ds_control_json', which has no file"):
        load_artifacts(adf_copy, LINKED_SERVICES)


def test_an_unknown_linked_service_names_the_file(adf_copy: Path) -> None:
    rewrite(adf_copy / "dataset" / "ds_bronze_parquet.json",
            lambda d: d["properties"]["linkedServiceName"].update(referenceName="ls_blob"))  # fmt: skip
    with pytest.raises(ArtifactError, match=r"ds_bronze_parquet\.json: linked service 'ls_blob'"):
        load_artifacts(adf_copy, LINKED_SERVICES)


def test_a_file_not_named_after_its_artifact_is_refused(adf_copy: Path) -> None:
    rewrite(adf_copy / "pipeline" / "pl_extract_table.json", lambda d: d.update(name="pl_extract"))
    with pytest.raises(ArtifactError, match=r"pl_extract_table\.json: 'name' is 'pl_extract'"):
        load_artifacts(adf_copy, LINKED_SERVICES)


def test_a_misspelt_pipeline_property_is_refused(adf_copy: Path) -> None:
    rewrite(adf_copy / "pipeline" / "pl_daily_master.json", lambda d: d["properties"].update(activites=[]))
    with pytest.raises(ArtifactError, match=r"pl_daily_master\.json: pipeline property 'activites'"):
        load_artifacts(adf_copy, LINKED_SERVICES)


def test_pipelines_that_run_each_other_in_a_cycle_are_refused(adf_copy: Path) -> None:
    def call_master(document: dict) -> None:
        document["properties"]["activities"].append(
            {
                "name": "Back",
                "type": "ExecutePipeline",
                "typeProperties": {"pipeline": {"referenceName": "pl_daily_master", "type": "PipelineReference"}},
            }
        )

    rewrite(adf_copy / "pipeline" / "pl_extract_table.json", call_master)
    with pytest.raises(ArtifactError, match="cycle: pl_daily_master -> pl_extract_table -> pl_daily_master"):
        load_artifacts(adf_copy, LINKED_SERVICES)
