"""The SalesLT schema of the local source: real column names, faithful types, computed columns, and
no constraints (so dirty rows fit). Expected values are written by hand or read from the real CSVs."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from insights.local.source import schema
from insights.local.source.catalog import load_data

TABLES = [
    "Customer",
    "Address",
    "CustomerAddress",
    "Product",
    "ProductCategory",
    "ProductModel",
    "ProductDescription",
    "ProductModelProductDescription",
    "SalesOrderHeader",
    "SalesOrderDetail",
]


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    schema.create_schema(c)
    yield c
    c.close()


def csv_header(csv_dir: Path, table: str) -> list[str]:
    with (csv_dir / f"SalesLT.{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def described(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f'DESCRIBE SalesLT."{table}"').fetchall()}


def test_the_ten_tables_exist(con):
    names = {
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'SalesLT'").fetchall()
    }
    assert names == set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_stored_columns_are_the_real_export_columns_in_order(adventureworks_csv_dir, table):
    assert schema.stored_columns(table) == csv_header(adventureworks_csv_dir, table)


def test_select_star_has_the_computed_columns_where_sql_server_puts_them(con, adventureworks_csv_dir):
    header = csv_header(adventureworks_csv_dir, "SalesOrderHeader")
    expected = [*header[:7], "SalesOrderNumber", *header[7:17], "TotalDue", *header[17:]]
    assert expected[6:9] == ["OnlineOrderFlag", "SalesOrderNumber", "PurchaseOrderNumber"]
    assert list(described(con, "SalesOrderHeader")) == expected
    detail = csv_header(adventureworks_csv_dir, "SalesOrderDetail")
    assert list(described(con, "SalesOrderDetail")) == [*detail[:6], "LineTotal", *detail[6:]]


@pytest.mark.parametrize("table", TABLES)
def test_every_table_has_modified_date_and_rowguid(con, table):
    cols = described(con, table)
    assert cols["ModifiedDate"] == "TIMESTAMP"
    assert cols["rowguid"] == "UUID"


@pytest.mark.parametrize(
    ("table", "column", "duck_type"),
    [
        ("SalesOrderHeader", "SubTotal", "DECIMAL(19,4)"),  # money
        ("SalesOrderHeader", "TotalDue", "DECIMAL(19,4)"),
        ("SalesOrderHeader", "OrderDate", "TIMESTAMP"),  # datetime
        ("SalesOrderHeader", "OnlineOrderFlag", "BOOLEAN"),  # bit
        ("SalesOrderHeader", "Status", "SMALLINT"),  # tinyint
        ("SalesOrderHeader", "RevisionNumber", "SMALLINT"),
        ("SalesOrderHeader", "SalesOrderNumber", "VARCHAR"),
        ("SalesOrderHeader", "SalesOrderID", "INTEGER"),
        ("SalesOrderDetail", "OrderQty", "SMALLINT"),  # smallint
        ("SalesOrderDetail", "UnitPriceDiscount", "DECIMAL(19,4)"),
        ("SalesOrderDetail", "LineTotal", "DECIMAL(38,6)"),  # numeric(38,6)
        ("Product", "Weight", "DECIMAL(8,2)"),  # decimal(8,2) as is
        ("Product", "ThumbNailPhoto", "BLOB"),  # varbinary(max)
        ("Customer", "NameStyle", "BOOLEAN"),
        ("Customer", "Title", "VARCHAR"),
        ("ProductModel", "CatalogDescription", "VARCHAR"),  # xml
        ("ProductModelProductDescription", "Culture", "VARCHAR"),  # nchar(6)
    ],
)
def test_sql_server_types_are_mapped_faithfully(con, table, column, duck_type):
    assert described(con, table)[column] == duck_type


def test_no_constraints_are_declared(con):
    rows = con.execute("SELECT * FROM duckdb_constraints() WHERE schema_name = 'SalesLT'").fetchall()
    assert rows == []


def test_duplicate_and_null_keys_fit(con):
    for _ in range(2):
        con.execute("INSERT INTO SalesLT.Customer (CustomerID, FirstName) VALUES (1, 'A')")
    con.execute("INSERT INTO SalesLT.Customer (CustomerID, FirstName) VALUES (NULL, 'B')")
    con.execute(
        "INSERT INTO SalesLT.SalesOrderDetail (SalesOrderID, SalesOrderDetailID, OrderQty) VALUES (NULL, NULL, -1)"
    )
    assert con.execute("SELECT count(*) FROM SalesLT.Customer").fetchall()[0][0] == 3


def test_computed_columns_follow_sql_server(con):
    con.execute(
        """INSERT INTO SalesLT.SalesOrderDetail
             (SalesOrderID, SalesOrderDetailID, OrderQty, UnitPrice, UnitPriceDiscount)
           VALUES (1, 1, 6, 112.998, 0.40), (1, 2, 5, 1.2345, 0.0001), (1, 3, NULL, 10, 0)"""
    )
    totals = con.execute("SELECT LineTotal FROM SalesLT.SalesOrderDetail ORDER BY SalesOrderDetailID").fetchall()
    # By hand: 112.998 x 0.6 x 6 = 406.7928. SQL Server rounds UnitPrice x (1 - discount) to 6 places
    # before multiplying by OrderQty: 1.2345 x 0.9999 = 1.23437655 -> 1.234377, x 5 = 6.171885.
    # A NULL quantity gives ISNULL(..., 0.0) = 0.
    assert [t[0] for t in totals] == [Decimal("406.792800"), Decimal("6.171885"), Decimal("0.000000")]

    con.execute(
        """INSERT INTO SalesLT.SalesOrderHeader (SalesOrderID, SubTotal, TaxAmt, Freight)
           VALUES (71774, 880.3484, 70.4279, 22.0087), (NULL, NULL, 1, 1)"""
    )
    rows = con.execute(
        "SELECT SalesOrderNumber, TotalDue FROM SalesLT.SalesOrderHeader ORDER BY SalesOrderID"
    ).fetchall()
    assert rows == [("SO71774", Decimal("972.7850")), ("*** ERROR ***", Decimal("0.0000"))]


def test_computed_columns_reach_parquet(con, tmp_path):
    con.execute(
        """INSERT INTO SalesLT.SalesOrderDetail
             (SalesOrderID, SalesOrderDetailID, OrderQty, ProductID, UnitPrice, UnitPriceDiscount,
              rowguid, ModifiedDate)
           VALUES (71774, 110562, 2, 836, 356.898, 0.00, 'e3a1994c-7a68-4ce8-96a3-77fdd3bbd730', '2008-06-01')"""
    )
    con.execute("INSERT INTO SalesLT.SalesOrderHeader (SalesOrderID, SubTotal, TaxAmt, Freight) VALUES (5, 1, 2, 3)")
    for table in ("SalesOrderDetail", "SalesOrderHeader"):
        con.execute(f"COPY SalesLT.{table} TO '{tmp_path / table}.parquet' (FORMAT parquet)")
        con.execute(f"COPY (SELECT * FROM SalesLT.{table}) TO '{tmp_path / table}_star.parquet' (FORMAT parquet)")
    for suffix in ("", "_star"):
        detail = pq.read_table(tmp_path / f"SalesOrderDetail{suffix}.parquet").to_pylist()
        assert detail[0]["LineTotal"] == Decimal("713.796000")  # 356.898 x 2
        assert detail[0]["rowguid"] is not None
        header = pq.read_table(tmp_path / f"SalesOrderHeader{suffix}.parquet").to_pylist()
        assert header[0]["SalesOrderNumber"] == "SO5"
        assert header[0]["TotalDue"] == Decimal("6.0000")


def test_select_star_returns_python_types_a_reader_expects(con):
    con.execute(
        """INSERT INTO SalesLT.Product (ProductID, ListPrice, ThumbNailPhoto, rowguid, ModifiedDate)
           VALUES (1, 1.5, '\\x47\\x49'::BLOB, '268af621-76d7-4c78-9441-144fd139821a', '2008-03-11 10:03:55.510')"""
    )
    row = con.execute("SELECT ListPrice, ThumbNailPhoto, rowguid, ModifiedDate FROM SalesLT.Product").fetchall()[0]
    assert row == (
        Decimal("1.5000"),
        b"GI",
        uuid.UUID("268af621-76d7-4c78-9441-144fd139821a"),
        dt.datetime(2008, 3, 11, 10, 3, 55, 510000),
    )


def test_packaged_category_hierarchy_is_the_real_one(adventureworks_csv_dir):
    with (adventureworks_csv_dir / "SalesLT.ProductCategory.csv").open(encoding="utf-8-sig", newline="") as f:
        real = [
            [
                int(r["ProductCategoryID"]),
                None if r["ParentProductCategoryID"] == "NULL" else int(r["ParentProductCategoryID"]),
                r["Name"],
            ]
            for r in csv.DictReader(f)
        ]
    assert load_data("catalog.json")["categories"] == real
    assert [c[2] for c in real if c[1] is None] == ["Bikes", "Components", "Clothing", "Accessories"]
