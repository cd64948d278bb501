"""The semantic model against the serving views it reads, and the report against the model.

The views' columns and types come from DuckDB running `synapse_views/` (the `view_columns` fixture), the
model from its TMDL files (tests/support/tmdl.py), the report's fields from its PBIR visual files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.support.paths import MODEL, POWERBI, REPORT
from tests.support.tmdl import Model, dax_references, read_model, split_reference

_PARTITION_SOURCE = re.compile(r'Source\{\[Schema\s*=\s*"(\w+)",\s*Item\s*=\s*"(\w+)"\]\}\[Data\]')
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def compatible(model_type: str, view_type: str) -> bool:
    """Whether Power BI reads the view's column (its DuckDB type) into the model column's type without loss.

    TMDL `decimal` is Power BI's *Fixed decimal number*: four decimals, so it may only hold DECIMAL(p, s<=4);
    `double` (*Decimal number*) takes any DECIMAL (docs/power-bi.md: `line_total` is DECIMAL(38, 6)).
    """
    decimal = _DECIMAL.fullmatch(view_type)
    if model_type == "int64":
        return view_type in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}
    if model_type == "double":
        return view_type in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT"} or decimal is not None
    if model_type == "decimal":
        return decimal is not None and int(decimal.group(2)) <= 4
    if model_type == "string":
        return view_type == "VARCHAR"
    if model_type == "dateTime":
        return view_type in {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}
    if model_type == "boolean":
        return view_type == "BOOLEAN"
    return False


def source_view(table) -> str:
    """The `gold` view a table's partition reads (`Source{[Schema = "gold", Item = "<view>"]}[Data]`)."""
    partitions = table.all("partition")
    if len(partitions) != 1:
        raise AssertionError(f"table {table.name} must have exactly one partition")
    match = _PARTITION_SOURCE.search(str(partitions[0].properties.get("source", "")))
    if not match or match.group(1) != "gold":
        raise AssertionError(f"table {table.name}: its partition does not read a view of schema gold")
    return match.group(2)


def check_model(model: Model, views: dict[str, dict[str, str]]) -> list[str]:
    """Every problem between the model and the views: each named column must exist with a compatible type."""
    problems = []
    columns: dict[tuple[str, str], str] = {}  # (table, column) -> model data type
    measures: set[str] = set()
    for table in model.tables.values():
        view = source_view(table)
        if view not in views:
            problems.append(f"table {table.name} reads gold.{view}, which is not a view of synapse_views/")
            continue
        for column in table.all("column"):
            source, data_type = column.properties.get("sourceColumn"), column.properties.get("dataType")
            columns[(table.name, column.name)] = str(data_type)
            if source not in views[view]:
                problems.append(f"column {table.name}[{column.name}] reads gold.{view}.{source}, which does not exist")
            elif not compatible(str(data_type), views[view][source]):
                problems.append(
                    f"column {table.name}[{column.name}] is {data_type}, gold.{view}.{source} is {views[view][source]}"
                )
        measures.update(measure.name for measure in table.all("measure"))
    for table in model.tables.values():
        for measure in table.all("measure"):
            named_columns, named_measures = dax_references(measure.default or "")
            problems += [
                f"measure [{measure.name}] names {t}[{c}], which is not a column of the model"
                for t, c in sorted(named_columns - set(columns))
            ]
            problems += [
                f"measure [{measure.name}] names [{name}], which is not a measure"
                for name in sorted(named_measures - measures)
            ]
    for relationship in model.relationships:
        ends = [split_reference(str(relationship.properties[key])) for key in ("fromColumn", "toColumn")]
        missing = [f"{t}[{c}]" for t, c in ends if (t, c) not in columns]
        if missing:
            problems.append(f"relationship {relationship.name} names {', '.join(missing)}, not in the model")
        elif columns[ends[0]] != columns[ends[1]]:
            problems.append(f"relationship {relationship.name} joins {columns[ends[0]]} with {columns[ends[1]]}")
    return problems


