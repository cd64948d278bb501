"""Quarantine: each rule with its reason, idempotent reruns, reconciliation, waiting rows that land later.

One dirty extract (run r1) is processed twice; expectations are written out by hand.
"""

from __future__ import annotations

import json

import pytest
from deltalake import DeltaTable, write_deltalake

from tests.support.bronze import address, category, customer, detail, header, product, write_bronze

pytestmark = pytest.mark.spark

CUSTOMERS = [customer(1, "Mr."), customer(2, "Ms.")]
CATEGORIES = [category(1, "Bikes"), category(5, "Mountain Bikes", 1)]
PRODUCTS = [product(10, "Bike", 5)]
HEADERS = [
    header(100, 1),
    header(101, 2),
    header(102, 999),  # unknown_customer
    header(104, 1, None),  # missing_order_date
    header(None, 1),  # null_key
    header(103, 1, Freight="1.00"),  # duplicate_key (same ModifiedDate, different content) ...
    header(103, 1, Freight="2.00"),  # ... both rows
]
# OrderQty and UnitPrice arrive as text in this extract (source drift): valid values still parse.
DETAILS = [
    detail(100, 1, 10, 2, "10"),
    detail(100, 2, 10, 0, "10"),  # non_positive_quantity
    detail(100, 3, 10, 1, "-1"),  # negative_price
    detail(100, 4, 10, 1, "10", "1.5"),  # invalid_discount
    detail(100, 5, 77, 1, "10"),  # unknown_product
    detail(555, 1, 10, 1, "10"),  # unknown_order
    detail(None, 7, 10, 1, "10"),  # null_key
    {**detail(100, 8, 10, 1, "10"), "OrderQty": "abc"},  # unparseable:OrderQty
    detail(100, 9, 10, 1, "10"),  # duplicate_key ...
    detail(100, 9, 10, 2, "10"),  # ... both rows
    detail(101, 1, 10, 1, "10"),
    detail(101, 1, 10, 1, "10"),  # an exact repeat of a good row: kept once, not a duplicate_key
]

EXPECTED = {  # (table, business_key, rule) -> (rows, is_retryable)
    ("SalesOrderHeader", "102", "unknown_customer"): (1, True),
    ("SalesOrderHeader", "104", "missing_order_date"): (1, False),
    ("SalesOrderHeader", "", "null_key"): (1, False),
    ("SalesOrderHeader", "103", "duplicate_key"): (2, False),
    ("SalesOrderDetail", "100|2", "non_positive_quantity"): (1, False),
    ("SalesOrderDetail", "100|3", "negative_price"): (1, False),
    ("SalesOrderDetail", "100|4", "invalid_discount"): (1, False),
    ("SalesOrderDetail", "100|5", "unknown_product"): (1, True),
    ("SalesOrderDetail", "555|1", "unknown_order"): (1, True),
    ("SalesOrderDetail", "", "null_key"): (1, False),
    ("SalesOrderDetail", "100|8", "unparseable:OrderQty"): (1, False),
    ("SalesOrderDetail", "100|9", "duplicate_key"): (2, False),
}


def write_dirty_extract(root) -> None:
    write_bronze(root, "Customer", "r1", CUSTOMERS)
    write_bronze(root, "ProductCategory", "r1", CATEGORIES)
    write_bronze(root, "Product", "r1", PRODUCTS)
    write_bronze(root, "SalesOrderHeader", "r1", HEADERS)
    write_bronze(root, "SalesOrderDetail", "r1", DETAILS, text_columns=("OrderQty", "UnitPrice"))


def snapshot(lake) -> dict:
    tables = ["customer", "product_category", "product", "sales_order_header", "sales_order_detail", "_quarantine"]
    return {t: sorted(map(repr, lake.rows("silver", t))) for t in tables}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory, make_lake):
    lake = make_lake(tmp_path_factory.mktemp("dirty") / "lake")
    write_dirty_extract(lake.root)
    first = lake.silver("r1")
    before = snapshot(lake)
    again = lake.silver("r1")
    return lake, first, again, before, snapshot(lake)


def test_every_rule_quarantines_its_rows_with_a_reason(dirty):
    lake, *_ = dirty
    found: dict[tuple, list[dict]] = {}
    for q in lake.quarantine():
        found.setdefault((q["source_table"], q["business_key"], q["rule"]), []).append(q)
    assert {k: (len(v), v[0]["is_retryable"]) for k, v in found.items()} == EXPECTED
    for rows in found.values():
        for q in rows:
            assert q["detail"], q
            assert (q["run_id"], q["quarantined_run_id"], q["resolved_run_id"]) == ("r1", "r1", None)
            assert q["quarantined_at"] is not None


