"""What the providers send: every input key of every resource, at every depth, is one the provider SDK's Args
type at that position declares (pulumi-azure-native, pulumi-databricks and pulumi-random alike). A key the
SDK does not know is dropped silently by the provider on its way to Azure."""

from __future__ import annotations

import copy

import pulumi_azure_native.datafactory as adf
import pulumi_databricks as databricks
import pytest

from infra import wire
from infra.offline import Run


def dropped(run: Run) -> list[str]:
    return [f"{r.name}: {key}" for r in run.resources for key in wire.unknown_keys(r.type, r.inputs)]


def test_every_input_key_is_one_the_provider_sdk_knows(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    assert dropped(run) == []
    checked = {r.type.split(":")[0] for r in run.resources if wire.args_type(r.type) is not None}
    assert checked == {"azure-native", "databricks", "random", "pulumi"}  # "pulumi": the Databricks provider
    unchecked = {r.type for r in run.resources if wire.args_type(r.type) is None}
    assert all(t.startswith("insights:") for t in unchecked - {"pulumi-python:dynamic:Resource"})
    assert all(r.inputs == {} for r in run.resources if r.type.startswith("insights:"))  # components send nothing


def plant(run: Run, name: str, path: list, key: str) -> Run:
    """A copy of the run with `key` added to the object at `path` inside resource `name`'s inputs."""
    planted = copy.deepcopy(run)
    [resource] = [r for r in planted.resources if r.name == name]
    node = resource.inputs
    for step in path:
        node = node[step]
    node[key] = "planted"
    return planted


@pytest.mark.parametrize(
    ("name", "path", "key", "expected"),
    [
        (  # depth 6: a Copy inside an IfCondition, its sink's store settings (ADF's spelling is copyBehavior)
            "factory-pl_extract_table",
            ["activities", 3, "ifTrueActivities", 0, "sink", "storeSettings"],
            "copyBehaviour",
            "activities[3].ifTrueActivities[0].sink.storeSettings.copyBehaviour: not a property of "
            "AzureBlobFSWriteSettingsArgs",
        ),
        (  # depth 4: a job cluster's Azure attributes
            "databricks-job-silver",
            ["jobClusters", 0, "newCluster", "azureAttributes"],
            "spotBidMaxPrise",
            "jobClusters[0].newCluster.azureAttributes.spotBidMaxPrise: not a property of "
            "JobJobClusterNewClusterAzureAttributesArgs",
        ),
        (  # depth 5: the lifecycle rule's filters
            "lake-lifecycle",
            ["policy", "rules", 0, "definition", "filters"],
            "prefix_match",
            "policy.rules[0].definition.filters.prefix_match: not a property of ManagementPolicyFilterArgs",
        ),
        (  # depth 3: the old guard's case, a snake_case key inside a linked service's password reference
            "factory-ls_sqlserver_source",
            ["properties", "password"],
            "secret_name",
            "properties.password.secret_name: not a property of AzureKeyVaultSecretReferenceArgs",
        ),
        (  # depth 3: the metric alert's criteria, a union resolved by `odata.type`
            "monitoring-failed-pipeline-runs",
            ["criteria", "allOf", 0],
            "threshhold",
            "criteria.allOf[0].threshhold: not a property of MetricCriteriaArgs",
        ),
    ],
)
def test_a_planted_unknown_key_deep_inside_is_named_by_its_path(
    dev_run: Run, name: str, path: list, key: str, expected: str
) -> None:
    assert dropped(plant(dev_run, name, path, key)) == [f"{name}: {expected}: the provider drops it"]


def test_a_union_is_resolved_by_its_discriminator_constant() -> None:
    copy_activity = {
        "name": "c",
        "type": "Copy",
        "source": {"type": "SqlServerSource", "sqlReaderQuery": "SELECT 1"},
        "sink": {"type": "ParquetSink"},
    }
    assert wire.check(adf.PipelineArgs, {"activities": [copy_activity]}) == []
    # the same keys under another activity type: SetVariable has no source or sink
    found = wire.check(adf.PipelineArgs, {"activities": [{**copy_activity, "type": "SetVariable"}]})
    assert [str(f) for f in found] == [
        "activities[0].source: not a property of SetVariableActivityArgs: the provider drops it",
        "activities[0].sink: not a property of SetVariableActivityArgs: the provider drops it",
    ]
    found = wire.check(adf.PipelineArgs, {"activities": [{**copy_activity, "type": "Copyy"}]})
    assert [str(f) for f in found] == ["activities[0].type: 'Copyy' names none of the SDK's types here"]
    # the discriminator constants come from the SDK's own constructors
    assert wire.constants(adf.CopyActivityArgs) == {"type": "Copy"}
    assert wire.args_type("databricks:index/job:Job") is databricks.JobArgs
