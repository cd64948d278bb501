"""Every JSON file of the Power BI project validates against the Microsoft schema named in its `$schema`.

The schemas are Microsoft's own files in `../shared/schemas/microsoft-fabric/` (their URLs cannot be reached
from the build machines); `$ref`s between them are resolved from that folder through a `referencing`
registry whose retriever refuses anything else, so validation never goes to the network. The last test
checks that the report holds the web dashboard's cards, slicers and charts.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from tests.support.paths import POWERBI, REPORT, SHARED

SCHEMAS = SHARED / "schemas" / "microsoft-fabric"
BASE_URL = "https://developer.microsoft.com/json-schemas/"
# fabric-cicd and the Fabric Git integration read `.platform`; Microsoft publishes no copy of its schema here,
# so its fields are checked where they are used: tests/ops/test_powerbi_publish.py.
NOT_PUBLISHED = {BASE_URL + "fabric/gitIntegration/platformProperties/2.0.0/schema.json"}


def _refuse(uri: str):
    raise NoSuchResource(ref=uri)  # never fetched: a schema outside the local copy is an error


@pytest.fixture(scope="module")
def registry() -> Registry:
    if not SCHEMAS.is_dir():
        pytest.fail(f"Microsoft's Power BI schemas are expected at {SCHEMAS} (the shared/ folder beside the clone)")
    resources = []
    for path in sorted((SCHEMAS / "fabric").rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((BASE_URL + path.relative_to(SCHEMAS).as_posix(), resource))
    return Registry(retrieve=_refuse).with_resources(resources)


def project_files(root: Path = POWERBI) -> list[Path]:
    """The project's JSON files (.json, .pbip, .pbir, .pbism, .platform), Desktop's local `.pbi/` cache aside."""
    suffixes = {".json", ".pbip", ".pbir", ".pbism", ".platform"}
    files = (p for p in root.rglob("*") if p.suffix in suffixes or p.name == ".platform")
    return sorted(p for p in files if ".pbi" not in p.parts)


def schema_errors(path: Path, registry: Registry) -> list[str]:
    """The file's validation errors against the schema its `$schema` names (an unknown schema is one)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    url = document.get("$schema") if isinstance(document, dict) else None
    if not url:
        return [f"{path.name}: names no $schema"]
    if url in NOT_PUBLISHED:
        return []
    try:
        schema = registry.contents(url)
    except NoSuchResource:
        return [f"{path.name}: $schema {url} is not among Microsoft's schemas in {SCHEMAS}"]
    validator = Draft7Validator(schema, registry=registry)
    return [
        f"{path.name}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


def test_every_project_file_validates_against_its_schema(registry):
    files = project_files()
    visuals = [p for p in files if p.name == "visual.json"]
    assert len(visuals) >= 12  # cards, slicers, line, bars, pies
    assert {p.name for p in files} >= {
        "CustomerInsights.pbip", "definition.pbir", "definition.pbism", "report.json", "version.json",
        "pages.json", "page.json", "visual.json", ".platform",
    }  # fmt: skip
    problems = [problem for path in files for problem in schema_errors(path, registry)]
    assert problems == []


def test_an_unknown_visual_property_fails_validation(registry, tmp_path):
    planted = tmp_path / "report"
    shutil.copytree(REPORT, planted)
    visual = next(planted.rglob("visual.json"))
    document = json.loads(visual.read_text())
    document["visual"]["visualContainerObjects"]["title"][0]["properties"]["fontColour"] = {
        "solid": {"color": {"expr": {"Literal": {"Value": "'#000000'"}}}}
    }
    visual.write_text(json.dumps(document))
    problems = schema_errors(visual, registry)
    assert len(problems) == 1
    assert "visual/visualContainerObjects/title/0/properties" in problems[0] and "'fontColour'" in problems[0]


def test_a_schema_outside_the_local_copy_is_refused_not_fetched(registry, tmp_path):
    stray = tmp_path / "page.json"
    stray.write_text(json.dumps({"$schema": BASE_URL + "fabric/item/report/definition/page/9.9.9/schema.json"}))
    assert schema_errors(stray, registry) == [
        f"page.json: $schema {BASE_URL}fabric/item/report/definition/page/9.9.9/schema.json is not among "
        f"Microsoft's schemas in {SCHEMAS}"
    ]


def test_the_report_tells_the_dashboards_story():
    """The web dashboard's cards, filters and charts (docs/serving.md), each bound to the model's fields."""
    visuals = {}
    for path in sorted((REPORT / "definition" / "pages").rglob("visual.json")):
        visual = json.loads(path.read_text(encoding="utf-8"))["visual"]
        roles = {
            role: [next(iter(p["field"].values()))["Property"] for p in state["projections"]]
            for role, state in visual["query"]["queryState"].items()
        }
        visuals.setdefault(visual["visualType"], []).append(roles)
    shares = [f"{g} {k} Share" for k in ("Customer", "Revenue") for g in ("Female", "Male", "Unknown")]
    assert sorted(roles["Values"][0] for roles in visuals["card"]) == [
        "Customers",
        "Orders",
        "Products Sold",
        "Revenue",
    ]
    assert visuals["multiRowCard"] == [{"Values": shares}]
    assert sorted(roles["Values"][0] for roles in visuals["slicer"]) == ["category", "date", "gender"]
    assert visuals["lineChart"] == [{"Category": ["date"], "Y": ["Revenue", "Products Sold"]}]
    assert visuals["clusteredBarChart"] == [{"Category": ["category"], "Series": ["gender"], "Y": ["Revenue"]}]
    assert visuals["pieChart"] == [{"Category": ["gender"], "Y": ["Customers"]}] * 4
    pies = []
    for path in (REPORT / "definition" / "pages").rglob("pie_*/visual.json"):
        (only,) = json.loads(path.read_text(encoding="utf-8"))["filterConfig"]["filters"]
        pies.append(only["filter"]["Where"][0]["Condition"]["In"]["Values"][0][0]["Literal"]["Value"])
    assert sorted(pies) == ["'Accessories'", "'Bikes'", "'Clothing'", "'Components'"]  # one pie per category
