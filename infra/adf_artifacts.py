"""The ADF artifacts of `adf_pipelines/` in the shape pulumi-azure-native sends to Azure.

ADF's Git layout (what ADF Studio and the local executor read) nests each activity's and dataset's settings
under `typeProperties`; the SDK flattens them into their owner (`CopyActivityArgs` takes `source` and `sink`,
`ParquetDatasetArgs` takes `location`), and the provider drops a key its schema does not know, so a nested
`typeProperties` would reach Azure as nothing. `sdk_shape` merges every `typeProperties` into its owner, at
every depth (the inner activities of ForEach, IfCondition, Until and Switch included). This is the one place
the program converts the files; `adf_pipelines.load_factory` reads and checks them.
"""

from __future__ import annotations

from typing import Any

import pulumi_azure_native.datafactory as adf
from pulumi import _types as pulumi_types

from adf_pipelines import Factory, FactoryError
from infra import wire

TYPE_PROPERTIES = "typeProperties"
# The Pipeline resource's Python argument for each wire name its SDK declares (`runDimensions` -> `run_dimensions`).
PIPELINE_ARGS = {
    wire_name: py for py, wire_name in pulumi_types.input_type_py_to_pulumi_names(adf.PipelineArgs).items()
}


def sdk_shape(value: Any, path: str = "") -> Any:
    """A Git-layout JSON value with each `typeProperties` merged into the object that holds it, recursively."""
    if isinstance(value, list):
        return [sdk_shape(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    merged = {key: item for key, item in value.items() if key != TYPE_PROPERTIES}
    for key, item in (value.get(TYPE_PROPERTIES) or {}).items():
        if key in merged:
            raise FactoryError(
                f"{path}.{TYPE_PROPERTIES}.{key}".lstrip(".") + ": also a property of its owner, which the SDK flattens"
            )
        merged[key] = item
    return {key: sdk_shape(item, f"{path}.{key}".lstrip(".")) for key, item in merged.items()}


def dataset_properties(factory: Factory, name: str) -> dict[str, Any]:
    """One dataset's `properties` in the SDK's shape; a key the provider would drop fails naming the file."""
    try:
        properties = sdk_shape(factory.dataset(name))
    except FactoryError as error:
        raise FactoryError(f"dataset/{name}.json: properties.{error}") from None
    _refuse_unknown(f"dataset/{name}.json", wire.check(adf.DatasetArgs, {"properties": properties}))
    return properties


def pipeline_args(factory: Factory, name: str) -> dict[str, Any]:
    """One pipeline's Pipeline-resource keyword arguments (its `properties` in the SDK's shape)."""
    try:
        properties = sdk_shape(factory.pipeline(name))
    except FactoryError as error:
        raise FactoryError(f"pipeline/{name}.json: properties.{error}") from None
    _refuse_unknown(f"pipeline/{name}.json", wire.check(adf.PipelineArgs, properties))
    return {PIPELINE_ARGS[key]: value for key, value in properties.items()}


def _refuse_unknown(file: str, unknown: list[wire.UnknownKey]) -> None:
    if unknown:
        raise FactoryError(f"{file}: {unknown[0]} (paths in the SDK's shape, typeProperties merged)")
