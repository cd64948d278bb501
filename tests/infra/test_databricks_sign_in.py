"""The Databricks provider's sign-in and Unity Catalog's metastore assignment, as the program declares them.

The provider must take the Azure management-token path (databricks-sdk-go: `azure-cli` with the workspace's
resource id sends X-Databricks-Azure-SP-Management-Token; `github-oidc-azure` does not), so that a deploying
service principal that is not yet a member of a brand-new workspace is let in as its admin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.offline import Run, run_program, stack_config
from infra.settings import ConfigError
from tests.support.stacks import SECRETS

METASTORE = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def with_databricks(stack: str, value: dict) -> dict[str, str]:
    return {**stack_config(stack), "customer-insights:databricks": json.dumps(value)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_provider_signs_in_on_the_management_token_path(stack: str, dev_run: Run, prod_run: Run) -> None:
    run = {"dev": dev_run, "prod": prod_run}[stack]
    provider = run.one("pulumi:providers:databricks").inputs
    workspace = run.one("azure-native:databricks:Workspace")
    assert provider["authType"] == "azure-cli"
    assert provider["azureWorkspaceResourceId"] == workspace.id
    assert provider["azureWorkspaceResourceId"].startswith("/subscriptions/")
    assert provider["host"].startswith("https://adb-") and provider["host"].endswith(".azuredatabricks.net")
    # no secret and no fixed identity: the sign-in is the session's, as for every other Azure call
    assert not {"token", "azureClientSecret", "clientSecret", "azureClientId"} & set(provider)


def test_without_a_metastore_id_the_workspace_relies_on_automatic_assignment(dev_run: Run) -> None:
    assert dev_run.of_type("databricks:index/metastoreAssignment:MetastoreAssignment") == []


def test_a_metastore_id_gives_an_assignment_before_the_lake_catalog(artifacts: Path) -> None:
    run = run_program(
        "dev",
        config=with_databricks("dev", {"metastoreId": METASTORE.upper()}),
        secrets=SECRETS,
        artifacts_root=artifacts,
    )
    assignment = run.one("databricks:index/metastoreAssignment:MetastoreAssignment")
    workspace = run.one("azure-native:databricks:Workspace")
    assert assignment.inputs["metastoreId"] == METASTORE
    assert int(assignment.inputs["workspaceId"]) == int(workspace.state["workspaceId"])  # a number on the wire
    assert assignment.provider.startswith(run.one("pulumi:providers:databricks").urn)
    assert assignment.urn in run.one("insights:databricks:LakeCatalog").dependencies


def test_a_metastore_id_that_is_not_a_uuid_is_a_config_error(artifacts: Path) -> None:
    with pytest.raises(ConfigError, match=r"customer-insights:databricks.metastoreId: must be a metastore id"):
        run_program(
            "dev", config=with_databricks("dev", {"metastoreId": "main"}), secrets=SECRETS, artifacts_root=artifacts
        )
