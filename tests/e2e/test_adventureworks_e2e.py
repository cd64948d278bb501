"""End to end on the real AdventureWorksLT rows: import, run the pipeline, compare KPIs.

Expected figures are computed here from the CSV files with the csv module and Decimal, following
DESIGN.md's definitions, independently of the pipeline and the KPI code.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from insights.local.pipeline import run_pipeline
from insights.local.source import import_csv
from insights.serving.kpis import KpiFilter, compute_kpis

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

# DESIGN.md: Mr., Sr. -> Male; Ms., Mrs., Miss, Sra., Srta. -> Female; anything else -> Unknown.
TITLE_GENDER = {
    "mr.": "Male",
    "sr.": "Male",
    "ms.": "Female",
    "mrs.": "Female",
    "miss": "Female",
    "sra.": "Female",
    "srta.": "Female",
}


def read_csv(folder: Path, table: str) -> list[dict]:
    with (folder / f"SalesLT.{table}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (None if v == "NULL" else v) for k, v in row.items()} for row in csv.DictReader(handle)]


def expected_sales(folder: Path) -> list[dict]:
    """One dict per sale (order line of an order not rejected or cancelled), from the CSVs alone."""
    categories = {row["ProductCategoryID"]: row for row in read_csv(folder, "ProductCategory")}

    def top_level(category_id: str) -> str:
        while categories[category_id]["ParentProductCategoryID"]:
            category_id = categories[category_id]["ParentProductCategoryID"]
        return categories[category_id]["Name"]

    products = {row["ProductID"]: top_level(row["ProductCategoryID"]) for row in read_csv(folder, "Product")}
    genders = {
        row["CustomerID"]: TITLE_GENDER.get((row["Title"] or "").strip().lower(), "Unknown")
        for row in read_csv(folder, "Customer")
    }
    headers = {row["SalesOrderID"]: row for row in read_csv(folder, "SalesOrderHeader")}
    sales = []
    for line in read_csv(folder, "SalesOrderDetail"):
        header = headers[line["SalesOrderID"]]
        if header["Status"] in {"4", "6"}:
            continue
        line_total = Decimal(line["UnitPrice"]) * (1 - Decimal(line["UnitPriceDiscount"])) * int(line["OrderQty"])
        sales.append(
            {
                "order": line["SalesOrderID"],
                "customer": header["CustomerID"],
                "date": date.fromisoformat(header["OrderDate"][:10]),
                "gender": genders[header["CustomerID"]],
                "category": products[line["ProductID"]],
                "qty": int(line["OrderQty"]),
                "revenue": line_total.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP),
            }
        )
    return sales


def cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_kpis(sales: list[dict], f: KpiFilter, all_categories: list[str]) -> dict:
    rows = [
        s
        for s in sales
        if (f.start is None or s["date"] >= f.start)
        and (f.end is None or s["date"] <= f.end)
        and (not f.categories or s["category"] in f.categories)
        and (not f.genders or s["gender"] in f.genders)
    ]
    customers_by_gender: dict[str, set] = defaultdict(set)
    revenue_by_gender: dict[str, Decimal] = defaultdict(Decimal)
    qty_by_gender: dict[str, int] = defaultdict(int)
    per_category: dict[str, list] = defaultdict(lambda: [0, Decimal(0), set()])
    for s in rows:
        customers_by_gender[s["gender"]].add(s["customer"])
        revenue_by_gender[s["gender"]] += s["revenue"]
        qty_by_gender[s["gender"]] += s["qty"]
        per_category[s["category"]][0] += s["qty"]
        per_category[s["category"]][1] += s["revenue"]
        per_category[s["category"]][2].add(s["customer"])
    genders = ("Female", "Male", "Unknown")
    return {
        "filters": f.as_json(),
        "products_sold": sum(s["qty"] for s in rows),
        "revenue": cents(sum((s["revenue"] for s in rows), Decimal(0))),
        "orders": len({s["order"] for s in rows}),
        "customers": len({s["customer"] for s in rows}),
        "customers_by_gender": {g: len(customers_by_gender[g]) for g in genders},
        "revenue_by_gender": {g: cents(revenue_by_gender[g]) for g in genders},
        "products_sold_by_gender": {g: qty_by_gender[g] for g in genders},
        "by_category": [
            {
                "category": c,
                "products_sold": per_category[c][0],
                "revenue": cents(per_category[c][1]),
                "customers": len(per_category[c][2]),
            }
            for c in sorted(f.categories or all_categories)
        ],
    }


@pytest.fixture(scope="module")
def real_lake(tmp_path_factory, adventureworks_csv_dir, spark):
    root = tmp_path_factory.mktemp("adventureworks")
    source = root / "source.duckdb"
    import_csv(adventureworks_csv_dir, source)
    summary = run_pipeline(source, root / "lake")
    assert summary.status == "Succeeded", summary.error
    return source, root / "lake", summary


FILTERS = [
    KpiFilter(),
    KpiFilter(categories=("Bikes",)),
    KpiFilter(genders=("Female",)),
    KpiFilter(categories=("Clothing", "Accessories"), genders=("Male", "Unknown")),
    KpiFilter(start=date(2008, 6, 1), end=date(2008, 6, 1), categories=("Components",)),
    KpiFilter(start=date(2008, 6, 2)),
    KpiFilter(end=date(2008, 5, 31), genders=("Male",)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: str(f.as_json()))
def test_kpis_equal_an_independent_computation_from_the_csvs(real_lake, adventureworks_csv_dir, filters):
    _, lake, _ = real_lake
    all_categories = ["Accessories", "Bikes", "Clothing", "Components"]
    expected = expected_kpis(expected_sales(adventureworks_csv_dir), filters, all_categories)
    assert compute_kpis(lake, filters) == expected


def test_every_table_was_extracted_with_its_csv_row_count(real_lake, adventureworks_csv_dir):
    _, _, summary = real_lake
    for table, rows in summary.extracted.items():
        assert rows == len(read_csv(adventureworks_csv_dir, table)), table


def test_a_rerun_without_source_changes_extracts_nothing_and_keeps_gold(real_lake):
    from deltalake import DeltaTable

    source, lake, _ = real_lake
    versions = {t: DeltaTable(str(lake / "gold" / t)).version() for t in ("fct_sales", "agg_daily_sales")}
    before = compute_kpis(lake, KpiFilter())
    summary = run_pipeline(source, lake)
    assert summary.status == "Succeeded", summary.error
    assert sum(summary.extracted.values()) == 0
    assert compute_kpis(lake, KpiFilter()) == before
    assert {t: DeltaTable(str(lake / "gold" / t)).version() for t in versions} == versions
