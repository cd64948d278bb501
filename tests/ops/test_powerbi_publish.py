"""The Power BI step at its seam: what fabric-cicd sends to the Fabric REST API for `powerbi/`.

Only the wire is fake (tests/support/fake_fabric.py); fabric-cicd reads the project, validates and applies the
parameter file the step writes, and builds every request as it would against the real service.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from infra.settings import read_stack
from insights.ops import powerbi
from tests.support.fake_azure import outputs
from tests.support.fake_fabric import TOKEN, FakeCredential, FakeFabric
from tests.support.stacks import write_stack

WORKSPACE = "5b0a7c1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d"
MODEL = powerbi.ROOT / "CustomerInsights.SemanticModel"
REPORT = powerbi.ROOT / "CustomerInsights.Report"
SECRET_WORDS = re.compile(r"password|secret|pwd=|accountkey|sharedaccess|bearer|client_secret", re.IGNORECASE)


@pytest.fixture
def settings(tmp_path: Path):
    def with_workspace(config: dict) -> None:
        config["customer-insights:powerbi"] = {"workspaceId": WORKSPACE.upper()}

    write_stack(tmp_path, "dev", with_workspace)
    return read_stack("dev", tmp_path)


@pytest.fixture
def fabric(monkeypatch: pytest.MonkeyPatch) -> FakeFabric:
    fake = FakeFabric(WORKSPACE)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake.send)
    return fake


def files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}


def test_the_model_then_the_report_are_created_with_the_stacks_server_and_database(settings, fabric):
    said: list[str] = []
    credential = FakeCredential()
    published = powerbi.publish(settings, "dev", outputs("dev", False), credential, said.append)

    assert [(i.type, i.name) for i in published] == [
        ("SemanticModel", "CustomerInsights"),
        ("Report", "CustomerInsights"),
    ]
    assert fabric.unexpected == []
    assert fabric.calls() == [
        ("GET", "/v1/workspaces/{ws}"),  # the workspace has a capacity
        ("GET", "/v1/workspaces/{ws}/folders"),
        ("GET", "/v1/workspaces/{ws}/items"),
        ("POST", "/v1/workspaces/{ws}/items"),  # the semantic model
        ("POST", "/v1/workspaces/{ws}/items"),  # the report bound to it
    ]
    assert {sent.host for sent in fabric.sent} == {"api.powerbi.com"}

    model = fabric.created("SemanticModel")
    assert {k: model.body[k] for k in ("displayName", "type")} == {
        "displayName": "CustomerInsights",
        "type": "SemanticModel",
    }
    sent, local = model.parts(), files(MODEL)
    assert set(sent) == set(local)  # every file of the model folder, nothing else
    expressions = sent["definition/expressions.tmdl"]
    assert 'expression SynapseServer = "syn-cip-dev-abcde-ondemand.sql.azuresynapse.net" meta [' in expressions
    assert 'expression SynapseDatabase = "insights" meta [' in expressions
    assert "synapse-workspace-ondemand" not in expressions  # the committed placeholder was replaced
    assert {path for path in sent if sent[path] != local[path]} == {"definition/expressions.tmdl"}

    report = fabric.created("Report")
    report_parts = report.parts()
    assert set(report_parts) == set(files(REPORT))
    model_id = next(item["id"] for item in fabric.items if item["type"] == "SemanticModel")
    reference = json.loads(report_parts["definition.pbir"])["datasetReference"]
    assert reference["byConnection"]["pbiModelDatabaseName"] == model_id  # bound to the model just published

    assert credential.scopes and set(credential.scopes) == {("https://api.fabric.microsoft.com/.default",)}
    assert any("Published SemanticModel 'CustomerInsights'" in line for line in said)


def test_no_secret_is_sent_and_the_token_travels_only_in_the_authorization_header(settings, fabric):
    powerbi.publish(settings, "dev", outputs("dev", False), FakeCredential(), lambda _: None)
    assert {sent.headers["Authorization"] for sent in fabric.sent} == {f"Bearer {TOKEN}"}
    posted = [sent for sent in fabric.sent if sent.method == "POST"]
    parts = [text for sent in posted for text in sent.parts().values()]
    assert len(posted) == 2 and len(parts) == len(files(MODEL)) + len(files(REPORT))
    bodies = [json.dumps(sent.body) for sent in fabric.sent] + parts
    assert [body[:80] for body in bodies if TOKEN in body or SECRET_WORDS.search(body)] == []


def test_a_second_deploy_updates_the_published_items_in_place(settings, fabric):
    fabric.items = [
        {"id": "11111111-1111-4111-8111-111111111111", "type": "SemanticModel", "displayName": "CustomerInsights"},
        {"id": "22222222-2222-4222-8222-222222222222", "type": "Report", "displayName": "CustomerInsights"},
    ]
    powerbi.publish(settings, "prod", outputs("prod", True), FakeCredential(), lambda _: None)
    assert fabric.unexpected == []
    assert fabric.calls()[3:] == [
        ("POST", "/v1/workspaces/{ws}/items/11111111-1111-4111-8111-111111111111/updateDefinition?updateMetadata=True"),
        ("POST", "/v1/workspaces/{ws}/items/22222222-2222-4222-8222-222222222222/updateDefinition?updateMetadata=True"),
    ]
    model = fabric.sent[3].parts()["definition/expressions.tmdl"]
    assert '"syn-cip-prod-abcde-ondemand.sql.azuresynapse.net"' in model
    report = json.loads(fabric.sent[4].parts()["definition.pbir"])
    assert report["datasetReference"]["byConnection"]["pbiModelDatabaseName"] == "11111111-1111-4111-8111-111111111111"


def test_a_refused_publish_is_one_clear_error(settings, fabric):
    fabric.refuse = 403
    with pytest.raises(powerbi.PowerBiError, match=rf"^publishing to Power BI workspace {WORKSPACE} failed: "):
        powerbi.publish(settings, "dev", outputs("dev", False), FakeCredential(), lambda _: None)


def test_the_parameter_file_replaces_each_parameter_for_its_environment_only():
    document = powerbi.parameter_file("dev", {"SynapseServer": "syn-x-ondemand.sql.azuresynapse.net"})
    (entry,) = document["find_replace"]
    assert entry["replace_value"] == {"dev": "syn-x-ondemand.sql.azuresynapse.net"}
    expressions = (MODEL / "definition" / "expressions.tmdl").read_text()
    assert len(re.findall(entry["find_value"], expressions)) == 1  # one match, one group: the value


def test_the_plan_lists_the_items_the_workspace_and_the_values(settings):
    plan = powerbi.publish_plan(settings, "dev", outputs("dev", False))
    assert plan == {
        "workspaceId": WORKSPACE,
        "environment": "dev",
        "items": [
            {"type": "SemanticModel", "name": "CustomerInsights", "folder": "CustomerInsights.SemanticModel"},
            {"type": "Report", "name": "CustomerInsights", "folder": "CustomerInsights.Report"},
        ],
        "parameters": {
            "SynapseServer": "syn-cip-dev-abcde-ondemand.sql.azuresynapse.net",
            "SynapseDatabase": "insights",
        },
    }
    assert powerbi.publish_plan(read_stack("dev"), "dev", outputs("dev", False)) is None  # the committed dev stack


def test_a_stack_without_its_synapse_outputs_cannot_publish(settings):
    with pytest.raises(powerbi.PowerBiError, match="exports no synapseServerlessEndpoint"):
        powerbi.publish_plan(settings, "dev", {"synapseDatabase": "insights"})