def test_the_reason_names_the_broken_value(dirty):
    lake, *_ = dirty
    details = {(q["business_key"], q["rule"]): q["detail"] for q in lake.quarantine()}
    assert "abc" in details[("100|8", "unparseable:OrderQty")]
    assert "77" in details[("100|5", "unknown_product")]
    assert "999" in details[("102", "unknown_customer")]


def test_payload_is_the_bronze_row_as_json(dirty):
    lake, *_ = dirty
    [q] = [q for q in lake.quarantine() if q["rule"] == "unparseable:OrderQty"]
    payload = json.loads(q["payload"])
    assert payload["OrderQty"] == "abc"
    assert (payload["SalesOrderID"], payload["SalesOrderDetailID"], payload["UnitPrice"]) == (100, 8, "10")
    assert payload["_run_id"] == "r1"
    assert "_extracted_at" in payload
    [q] = [q for q in lake.quarantine() if q["rule"] == "null_key" and q["source_table"] == "SalesOrderDetail"]
    assert json.loads(q["payload"])["SalesOrderID"] is None  # NULLs are kept in the payload


def test_only_valid_rows_reach_silver(dirty):
    lake, *_ = dirty
    assert set(lake.by_key("silver", "sales_order_header", "sales_order_id")) == {100, 101}
    details = lake.by_key("silver", "sales_order_detail", "sales_order_id", "sales_order_detail_id")
    assert set(details) == {(100, 1), (101, 1)}
    assert details[(100, 1)]["order_qty"] == 2


def test_rerunning_the_same_run_changes_nothing(dirty):
    _, first, again, before, after = dirty
    assert after == before
    assert again.total("upserted") == 0
    assert again.total("quarantined") == 0
    assert first.total("quarantined") == sum(n for n, _ in EXPECTED.values())


def test_reconciliation_every_source_key_is_in_silver_or_open_quarantine(dirty):
    lake, *_ = dirty
    bronze = {
        "SalesOrderHeader": (HEADERS, ("SalesOrderID",), "sales_order_header"),
        "SalesOrderDetail": (DETAILS, ("SalesOrderID", "SalesOrderDetailID"), "sales_order_detail"),
        "Customer": (CUSTOMERS, ("CustomerID",), "customer"),
        "Product": (PRODUCTS, ("ProductID",), "product"),
    }
    for table, (rows, key, silver_table) in bronze.items():
        source_keys = {"" if any(r[k] is None for k in key) else "|".join(str(r[k]) for k in key) for r in rows}
        silver_keys = {"|".join(str(r[_snake(k)]) for k in key) for r in lake.rows("silver", silver_table)}
        waiting = {q["business_key"] for q in lake.open_quarantine(table)} - silver_keys
        assert len(source_keys) == len(silver_keys) + len(waiting), table
        assert source_keys == silver_keys | waiting, table


def _snake(column: str) -> str:
    return {"SalesOrderID": "sales_order_id", "SalesOrderDetailID": "sales_order_detail_id",
            "CustomerID": "customer_id", "ProductID": "product_id"}[column]  # fmt: skip


def test_a_waiting_line_lands_in_silver_and_gold_once_its_product_arrives(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(1, "Ms.")])
    write_bronze(lake.root, "ProductCategory", "r1", CATEGORIES)
    write_bronze(lake.root, "Product", "r1", PRODUCTS)
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 1, order_date="2024-03-01")])
    write_bronze(lake.root, "SalesOrderDetail", "r1", [detail(100, 1, 10, 1, "10"), detail(100, 2, 77, 3, "5")])
    lake.silver("r1")
    lake.gold("g1")
    assert [q["rule"] for q in lake.open_quarantine()] == ["unknown_product"]
    assert len(lake.rows("gold", "fct_sales")) == 1

    write_bronze(lake.root, "Product", "r2", [product(77, "Late bike", 5)])  # the product, in a later extract
    summary = lake.silver("r2")
    lake.gold("g2")

    assert summary.total("resolved") == 1
    [q] = lake.quarantine()
    assert (q["rule"], q["run_id"], q["resolved_run_id"]) == ("unknown_product", "r1", "r2")
    line = lake.by_key("silver", "sales_order_detail", "sales_order_id", "sales_order_detail_id")[(100, 2)]
    assert line["_run_id"] == "r2"
    fct = lake.by_key("gold", "fct_sales", "sales_order_id", "sales_order_detail_id")
    assert fct[(100, 2)]["product_name"] == "Late bike"
    [cell] = lake.rows("gold", "agg_daily_sales")
    assert (cell["products_sold"], str(cell["revenue"]), cell["order_lines"]) == (4, "25.000000", 2)

    lake.silver("r2")  # a rerun neither retries nor resolves again
    assert len(lake.quarantine()) == 1


