"""ADF payloads on the wire: the pipelines and datasets of adf_pipelines/ in the provider SDK's shape, checked
against Microsoft's own models (azure-mgmt-datafactory), and the checks made while reading them."""

from __future__ import annotations

import json
import shutil
import typing
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.datafactory import models

from adf_pipelines import ADF_PIPELINES, LINKED_SERVICES, FactoryError, load_factory
from infra.adf_artifacts import dataset_properties, pipeline_args, sdk_shape
from infra.offline import Run, run_program
from tests.support.stacks import SECRETS

SCOPE_INPUTS = {"factoryName", "resourceGroupName"}


def files(artifacts: Path, kind: str) -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((artifacts / "adf_pipelines" / kind).glob("*.json"))
    }


# --- azure-mgmt-datafactory's models: where each property belongs, and which keys they know -------------


def rest_fields(cls: type) -> dict[str, str]:
    """A model's wire names and the attribute holding each (the model computes its table when first built)."""
    cls.__new__(cls)
    return {field._rest_name: attr for attr, field in cls._attr_to_rest_field.items()}


def model_class(hint: Any) -> type | None:
    for member in (hint, *typing.get_args(hint)):
        if isinstance(member, type) and issubclass(member, models._models._Model):
            return member
    return None


def concrete(cls: type, value: dict) -> type | None:
    """The model the discriminator (`type`) names, searched through every level of the hierarchy.

    azure-mgmt-datafactory 10's own deserialiser looks one level down only (`Activity.__mapping__` holds
    `Container` and `Execution`; `SetVariable` sits under `ControlActivity`), so it would read every
    activity as the base `Activity`."""
    mapping = cls.__dict__.get("__mapping__")
    if mapping is None:
        return cls
    [discriminator] = [f._rest_name for f in cls.__dict__.values() if getattr(f, "_is_discriminator", False)]
    wanted = value.get(discriminator)
    if wanted in mapping:
        return concrete(mapping[wanted], value) if mapping[wanted] is not cls else cls
    for sub in mapping.values():
        if "__mapping__" in sub.__dict__ and (found := concrete(sub, value)) is not None:
            return found
    return None


def _fields(cls: type) -> tuple[dict[str, str], dict[str, Any]]:
    return rest_fields(cls), typing.get_type_hints(cls, localns={"_models": models})


def _element(hint: Any) -> tuple[Any, Any]:
    """(origin, argument) of an optional list or dict annotation, else (None, hint)."""
    hint = next((a for a in typing.get_args(hint) if a is not type(None)), hint) if _optional(hint) else hint
    origin = typing.get_origin(hint)
    if origin is list:
        return list, typing.get_args(hint)[0]
    if origin is dict:
        return dict, typing.get_args(hint)[1]
    return None, hint


def git_shape(value: Any, hint: Any) -> Any:
    """An SDK-shape value nested back where the models place each property (`typeProperties.source`, ...)."""
    origin, inner_hint = _element(hint)
    if origin is list:
        return [git_shape(item, inner_hint) for item in value]
    if origin is dict:
        return {key: git_shape(item, inner_hint) for key, item in value.items()}
    cls = model_class(inner_hint)
    if cls is None or not isinstance(value, dict):
        return value
    cls = concrete(cls, value)
    assert cls is not None, f"no model for {value.get('type')!r}"
    fields, hints = _fields(cls)
    nested: dict[str, Any] = {}
    for key, item in value.items():
        if key in fields:
            nested[key] = git_shape(item, hints[fields[key]])
            continue
        holders = [
            (wire_name, inner)
            for wire_name, attr in fields.items()
            if (inner := model_class(hints[attr])) is not None and key in rest_fields(inner)
        ]
        assert len(holders) == 1, f"{cls.__name__} places {key!r} in {len(holders)} places"
        wire_name, inner = holders[0]
        inner_fields, inner_hints = _fields(inner)
        nested.setdefault(wire_name, {})[key] = git_shape(item, inner_hints[inner_fields[key]])
    return nested


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def keys_the_models_do_not_know(value: Any, hint: Any, path: str = "") -> list[str]:
    """Every key of a Git-layout value that the model at its position has no field for, at any depth: each
    object is deserialised as the model its discriminator names."""
    origin, inner_hint = _element(hint)
    if origin is list:
        return [
            p for i, item in enumerate(value) for p in keys_the_models_do_not_know(item, inner_hint, f"{path}[{i}]")
        ]
    if origin is dict:
        return [p for k, item in value.items() for p in keys_the_models_do_not_know(item, inner_hint, f"{path}.{k}")]
    cls = model_class(inner_hint)
    if cls is None or not isinstance(value, dict):
        return []
    model = concrete(cls, value)
    if model is None or "__mapping__" in model.__dict__:
        return [f"{path}: {cls.__name__} has no model for type {value.get('type')!r}"]
    fields, hints = _fields(model)
    unknown = [f"{path}.{key} ({model.__name__})" for key in model(value) if key not in fields]
    for wire_name, attr in fields.items():
        if wire_name in value:
            unknown += keys_the_models_do_not_know(value[wire_name], hints[attr], f"{path}.{wire_name}")
    return unknown


