"""Silver, table by table: contract types, snake_case names, trimmed strings, one row per key (the latest).

Expected column names and values are written out by hand here, not derived from the jobs' contract.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.support.bronze import category, customer, detail, header, product, write_bronze

pytestmark = pytest.mark.spark

UTC = dt.UTC
META = ["_run_id", "_updated_at"]
OLD, NEW = "2024-01-01", "2024-02-01"

# table -> (silver name, expected columns, key builder, text column checked for trimming, parents to write)
CASES = {
    "ProductCategory": (
        "product_category",
        ["product_category_id", "parent_product_category_id", "name", "rowguid", "modified_date",
         "top_level_category_id", "top_level_category_name"],
        lambda k: {"ProductCategoryID": k},
        "Name",
    ),
    "ProductModel": (
        "product_model",
        ["product_model_id", "name", "catalog_description", "rowguid", "modified_date"],
        lambda k: {"ProductModelID": k},
        "Name",
    ),
    "ProductDescription": (
        "product_description",
        ["product_description_id", "description", "rowguid", "modified_date"],
        lambda k: {"ProductDescriptionID": k},
        "Description",
    ),
    "ProductModelProductDescription": (
        "product_model_product_description",
        ["product_model_id", "product_description_id", "culture", "rowguid", "modified_date"],
        lambda k: {"ProductModelID": k, "ProductDescriptionID": k + 100, "Culture": "en    "},
        "rowguid",
    ),
    "Product": (
        "product",
        ["product_id", "name", "product_number", "color", "standard_cost", "list_price", "size", "weight",
         "product_category_id", "product_model_id", "sell_start_date", "sell_end_date", "discontinued_date",
         "thumb_nail_photo", "thumbnail_photo_file_name", "rowguid", "modified_date"],
        lambda k: {"ProductID": k},
        "Name",
    ),
    "Customer": (
        "customer",
        ["customer_id", "name_style", "title", "first_name", "middle_name", "last_name", "suffix",
         "company_name", "sales_person", "email_address", "phone", "password_hash", "password_salt",
         "rowguid", "modified_date", "gender"],
        lambda k: {"CustomerID": k},
        "FirstName",
    ),
    "Address": (
        "address",
        ["address_id", "address_line1", "address_line2", "city", "state_province", "country_region",
         "postal_code", "rowguid", "modified_date"],
        lambda k: {"AddressID": k},
        "City",
    ),
    "CustomerAddress": (
        "customer_address",
        ["customer_id", "address_id", "address_type", "rowguid", "modified_date"],
        lambda k: {"CustomerID": k, "AddressID": k + 100},
        "AddressType",
    ),
    "SalesOrderHeader": (
        "sales_order_header",
        ["sales_order_id", "revision_number", "order_date", "due_date", "ship_date", "status",
         "online_order_flag", "sales_order_number", "purchase_order_number", "account_number", "customer_id",
         "ship_to_address_id", "bill_to_address_id", "ship_method", "credit_card_approval_code", "sub_total",
         "tax_amt", "freight", "total_due", "comment", "rowguid", "modified_date"],
        lambda k: {"SalesOrderID": k, "CustomerID": 1, "OrderDate": "2024-01-01"},
        "Comment",
    ),
    "SalesOrderDetail": (
        "sales_order_detail",
        ["sales_order_id", "sales_order_detail_id", "order_qty", "product_id", "unit_price",
         "unit_price_discount", "line_total", "rowguid", "modified_date"],
        lambda k: {"SalesOrderID": 1, "SalesOrderDetailID": k, "ProductID": 1, "OrderQty": 1, "UnitPrice": "1",
                   "UnitPriceDiscount": "0", "LineTotal": "1"},
        "rowguid",
    ),
}  # fmt: skip

PARENTS = {  # rows the referencing tables need in silver first
    "SalesOrderHeader": [("Customer", [customer(1)])],
    "SalesOrderDetail": [("Customer", [customer(1)]), ("SalesOrderHeader", [header(1, 1)]),
                         ("Product", [product(1, "P", None)])],
}  # fmt: skip


@pytest.mark.parametrize("table", list(CASES))
def test_silver_table_is_typed_snake_case_trimmed_and_has_the_latest_version_per_key(lake, table):
    silver_name, columns, key_of, text = CASES[table]
    for parent, rows in PARENTS.get(table, []):
        write_bronze(lake.root, parent, "r1", rows)
    rows = [
        {**key_of(1), text: "old", "rowguid": "g1", "ModifiedDate": OLD},
        {**key_of(1), text: "  new value   ", "rowguid": "g1", "ModifiedDate": NEW},
        {**key_of(2), text: "two", "rowguid": "g2", "ModifiedDate": OLD},
    ]
    if text == "rowguid":
        rows[0]["rowguid"], rows[1]["rowguid"] = "old", "  new value   "
    write_bronze(lake.root, table, "r1", rows)

    lake.silver("r1")

    silver = lake.rows("silver", silver_name)
    assert list(silver[0]) == columns + META
    assert len(silver) == 2
    [latest] = [r for r in silver if r[_snake(text)] not in ("two", "g2")]
    assert latest[_snake(text)] == "new value"
    assert latest["modified_date"] == dt.datetime(2024, 2, 1, tzinfo=UTC)
    assert {r["_run_id"] for r in silver} == {"r1"}
    if table == "ProductModelProductDescription":
        assert {r["culture"] for r in silver} == {"en"}


def _snake(source_column: str) -> str:
    return {"Name": "name", "Description": "description", "FirstName": "first_name", "City": "city",
            "AddressType": "address_type", "Comment": "comment", "rowguid": "rowguid"}[source_column]  # fmt: skip


def test_order_tables_get_contract_types_from_sql_server_types(lake):
    write_bronze(lake.root, "Customer", "r1", [customer(7, "Mr.", NameStyle=True)])
    write_bronze(lake.root, "Product", "r1", [product(70, "Bike", None, list_price="1431.5")])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [
        header(500, 7, order_date="2024-03-04 00:00:00", status=5, SubTotal="880.3484", TaxAmt="70.4279",
               Freight="22.0087", TotalDue="972.785", OnlineOrderFlag=True),
    ])  # fmt: skip
    write_bronze(lake.root, "SalesOrderDetail", "r1", [detail(500, 1, 70, 3, "356.898", "0.02")])

    lake.silver("r1")

    h = lake.rows("silver", "sales_order_header")[0]
    assert (h["status"], h["revision_number"], h["online_order_flag"]) == (5, 2, True)
    assert h["order_date"] == dt.datetime(2024, 3, 4, tzinfo=UTC)
    assert (h["sub_total"], h["total_due"]) == (Decimal("880.3484"), Decimal("972.7850"))
    d = lake.rows("silver", "sales_order_detail")[0]
    assert (d["order_qty"], d["unit_price"], d["unit_price_discount"]) == (3, Decimal("356.8980"), Decimal("0.0200"))
    assert d["line_total"] == Decimal("1049.280120")  # 356.898 * 0.98 * 3
    c = lake.rows("silver", "customer")[0]
    assert c["name_style"] is True
    p = lake.rows("silver", "product")[0]
    assert (p["list_price"], p["weight"], p["thumb_nail_photo"]) == (Decimal("1431.5000"), Decimal("1.50"), b"GIF89a")


def test_columns_drifted_to_text_are_parsed(lake):
    """A source that sends numbers and dates as text still lands typed (try-cast, surrounding spaces ignored)."""
    write_bronze(lake.root, "Customer", "r1", [customer(1)])
    write_bronze(lake.root, "SalesOrderHeader", "r1", [header(1, 1)])
    write_bronze(lake.root, "Product", "r1", [product(9, "P", None)])
    write_bronze(
        lake.root, "SalesOrderDetail", "r1",
        [detail(1, 1, 9, 4, "12.5", ModifiedDate="2024-05-06 07:08:09")],
        text_columns=("OrderQty", "UnitPrice", "ModifiedDate", "SalesOrderDetailID"),
    )  # fmt: skip

    lake.silver("r1")

    d = lake.rows("silver", "sales_order_detail")[0]
    assert (d["sales_order_detail_id"], d["order_qty"], d["unit_price"]) == (1, 4, Decimal("12.5000"))
    assert d["modified_date"] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_a_column_missing_from_the_extract_is_null_not_an_error(lake):
    write_bronze(
        lake.root,
        "ProductModel",
        "r1",
        [{"ProductModelID": 1, "Name": "M", "rowguid": "g", "ModifiedDate": OLD}],
        drop_columns=("CatalogDescription",),
    )
    lake.silver("r1")
    assert lake.rows("silver", "product_model")[0]["catalog_description"] is None


def test_an_older_version_arriving_later_does_not_overwrite_silver(lake):
    write_bronze(lake.root, "ProductCategory", "r1", [category(1, "Bikes", modified=NEW)])
    lake.silver("r1")
    write_bronze(lake.root, "ProductCategory", "r2", [category(1, "Old name", modified=OLD)])
    lake.silver("r2")
    [row] = lake.rows("silver", "product_category")
    assert (row["name"], row["_run_id"]) == ("Bikes", "r1")