def test_a_waiting_row_still_waiting_is_not_quarantined_twice(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(1)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 42)])
    lake.silver("r1")
    write_bronze(lake.root, "Customer", "r2", [customer(2)])
    lake.silver("r2")
    [q] = lake.quarantine()
    assert (q["rule"], q["run_id"], q["resolved_run_id"]) == ("unknown_customer", "r1", None)
    write_bronze(lake.root, "Customer", "r3", [customer(42)])
    lake.silver("r3")
    [q] = lake.quarantine()
    assert q["resolved_run_id"] == "r3"
    assert lake.by_key("silver", "sales_order_header", "sales_order_id")[100]["customer_id"] == 42


def test_a_waiting_row_is_retried_from_the_one_folder_it_came_from(lake):
    """The quarantine row records its folder's load date, so the retry reads that folder, not every day's."""
    write_bronze(lake.root, "Customer", "r1", [customer(1)], load_date="2024-01-02")
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 42)], load_date="2024-01-02")
    lake.silver("r1", load_date="2024-01-02")
    [q] = lake.quarantine()
    assert (q["rule"], q["load_date"]) == ("unknown_customer", "2024-01-02")
    # the same run id and key under another date: read too, it would make key 100 a duplicate_key
    decoy = header(100, 42, Freight="9.00")
    write_bronze(lake.root, "SalesOrderHeader", "r1", [decoy], load_date="2024-01-03", part=1)
    write_bronze(lake.root, "Customer", "r2", [customer(42)], load_date="2024-01-04")
    lake.silver("r2", load_date="2024-01-04")
    [q] = lake.quarantine()
    assert q["resolved_run_id"] == "r2"
    assert str(lake.by_key("silver", "sales_order_header", "sales_order_id")[100]["freight"]) == "2.5000"


def test_a_quarantine_from_before_load_dates_gets_the_column_and_its_rows_still_retry(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(1)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 42)])
    lake.silver("r1")
    path = str(lake.path("silver", "_quarantine"))
    old = DeltaTable(path).to_pyarrow_table().drop_columns(["load_date"])
    write_deltalake(path, old, mode="overwrite", schema_mode="overwrite")  # the table as an older job wrote it
    write_bronze(lake.root, "Customer", "r2", [customer(42)])
    lake.silver("r2")
    [q] = lake.quarantine()
    assert (q["rule"], q["load_date"], q["resolved_run_id"]) == ("unknown_customer", None, "r2")
    assert lake.by_key("silver", "sales_order_header", "sales_order_id")[100]["customer_id"] == 42


def test_a_bad_row_is_resolved_by_a_newer_good_version_of_its_key(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(1)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(100, 1)])
    write_bronze(lake.root, "Product", "r1", [product(10, "P", None)])
    write_bronze(lake.root, "SalesOrderDetail", "r1", [detail(100, 1, 10, 1, "-5")])
    lake.silver("r1")
    write_bronze(lake.root, "SalesOrderDetail", "r2", [detail(100, 1, 10, 1, "5", modified="2024-02-01")])
    lake.silver("r2")
    [q] = lake.quarantine()
    assert (q["rule"], q["resolved_run_id"]) == ("negative_price", "r2")


def test_rejections_of_tables_processed_side_by_side_all_land_once(lake):
    """Customer and Address are in the same dependency wave (processed in parallel): both quarantine."""
    write_bronze(lake.root, "Customer", "r1", [customer(1), customer(None), customer(2), customer(2, "Ms.")])
    write_bronze(
        lake.root,
        "Address",
        "r1",
        [address(1), {**address(2), "AddressID": "abc"}, {**address(3), "ModifiedDate": "yesterday"}],
        text_columns=("AddressID", "ModifiedDate"),
    )
    lake.silver("r1")
    lake.silver("r1")
    got = sorted((q["source_table"], q["business_key"], q["rule"]) for q in lake.quarantine())
    assert got == [
        ("Address", "3", "unparseable:ModifiedDate"),
        ("Address", "abc", "unparseable:AddressID"),
        ("Customer", "", "null_key"),
        ("Customer", "2", "duplicate_key"),
        ("Customer", "2", "duplicate_key"),
    ]
    assert set(lake.by_key("silver", "address", "address_id")) == {1}
    assert set(lake.by_key("silver", "customer", "customer_id")) == {1}
