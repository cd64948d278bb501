"""Data edge cases, end to end: a hand-made DuckDB source -> `insights run`'s pipeline -> silver, quarantine, gold,
the serving views.

Each case is either quarantined with its reason (order dates out of range, a 10,000-character name, one key
twice with different content) or kept intact (emoji and other non-Latin text, one line id under two orders,
a header whose customer is later deleted from the source); every source row is in silver or in quarantine.
Expected values are written out by hand from the rows below (docs/data-contract.md, "Edge cases").
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from insights.local.pipeline import run_pipeline
from insights.local.source.schema import KEYS, TABLE_NAMES, ddl
from insights.serving.kpis import KpiFilter, compute_kpis
from insights_jobs.contract import BY_SOURCE

pytestmark = [pytest.mark.e2e, pytest.mark.spark]

LONG_NAME = "x" * 10_000
EMOJI_FIRST, CJK_LAST = "Zoë 😀", "李小龍"
BIKES_FR, MOUNTAIN_RU = "Vélos 🚲 自転車", "Горные 🏔"
BIKE_RU = "Велосипед 🚲"
WHEN = "2024-03-05 10:00:00"

CATEGORIES = [(1, None, "Bikes"), (5, 1, "Mountain Bikes"), (2, None, BIKES_FR), (6, 2, MOUNTAIN_RU)]
PRODUCTS = [(10, "Bike", 5, "100.00"), (20, BIKE_RU, 6, "50.00")]
CUSTOMERS = [
    (1, "Mr.", "John", "Smith"),
    (2, "Ms.", EMOJI_FIRST, CJK_LAST),  # valid: kept intact
    (3, "Mr.", LONG_NAME, "Long"),  # too_long:FirstName
    (4, "Mrs.", "Ann", "Gone"),  # deleted from the source after the first run
]
HEADERS = [  # (SalesOrderID, CustomerID, OrderDate)
    (100, 1, "2024-03-01"),
    (101, 2, "2024-03-02"),
    (102, 1, "9999-12-31"),  # order_date_out_of_range
    (103, 1, "1899-12-31"),  # order_date_out_of_range
    (104, 3, "2024-03-03"),  # unknown_customer: its customer was quarantined
    (105, 4, "2024-03-04"),
]
DETAILS = [  # (SalesOrderID, SalesOrderDetailID, ProductID, OrderQty, UnitPrice)
    (100, 1, 10, 2, "100.00"),
    (101, 2, 20, 1, "50.00"),
    (101, 3, 20, 3, "50.00"),
    (102, 4, 10, 1, "100.00"),  # unknown_order (its header is out of range)
    (103, 5, 10, 1, "100.00"),  # unknown_order
    (104, 6, 10, 1, "100.00"),  # unknown_order (its header waits for its customer)
    (105, 7, 10, 1, "100.00"),
    (100, 8, 10, 1, "100.00"),  # line id 8 under two orders: two lines, both kept (the key is the pair) ...
    (101, 8, 20, 1, "50.00"),  # ...
    (100, 9, 10, 1, "100.00"),  # duplicate_key: the same key and ModifiedDate, other content ...
    (100, 9, 10, 5, "100.00"),  # ... both rows
]

EXPECTED_QUARANTINE = {  # (table, business key, rule)
    ("Customer", "3", "too_long:FirstName"),
    ("SalesOrderHeader", "102", "order_date_out_of_range"),
    ("SalesOrderHeader", "103", "order_date_out_of_range"),
    ("SalesOrderHeader", "104", "unknown_customer"),
    ("SalesOrderDetail", "102|4", "unknown_order"),
    ("SalesOrderDetail", "103|5", "unknown_order"),
    ("SalesOrderDetail", "104|6", "unknown_order"),
    ("SalesOrderDetail", "100|9", "duplicate_key"),
}


def make_source(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(ddl())
        con.executemany(
            "INSERT INTO SalesLT.ProductCategory VALUES (?, ?, ?, uuid(), ?)", [(*c, WHEN) for c in CATEGORIES]
        )
        con.executemany(
            "INSERT INTO SalesLT.Product (ProductID, Name, ProductNumber, ProductCategoryID, ListPrice, "
            "StandardCost, SellStartDate, rowguid, ModifiedDate) VALUES (?, ?, ?, ?, ?, 1, ?, uuid(), ?)",
            [(pid, name, f"BK-{pid}", cat, price, WHEN, WHEN) for pid, name, cat, price in PRODUCTS],
        )
        con.executemany(
            "INSERT INTO SalesLT.Customer (CustomerID, NameStyle, Title, FirstName, LastName, EmailAddress, "
            "PasswordHash, PasswordSalt, rowguid, ModifiedDate) VALUES (?, false, ?, ?, ?, ?, 'h', 's', uuid(), ?)",
            [(cid, title, first, last, f"c{cid}@example.com", WHEN) for cid, title, first, last in CUSTOMERS],
        )
        con.executemany(
            "INSERT INTO SalesLT.SalesOrderHeader (SalesOrderID, RevisionNumber, OrderDate, DueDate, Status, "
            "OnlineOrderFlag, CustomerID, ShipMethod, SubTotal, TaxAmt, Freight, rowguid, ModifiedDate) "
            "VALUES (?, 1, ?, ?, 5, true, ?, 'CARGO', 0, 0, 0, uuid(), ?)",
            [(oid, day, day, cid, WHEN) for oid, cid, day in HEADERS],
        )
        con.executemany(
            "INSERT INTO SalesLT.SalesOrderDetail (SalesOrderID, SalesOrderDetailID, OrderQty, ProductID, "
            "UnitPrice, UnitPriceDiscount, rowguid, ModifiedDate) VALUES (?, ?, ?, ?, ?, 0, uuid(), ?)",
            [(oid, lid, qty, pid, price, WHEN) for oid, lid, pid, qty, price in DETAILS],
        )


def rows(lake: Path, layer: str, table: str) -> list[dict]:
    return DeltaTable(str(lake / layer / table)).to_pyarrow_table().to_pylist()


def open_quarantine(lake: Path) -> list[dict]:
    return [q for q in rows(lake, "silver", "_quarantine") if q["resolved_run_id"] is None]


def assert_reconciled(source: Path, lake: Path) -> set[tuple[str, str]]:
    """Every source key is in silver or open in quarantine; returns the silver keys the source no longer has."""
    waiting = {(q["source_table"], q["business_key"]) for q in open_quarantine(lake)}
    extra = set()
    with duckdb.connect(str(source), read_only=True) as con:
        for table in TABLE_NAMES:
            key = ", ".join(f"CAST({k} AS VARCHAR)" for k in KEYS[table])
            in_source = {"|".join(r) for r in con.execute(f"SELECT DISTINCT {key} FROM SalesLT.{table}").fetchall()}
            spec = BY_SOURCE[table]
            in_silver = (
                {"|".join(str(r[k]) for k in spec.silver_key) for r in rows(lake, "silver", spec.silver)}
                if (lake / "silver" / spec.silver).exists()
                else set()
            )
            missing = in_source - in_silver - {k for t, k in waiting if t == table}
            assert not missing, (table, missing)
            extra |= {(table, k) for k in in_silver - in_source}
    return extra


@pytest.fixture(scope="module")
def first_run(spark, tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("edge")
    source, lake = folder / "source.duckdb", folder / "lake"
    make_source(source)
    summary = run_pipeline(source, lake)
    assert summary.status == "Succeeded", summary.error
    return source, lake


def test_each_edge_case_is_quarantined_with_its_reason(first_run) -> None:
    _, lake = first_run
    quarantined = open_quarantine(lake)
    assert {(q["source_table"], q["business_key"], q["rule"]) for q in quarantined} == EXPECTED_QUARANTINE
    detail = {(q["business_key"], q["rule"]): q["detail"] for q in quarantined}
    assert detail[("3", "too_long:FirstName")] == "FirstName is 10000 characters long; its source column holds 50"
    assert detail[("102", "order_date_out_of_range")] == (
        "OrderDate is before 1900-01-01 or not before 2100-01-01: 9999-12-31 00:00:00"
    )
    assert detail[("103", "order_date_out_of_range")].endswith(": 1899-12-31 00:00:00")
    assert detail[("100|9", "duplicate_key")] == (
        "another row with this key and the same ModifiedDate 2024-03-05 10:00:00 has different content"
    )


def test_non_latin_text_and_emoji_are_kept_intact_from_bronze_to_the_views(first_run) -> None:
    _, lake = first_run
    (bronze,) = (lake / "bronze" / "SalesLT" / "Customer").glob("*/*/Customer.parquet")
    bronze_names = {r["CustomerID"]: (r["FirstName"], r["LastName"]) for r in pq.read_table(bronze).to_pylist()}
    assert bronze_names[2] == (EMOJI_FIRST, CJK_LAST)
    silver = {r["customer_id"]: r for r in rows(lake, "silver", "customer")}
    assert (silver[2]["first_name"], silver[2]["last_name"], silver[2]["gender"]) == (EMOJI_FIRST, CJK_LAST, "Female")
    dim = {r["customer_id"]: r for r in rows(lake, "gold", "dim_customer")}
    assert (dim[2]["first_name"], dim[2]["last_name"]) == (EMOJI_FIRST, CJK_LAST)
    fct = {(r["sales_order_id"], r["sales_order_detail_id"]): r for r in rows(lake, "gold", "fct_sales")}
    assert sorted(fct) == [(100, 1), (100, 8), (101, 2), (101, 3), (101, 8), (105, 7)]
    assert (fct[(101, 2)]["product_name"], fct[(101, 2)]["category"], fct[(101, 2)]["subcategory"]) == (
        BIKE_RU,
        BIKES_FR,
        MOUNTAIN_RU,
    )
    kpis = compute_kpis(lake, KpiFilter())
    # Bikes: (100,1) 2 x 100 + (100,8) 1 x 100 + (105,7) 1 x 100
    # Vélos: (101,2) 1 x 50 + (101,3) 3 x 50 + (101,8) 1 x 50
    assert {c["category"]: c["revenue"] for c in kpis["by_category"]} == {"Bikes": "400.00", BIKES_FR: "250.00"}
    assert compute_kpis(lake, KpiFilter(categories=(BIKES_FR,)))["products_sold"] == 5


def test_every_source_row_is_in_silver_or_in_quarantine(first_run) -> None:
    source, lake = first_run
    assert assert_reconciled(source, lake) == set()


def test_a_header_whose_customer_is_deleted_later_stays_with_the_customer_last_seen(first_run) -> None:
    """A hard delete is invisible to extraction by ModifiedDate: silver keeps the customer as last seen, so the
    order re-extracted later still finds it and keeps its gender; nothing is quarantined."""
    source, lake = first_run
    with duckdb.connect(str(source)) as con:
        con.execute("DELETE FROM SalesLT.Customer WHERE CustomerID = 4")
        con.execute(
            "UPDATE SalesLT.SalesOrderHeader SET Comment = 'gift', ModifiedDate = '2024-03-06' WHERE SalesOrderID = 105"
        )
    summary = run_pipeline(source, lake)
    assert summary.status == "Succeeded", summary.error
    assert summary.extracted["SalesOrderHeader"] == 1
    headers = {r["sales_order_id"]: r for r in rows(lake, "silver", "sales_order_header")}
    assert headers[105]["comment"] == "gift"
    fct = {(r["sales_order_id"], r["sales_order_detail_id"]): r for r in rows(lake, "gold", "fct_sales")}
    assert (fct[(105, 7)]["customer_id"], fct[(105, 7)]["gender"]) == (4, "Female")
    assert {(q["source_table"], q["business_key"], q["rule"]) for q in open_quarantine(lake)} == EXPECTED_QUARANTINE
    assert assert_reconciled(source, lake) == {("Customer", "4")}