def test_every_file_deserialises_into_the_models_with_no_unknown_key(artifacts: Path) -> None:
    for kind, model in (("pipeline", models.PipelineResource), ("dataset", models.DatasetResource)):
        for name, document in files(artifacts, kind).items():
            assert keys_the_models_do_not_know(document, model) == [], f"{kind}/{name}.json"


def test_the_model_check_sees_an_unknown_key_deep_inside() -> None:
    document = json.loads((ADF_PIPELINES / "pipeline" / "pl_extract_table.json").read_text())
    copy = document["properties"]["activities"][3]["typeProperties"]["ifTrueActivities"][0]
    copy["typeProperties"]["sink"]["storeSettings"]["copyBehaviour"] = "FlattenHierarchy"
    unknown = keys_the_models_do_not_know(document, models.PipelineResource)
    assert unknown == [
        ".properties.activities[3].typeProperties.ifTrueActivities[0].typeProperties.sink.storeSettings"
        ".copyBehaviour (AzureBlobFSWriteSettings)"
    ]


def test_datasets_on_the_wire_nest_back_into_their_files(stack_run: tuple[str, Run], artifacts: Path) -> None:
    _, run = stack_run
    deployed = {d.inputs["datasetName"]: d.inputs for d in run.of_type("azure-native:datafactory:Dataset")}
    expected = files(artifacts, "dataset")
    assert (
        set(deployed)
        == set(expected)
        == {"ds_bronze_parquet", "ds_control_binary", "ds_control_json", "ds_source_query"}
    )
    for name, document in expected.items():
        assert set(deployed[name]) == {"datasetName", "properties"} | SCOPE_INPUTS
        assert "typeProperties" not in deployed[name]["properties"], name
        assert git_shape(deployed[name]["properties"], models.Dataset) == document["properties"], name


def test_pipelines_on_the_wire_nest_back_into_their_files(stack_run: tuple[str, Run], artifacts: Path) -> None:
    _, run = stack_run
    deployed = {p.inputs["pipelineName"]: p.inputs for p in run.of_type("azure-native:datafactory:Pipeline")}
    expected = files(artifacts, "pipeline")
    assert set(deployed) == set(expected) == {"pl_daily_master", "pl_extract_table"}
    for name, document in expected.items():
        properties = {k: v for k, v in deployed[name].items() if k not in SCOPE_INPUTS | {"pipelineName"}}
        assert git_shape(properties, models.Pipeline) == document["properties"], name
    # the flattening reached the inner activities: a Copy inside an IfCondition inside the extract pipeline
    copy = deployed["pl_extract_table"]["activities"][3]["ifTrueActivities"][0]
    assert copy["name"] == "Copy Changed Rows" and copy["sink"]["type"] == "ParquetSink"
    assert "typeProperties" not in copy


