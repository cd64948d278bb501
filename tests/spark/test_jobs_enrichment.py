"""Silver enrichment: gender from the title (reference data), top-level category by walking the parents."""

from __future__ import annotations

import pytest

from insights_jobs.silver.enrich import top_level, with_gender, with_top_level_category
from tests.support.bronze import category, customer, product, write_bronze

pytestmark = pytest.mark.spark

TITLES = [
    (" MR. ", "Male"), ("Mr.", "Male"), ("sr.", "Male"), ("Ms.", "Female"), ("Mrs.", "Female"),
    ("MISS", "Female"), ("Sra.", "Female"), ("  Srta. ", "Female"), ("Dr.", "Unknown"), ("", "Unknown"),
    ("Mr", "Unknown"), (None, "Unknown"),
]  # fmt: skip


def test_gender_comes_from_the_title_trimmed_and_case_insensitive(spark):
    df = spark.createDataFrame([(i, t) for i, (t, _) in enumerate(TITLES)], "customer_id int, title string")
    got = {r.customer_id: r.gender for r in with_gender(df).collect()}
    assert got == {i: g for i, (_, g) in enumerate(TITLES)}


def test_silver_customers_carry_their_gender(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(1, " MR. "), customer(2, "Sra."), customer(3, "Dr."),
                                               customer(4, None)])  # fmt: skip
    lake.silver("r1")
    rows = lake.by_key("silver", "customer", "customer_id")
    assert {k: (r["title"], r["gender"]) for k, r in rows.items()} == {
        1: ("MR.", "Male"),
        2: ("Sra.", "Female"),
        3: ("Dr.", "Unknown"),
        4: (None, "Unknown"),
    }


def test_top_level_walks_any_depth_and_gives_up_on_orphans_and_cycles():
    parents = {1: None, 5: 1, 9: 5, 12: 9, 7: 99, 20: 21, 21: 20}
    assert [top_level(c, parents) for c in (1, 5, 9, 12)] == [1, 1, 1, 1]
    assert top_level(7, parents) is None  # its parent 99 does not exist
    assert top_level(20, parents) is None  # a cycle never reaches a root


def test_with_top_level_category_adds_id_and_name(spark):
    categories = spark.createDataFrame(
        [(1, None, "Bikes"), (5, 1, "Mountain Bikes"), (9, 5, "Trail"), (12, 9, "Trail XL"), (7, 99, "Orphan")],
        "product_category_id int, parent_product_category_id int, name string",
    )
    got = {r.product_category_id: (r.top_level_category_id, r.top_level_category_name)
           for r in with_top_level_category(categories).collect()}  # fmt: skip
    assert got == {1: (1, "Bikes"), 5: (1, "Bikes"), 9: (1, "Bikes"), 12: (1, "Bikes"), 7: (None, None)}


def test_a_renamed_root_renames_the_top_level_of_every_descendant_in_silver_and_gold(lake):
    write_bronze(lake.root, "ProductCategory", "r1", [category(1, "Bikes"), category(5, "Mountain Bikes", 1),
                                                      category(9, "Trail", 5)])  # fmt: skip
    write_bronze(lake.root, "Product", "r1", [product(10, "Trail-1", 9)])
    write_bronze(lake.root, "Customer", "r1", [customer(1)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [])
    write_bronze(lake.root, "SalesOrderDetail", "r1", [])
    lake.silver("r1")
    lake.gold("g1")
    assert lake.rows("gold", "dim_product")[0]["category"] == "Bikes"

    write_bronze(lake.root, "ProductCategory", "r2", [category(1, "Bicycles", modified="2024-02-01")])
    lake.silver("r2")
    lake.gold("g2")

    tops = {r["product_category_id"]: r["top_level_category_name"] for r in lake.rows("silver", "product_category")}
    assert tops == {1: "Bicycles", 5: "Bicycles", 9: "Bicycles"}
    [p] = lake.rows("gold", "dim_product")
    assert (p["category"], p["subcategory"]) == ("Bicycles", "Trail")