def report_fields(report: Path) -> set[tuple[str, str, str]]:
    """Every (kind, table, name) a report's visuals and filters use: kind is Column or Measure."""
    fields = set()

    def walk(node, aliases: dict[str, str]) -> None:
        if isinstance(node, dict):
            aliases = {**aliases, **{f["Name"]: f["Entity"] for f in node.get("From", []) if "Entity" in f}}
            for kind in ("Column", "Measure"):
                if isinstance(node.get(kind), dict) and "Property" in node[kind]:
                    ref = node[kind]["Expression"]["SourceRef"]
                    fields.add((kind, ref.get("Entity") or aliases[ref["Source"]], node[kind]["Property"]))
            for child in node.values():
                walk(child, aliases)
        elif isinstance(node, list):
            for child in node:
                walk(child, aliases)

    for path in sorted(report.rglob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")), {})
    return fields


@pytest.fixture(scope="module")
def model() -> Model:
    return read_model(MODEL / "definition")


def test_every_column_measure_and_relationship_matches_the_views(model, view_columns):
    assert check_model(model, view_columns) == []
    views = {source_view(table) for table in model.tables.values()}
    assert views == {"sales", "dim_date", "dim_product", "dim_customer"}


def test_a_measure_naming_a_missing_column_fails_the_check(tmp_path, view_columns):
    planted = tmp_path / "model"
    shutil.copytree(MODEL / "definition", planted)
    sales = planted / "tables" / "sales.tmdl"
    sales.write_text(sales.read_text().replace("SUM ( sales[line_total] )", "SUM ( sales[line_totals] )"))
    assert check_model(read_model(planted), view_columns) == [
        "measure [Revenue] names sales[line_totals], which is not a column of the model"
    ]


def test_a_column_the_view_lacks_or_types_differently_fails_the_check(tmp_path, view_columns):
    planted = tmp_path / "model"
    shutil.copytree(MODEL / "definition", planted)
    sales = planted / "tables" / "sales.tmdl"
    text = sales.read_text().replace("sourceColumn: order_qty", "sourceColumn: quantity")
    sales.write_text(text.replace("dataType: double", "dataType: decimal"))  # Fixed decimal: 4 places
    assert check_model(read_model(planted), view_columns) == [
        "column sales[order_qty] reads gold.sales.quantity, which does not exist",
        "column sales[line_total] is decimal, gold.sales.line_total is DECIMAL(38,6)",
    ]


def test_the_kpi_measures_are_plain_aggregations_of_sales_columns(model):
    """DESIGN.md's KPIs; Orders and Customers are distinct counts over the filter, never sums of daily figures."""
    measures = {m.name: " ".join((m.default or "").split()) for m in model.tables["sales"].all("measure")}
    assert measures["Products Sold"] == "SUM ( sales[order_qty] )"
    assert measures["Revenue"] == "SUM ( sales[line_total] )"
    assert measures["Orders"] == "DISTINCTCOUNT ( sales[sales_order_id] )"
    assert measures["Customers"] == "DISTINCTCOUNT ( sales[customer_id] )"
    for gender in ("Female", "Male", "Unknown"):
        for base, label in (("Customers", "Customer"), ("Revenue", "Revenue")):
            assert measures[f"{gender} {label} Share"] == (
                f'DIVIDE ( CALCULATE ( [{base}], KEEPFILTERS ( dim_customer[gender] = "{gender}" ) ), [{base}] )'
            )
    # no measure reads the daily aggregate (whose distinct counts do not add up) or the audit fact
    assert all(source_view(table) not in {"agg_daily_sales", "fct_sales"} for table in model.tables.values())


def test_every_measure_has_a_format_string_and_a_description(model):
    measures = [m for table in model.tables.values() for m in table.all("measure")]
    assert len(measures) == 10
    for measure in measures:
        assert measure.properties.get("formatString"), measure.name
        assert measure.description, measure.name
    formats = {m.name: m.properties["formatString"] for m in measures}
    assert formats["Revenue"].startswith("\\$#,0.00")  # currency, cents shown
    shares = [f"{g} {k} Share" for g in ("Female", "Male", "Unknown") for k in ("Customer", "Revenue")]
    assert {formats[name] for name in shares} == {"0.0%"}


def test_dim_date_is_the_date_table_and_the_star_is_related(model):
    dim_date = model.tables["dim_date"]
    assert dim_date.properties.get("dataCategory") == "Time"
    keys = [c for c in dim_date.all("column") if c.properties.get("isKey")]
    assert [(c.name, c.properties["dataType"]) for c in keys] == [("date", "dateTime")]
    joins = {(r.properties["fromColumn"], r.properties["toColumn"]) for r in model.relationships}
    assert joins == {
        ("sales.customer_id", "dim_customer.customer_id"),
        ("sales.product_id", "dim_product.product_id"),
        ("sales.order_date", "dim_date.date"),
    }


def test_directquery_over_the_server_and_database_parameters(model):
    for table in model.tables.values():
        (partition,) = table.all("partition")
        assert partition.default == "m" and partition.properties["mode"] == "directQuery", table.name
        assert "Sql.Database(SynapseServer, SynapseDatabase)" in partition.properties["source"], table.name
    assert set(model.expressions) == {"SynapseServer", "SynapseDatabase"}
    for expression in model.expressions.values():
        assert re.fullmatch(r'"[^"]+" meta \[IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true\]',
                            expression.default or ""), expression.name  # fmt: skip


def test_no_credential_in_any_file():
    suspicious = re.compile(r"password|pwd\s*=|secret|user id|uid\s*=|accountkey|sharedaccess|bearer", re.IGNORECASE)
    files = [p for p in POWERBI.rglob("*") if p.is_file()]
    assert len(files) > 10
    assert [str(p) for p in files if suspicious.search(p.read_text(encoding="utf-8"))] == []


def test_every_field_the_report_uses_is_in_the_model(model):
    fields = report_fields(REPORT)
    known = {("Column", t.name, c.name) for t in model.tables.values() for c in t.all("column")}
    known |= {("Measure", t.name, m.name) for t in model.tables.values() for m in t.all("measure")}
    assert fields, "the report uses no field"
    assert sorted(fields - known) == []
    columns = [(t.name, c) for t in model.tables.values() for c in t.all("column")]
    hidden = {("Column", table, c.name) for table, c in columns if c.properties.get("isHidden")}
    assert sorted(fields & hidden) == []  # a visual on a hidden column would not be editable in Desktop