def test_sdk_shape_merges_type_properties_at_every_depth() -> None:
    activity = {
        "name": "Loop",
        "type": "Until",
        "typeProperties": {
            "expression": {"value": "@true", "type": "Expression"},
            "activities": [{"name": "Wait", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}],
        },
    }
    assert sdk_shape(activity) == {
        "name": "Loop",
        "type": "Until",
        "expression": {"value": "@true", "type": "Expression"},
        "activities": [{"name": "Wait", "type": "Wait", "waitTimeInSeconds": 1}],
    }
    with pytest.raises(FactoryError, match=r"activities\[0\]\.typeProperties\.name: also a property of its owner"):
        sdk_shape({"activities": [{"name": "a", "type": "Wait", "typeProperties": {"name": "b"}}]})


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


def test_the_linked_services_the_artifacts_name(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    types = {
        r.inputs["linkedServiceName"]: r.inputs["properties"]["type"]
        for r in run.of_type("azure-native:datafactory:LinkedService")
    }
    assert set(types) == LINKED_SERVICES
    assert types == {
        "ls_sqlserver_source": "SqlServer",
        "ls_lake": "AzureBlobFS",
        "ls_keyvault": "AzureKeyVault",
        "ls_databricks": "AzureDatabricks",
    }


# --- the checks made while reading the artifacts -------------------------------------------------


@pytest.fixture
def adf_copy(artifacts: Path, tmp_path: Path) -> Path:
    """A copy of every artifact the program deploys; the ADF folder is returned, to edit."""
    return Path(shutil.copytree(artifacts, tmp_path / "artifacts")) / "adf_pipelines"


def rewrite(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_a_reference_to_a_missing_dataset_names_the_file(adf_copy: Path) -> None:
    (adf_copy / "dataset" / "ds_control_json.json").unlink()
    with pytest.raises(FactoryError, match=r"pl_\w+\.json: uses dataset 'ds_control_json', which has no file"):
        load_factory(adf_copy)


def test_an_unknown_linked_service_fails_the_preview_naming_the_file(adf_copy: Path) -> None:
    rewrite(adf_copy / "dataset" / "ds_bronze_parquet.json",
            lambda d: d["properties"]["linkedServiceName"].update(referenceName="ls_blob"))  # fmt: skip
    with pytest.raises(FactoryError, match=r"dataset/ds_bronze_parquet\.json: linked service 'ls_blob'"):
        run_program("dev", secrets=SECRETS, artifacts_root=adf_copy.parent)


def test_a_file_not_named_after_its_artifact_is_refused(adf_copy: Path) -> None:
    rewrite(adf_copy / "pipeline" / "pl_extract_table.json", lambda d: d.update(name="pl_extract"))
    with pytest.raises(FactoryError, match=r"pl_extract_table\.json: 'name' is 'pl_extract'"):
        load_factory(adf_copy)


def test_a_misspelt_key_at_any_depth_is_refused_naming_file_and_path(adf_copy: Path) -> None:
    rewrite(adf_copy / "pipeline" / "pl_daily_master.json", lambda d: d["properties"].update(activites=[]))
    with pytest.raises(FactoryError, match=r"pipeline/pl_daily_master\.json: activites: not a property of"):
        pipeline_args(load_factory(adf_copy), "pl_daily_master")

    def misspell(document: dict) -> None:
        copy = document["properties"]["activities"][3]["typeProperties"]["ifTrueActivities"][0]
        copy["typeProperties"]["sink"]["storeSettings"]["copyBehaviour"] = "FlattenHierarchy"

    rewrite(adf_copy / "pipeline" / "pl_extract_table.json", misspell)
    with pytest.raises(
        FactoryError,
        match=r"pipeline/pl_extract_table\.json: activities\[3\]\.ifTrueActivities\[0\]\.sink\.storeSettings"
        r"\.copyBehaviour: not a property of AzureBlobFSWriteSettingsArgs",
    ):
        pipeline_args(load_factory(adf_copy), "pl_extract_table")
    rewrite(adf_copy / "dataset" / "ds_bronze_parquet.json",
            lambda d: d["properties"]["typeProperties"]["location"].update(fileSytem="bronze"))  # fmt: skip
    with pytest.raises(FactoryError, match=r"dataset/ds_bronze_parquet\.json: properties\.location\.fileSytem"):
        dataset_properties(load_factory(adf_copy), "ds_bronze_parquet")


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
    with pytest.raises(FactoryError, match="cycle: pl_daily_master -> pl_extract_table -> pl_daily_master"):
        load_factory(adf_copy)
