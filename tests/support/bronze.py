"""Bronze Parquet fixtures for the Spark job tests, written with pyarrow in the bronze layout.

Column types mirror what the extraction writes for SQL Server types (tinyint -> uint8, smallint -> int16,
money -> decimal(19,4), datetime -> timestamp[us], uniqueidentifier -> string, bit -> bool), on purpose
independent of the jobs' contract module so a contract mistake shows up in the tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

INT, TINY, SMALL, TEXT = pa.int32(), pa.uint8(), pa.int16(), pa.string()
TS, BIT, BIN = pa.timestamp("us"), pa.bool_(), pa.binary()
MONEY = pa.decimal128(19, 4)
ROW = {"rowguid": TEXT, "ModifiedDate": TS}

SOURCE_TYPES: dict[str, dict[str, pa.DataType]] = {
    "ProductCategory": {"ProductCategoryID": INT, "ParentProductCategoryID": INT, "Name": TEXT, **ROW},
    "ProductModel": {"ProductModelID": INT, "Name": TEXT, "CatalogDescription": TEXT, **ROW},
    "ProductDescription": {"ProductDescriptionID": INT, "Description": TEXT, **ROW},
    "ProductModelProductDescription": {"ProductModelID": INT, "ProductDescriptionID": INT, "Culture": TEXT, **ROW},
    "Product": {
        "ProductID": INT,
        "Name": TEXT,
        "ProductNumber": TEXT,
        "Color": TEXT,
        "StandardCost": MONEY,
        "ListPrice": MONEY,
        "Size": TEXT,
        "Weight": pa.decimal128(8, 2),
        "ProductCategoryID": INT,
        "ProductModelID": INT,
        "SellStartDate": TS,
        "SellEndDate": TS,
        "DiscontinuedDate": TS,
        "ThumbNailPhoto": BIN,
        "ThumbnailPhotoFileName": TEXT,
        **ROW,
    },
    "Customer": {
        "CustomerID": INT,
        "NameStyle": BIT,
        "Title": TEXT,
        "FirstName": TEXT,
        "MiddleName": TEXT,
        "LastName": TEXT,
        "Suffix": TEXT,
        "CompanyName": TEXT,
        "SalesPerson": TEXT,
        "EmailAddress": TEXT,
        "Phone": TEXT,
        "PasswordHash": TEXT,
        "PasswordSalt": TEXT,
        **ROW,
    },
    "Address": {
        "AddressID": INT,
        "AddressLine1": TEXT,
        "AddressLine2": TEXT,
        "City": TEXT,
        "StateProvince": TEXT,
        "CountryRegion": TEXT,
        "PostalCode": TEXT,
        **ROW,
    },
    "CustomerAddress": {"CustomerID": INT, "AddressID": INT, "AddressType": TEXT, **ROW},
    "SalesOrderHeader": {
        "SalesOrderID": INT,
        "RevisionNumber": TINY,
        "OrderDate": TS,
        "DueDate": TS,
        "ShipDate": TS,
        "Status": TINY,
        "OnlineOrderFlag": BIT,
        "SalesOrderNumber": TEXT,
        "PurchaseOrderNumber": TEXT,
        "AccountNumber": TEXT,
        "CustomerID": INT,
        "ShipToAddressID": INT,
        "BillToAddressID": INT,
        "ShipMethod": TEXT,
        "CreditCardApprovalCode": TEXT,
        "SubTotal": MONEY,
        "TaxAmt": MONEY,
        "Freight": MONEY,
        "TotalDue": MONEY,
        "Comment": TEXT,
        **ROW,
    },
    "SalesOrderDetail": {
        "SalesOrderID": INT,
        "SalesOrderDetailID": INT,
        "OrderQty": SMALL,
        "ProductID": INT,
        "UnitPrice": MONEY,
        "UnitPriceDiscount": MONEY,
        "LineTotal": pa.decimal128(38, 6),
        **ROW,
    },
}


def _value(value: Any, typ: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_timestamp(typ) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if pa.types.is_decimal(typ):
        return Decimal(str(value))
    return value


def write_bronze(
    root: Path | str,
    table: str,
    run_id: str,
    rows: list[dict[str, Any]],
    *,
    load_date: str = "2024-01-02",
    text_columns: tuple[str, ...] = (),
    drop_columns: tuple[str, ...] = (),
    part: int = 0,
) -> Path:
    """Write `rows` (SQL Server column names) as one bronze Parquet file of `run_id`; missing columns are NULL.

    `text_columns` are written as strings (source drift), `drop_columns` are left out of the file.
    """
    columns = {}
    for name, typ in SOURCE_TYPES[table].items():
        if name in drop_columns:
            continue
        if name in text_columns:
            columns[name] = pa.array([None if r.get(name) is None else str(r[name]) for r in rows], TEXT)
        else:
            columns[name] = pa.array([_value(r.get(name), typ) for r in rows], typ)
    columns["_run_id"] = pa.array([run_id] * len(rows), TEXT)
    columns["_extracted_at"] = pa.array([dt.datetime(2024, 1, 2, 3, 0)] * len(rows), TS)
    folder = Path(root) / "bronze" / "SalesLT" / table / f"load_date={load_date}" / f"run_id={run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{part:05d}.parquet"
    pq.write_table(pa.table(columns), path)
    return path


# Row builders with SQL Server column names and plausible defaults ------------------------------------------


def category(cid: int, name: str, parent: int | None = None, modified: str = "2024-01-01") -> dict:
    return {
        "ProductCategoryID": cid,
        "ParentProductCategoryID": parent,
        "Name": name,
        "rowguid": f"cat-{cid}",
        "ModifiedDate": modified,
    }


def product(
    pid: int, name: str, category_id: int | None, list_price: str = "100.00", modified: str = "2024-01-01", **extra: Any
) -> dict:
    return {
        "ProductID": pid,
        "Name": name,
        "ProductNumber": f"PN-{pid}",
        "Color": "Black",
        "StandardCost": "50.00",
        "ListPrice": list_price,
        "Size": "M",
        "Weight": "1.50",
        "ProductCategoryID": category_id,
        "ProductModelID": 1,
        "SellStartDate": "2020-01-01",
        "ThumbNailPhoto": b"GIF89a",
        "ThumbnailPhotoFileName": "no_image.gif",
        "rowguid": f"prod-{pid}",
        "ModifiedDate": modified,
        **extra,
    }


def customer(cid: int, title: str | None = "Mr.", modified: str = "2024-01-01", **extra: Any) -> dict:
    return {
        "CustomerID": cid,
        "NameStyle": False,
        "Title": title,
        "FirstName": f"First{cid}",
        "LastName": f"Last{cid}",
        "CompanyName": f"Company {cid}",
        "SalesPerson": "adventure-works\\x",
        "EmailAddress": f"c{cid}@example.com",
        "Phone": "555-0100",
        "PasswordHash": "h",
        "PasswordSalt": "s",
        "rowguid": f"cust-{cid}",
        "ModifiedDate": modified,
        **extra,
    }


def header(
    oid: int,
    customer_id: int,
    order_date: str = "2024-01-01",
    status: int = 5,
    modified: str = "2024-01-01",
    **extra: Any,
) -> dict:
    return {
        "SalesOrderID": oid,
        "RevisionNumber": 2,
        "OrderDate": order_date,
        "DueDate": order_date,
        "ShipDate": order_date,
        "Status": status,
        "OnlineOrderFlag": False,
        "SalesOrderNumber": f"SO{oid}",
        "PurchaseOrderNumber": f"PO{oid}",
        "AccountNumber": "10-4020-000001",
        "CustomerID": customer_id,
        "ShipToAddressID": 1,
        "BillToAddressID": 1,
        "ShipMethod": "CARGO TRANSPORT 5",
        "SubTotal": "100.00",
        "TaxAmt": "8.00",
        "Freight": "2.50",
        "TotalDue": "110.50",
        "rowguid": f"soh-{oid}",
        "ModifiedDate": modified,
        **extra,
    }


def detail(
    oid: int,
    line: int,
    product_id: int,
    qty: int,
    price: str,
    discount: str = "0",
    modified: str = "2024-01-01",
    line_total: str | None = None,
    **extra: Any,
) -> dict:
    total = (
        line_total
        if line_total is not None
        else str((Decimal(price) * (1 - Decimal(discount)) * qty).quantize(Decimal("0.000001")))
    )
    return {
        "SalesOrderID": oid,
        "SalesOrderDetailID": line,
        "OrderQty": qty,
        "ProductID": product_id,
        "UnitPrice": price,
        "UnitPriceDiscount": discount,
        "LineTotal": total,
        "rowguid": f"sod-{oid}-{line}",
        "ModifiedDate": modified,
        **extra,
    }


def address(aid: int, city: str = "Bothell", modified: str = "2024-01-01") -> dict:
    return {
        "AddressID": aid,
        "AddressLine1": f"{aid} Main St",
        "City": city,
        "StateProvince": "Washington",
        "CountryRegion": "United States",
        "PostalCode": "98011",
        "rowguid": f"addr-{aid}",
        "ModifiedDate": modified,
    }
