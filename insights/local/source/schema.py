"""The SalesLT schema, once: every table, column and type of the local stand-in for SQL Server.

Columns are listed in SQL Server's own order with their SQL Server type; the DuckDB type is derived
from that through one mapping (`DUCKDB_TYPES`), so the DDL, the CSV import and the docs cannot drift
apart. Computed columns are DuckDB generated (virtual) columns: `SELECT *` and `COPY ... TO` return
them, exactly as SQL Server returns its computed columns.

No constraint is declared (no primary or foreign key, no NOT NULL, no UNIQUE): the stand-in has to
hold the dirty rows a real source can carry (duplicate and NULL keys, dangling references), so that
the pipeline's quarantine can be tested against them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

SCHEMA = "SalesLT"

# SQL Server type (without length) -> DuckDB type. decimal/numeric keep their precision and scale.
DUCKDB_TYPES: dict[str, str] = {
    "int": "INTEGER",
    "smallint": "SMALLINT",
    # tinyint is 0..255: SMALLINT holds it, and stays a signed type that Parquet, Spark and Delta read
    # as is (UTINYINT becomes an unsigned Parquet type that Delta cannot store).
    "tinyint": "SMALLINT",
    "bit": "BOOLEAN",
    "money": "DECIMAL(19,4)",
    "datetime": "TIMESTAMP",
    "uniqueidentifier": "UUID",
    "nvarchar": "VARCHAR",
    "varchar": "VARCHAR",
    "nchar": "VARCHAR",  # SQL Server pads nchar(n) with spaces and returns the padding: kept as text
    "xml": "VARCHAR",
    "varbinary": "BLOB",
}


def duckdb_type(sql_server_type: str) -> str:
    """The DuckDB type for a SQL Server type such as `nvarchar(50)`, `money` or `decimal(8,2)`."""
    base = sql_server_type.split("(")[0].strip().lower()
    if base in ("decimal", "numeric"):
        match = re.fullmatch(r"\w+\((\d+),\s*(\d+)\)", sql_server_type.strip())
        if not match:
            raise ValueError(f"decimal type without precision and scale: {sql_server_type!r}")
        return f"DECIMAL({match[1]},{match[2]})"
    try:
        return DUCKDB_TYPES[base]
    except KeyError:
        raise ValueError(f"no DuckDB mapping for SQL Server type {sql_server_type!r}") from None


@dataclass(frozen=True)
class Column:
    """One source column: its SQL Server type and, for a computed column, its DuckDB expression."""

    name: str
    sql_server: str
    computed: str | None = None

    @property
    def duckdb(self) -> str:
        return duckdb_type(self.sql_server)


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse `Name type, Name type, ...` (types may contain commas inside parentheses)."""
    parts = re.findall(r"(\w+)\s+([\w]+(?:\([^)]*\))?)", spec)
    return tuple(Column(name, sql_type) for name, sql_type in parts)


_GUID_DATE = "rowguid uniqueidentifier, ModifiedDate datetime"

# SQL Server: ISNULL(UnitPrice * (1.0 - UnitPriceDiscount) * OrderQty, 0.0), numeric(38,6). SQL Server
# types UnitPrice * (1.0 - UnitPriceDiscount) as numeric(38,6) (the product's scale of 8 is cut to 6,
# rounding), then multiplies by OrderQty: the same steps here give the same digits.
LINE_TOTAL = (
    "CAST(COALESCE(CAST(UnitPrice * (1.0 - UnitPriceDiscount) AS DECIMAL(38,6)) * OrderQty, 0.0) AS DECIMAL(38,6))"
)
# SQL Server: ISNULL(N'SO' + CONVERT(nvarchar(23), SalesOrderID), N'*** ERROR ***')
SALES_ORDER_NUMBER = "COALESCE('SO' || CAST(SalesOrderID AS VARCHAR), '*** ERROR ***')"
# SQL Server: ISNULL(SubTotal + TaxAmt + Freight, 0), money
TOTAL_DUE = "CAST(COALESCE(SubTotal + TaxAmt + Freight, 0) AS DECIMAL(19,4))"

TABLES: dict[str, tuple[Column, ...]] = {
    "ProductCategory": _cols(f"ProductCategoryID int, ParentProductCategoryID int, Name nvarchar(50), {_GUID_DATE}"),
    "ProductModel": _cols(f"ProductModelID int, Name nvarchar(50), CatalogDescription xml, {_GUID_DATE}"),
    "ProductDescription": _cols(f"ProductDescriptionID int, Description nvarchar(400), {_GUID_DATE}"),
    "ProductModelProductDescription": _cols(
        f"ProductModelID int, ProductDescriptionID int, Culture nchar(6), {_GUID_DATE}"
    ),
    "Product": _cols(
        "ProductID int, Name nvarchar(50), ProductNumber nvarchar(25), Color nvarchar(15), "
        "StandardCost money, ListPrice money, Size nvarchar(5), Weight decimal(8,2), ProductCategoryID int, "
        "ProductModelID int, SellStartDate datetime, SellEndDate datetime, DiscontinuedDate datetime, "
        f"ThumbNailPhoto varbinary(max), ThumbnailPhotoFileName nvarchar(50), {_GUID_DATE}"
    ),
    "Customer": _cols(
        "CustomerID int, NameStyle bit, Title nvarchar(8), FirstName nvarchar(50), MiddleName nvarchar(50), "
        "LastName nvarchar(50), Suffix nvarchar(10), CompanyName nvarchar(128), SalesPerson nvarchar(256), "
        "EmailAddress nvarchar(50), Phone nvarchar(25), PasswordHash varchar(128), PasswordSalt varchar(10), "
        f"{_GUID_DATE}"
    ),
    "Address": _cols(
        "AddressID int, AddressLine1 nvarchar(60), AddressLine2 nvarchar(60), City nvarchar(30), "
        f"StateProvince nvarchar(50), CountryRegion nvarchar(50), PostalCode nvarchar(15), {_GUID_DATE}"
    ),
    "CustomerAddress": _cols(f"CustomerID int, AddressID int, AddressType nvarchar(50), {_GUID_DATE}"),
    "SalesOrderHeader": (
        *_cols(
            "SalesOrderID int, RevisionNumber tinyint, OrderDate datetime, DueDate datetime, "
            "ShipDate datetime, Status tinyint, OnlineOrderFlag bit"
        ),
        Column("SalesOrderNumber", "nvarchar(25)", SALES_ORDER_NUMBER),
        *_cols(
            "PurchaseOrderNumber nvarchar(25), AccountNumber nvarchar(15), CustomerID int, "
            "ShipToAddressID int, BillToAddressID int, ShipMethod nvarchar(50), "
            "CreditCardApprovalCode varchar(15), SubTotal money, TaxAmt money, Freight money"
        ),
        Column("TotalDue", "money", TOTAL_DUE),
        *_cols(f"Comment nvarchar(max), {_GUID_DATE}"),
    ),
    "SalesOrderDetail": (
        *_cols(
            "SalesOrderID int, SalesOrderDetailID int, OrderQty smallint, ProductID int, "
            "UnitPrice money, UnitPriceDiscount money"
        ),
        Column("LineTotal", "numeric(38,6)", LINE_TOTAL),
        *_cols(_GUID_DATE),
    ),
}

# Business keys (docs/data-contract.md); documentation only, never enforced (see the module docstring).
KEYS: dict[str, tuple[str, ...]] = {
    "Address": ("AddressID",),
    "Customer": ("CustomerID",),
    "CustomerAddress": ("CustomerID", "AddressID"),
    "Product": ("ProductID",),
    "ProductCategory": ("ProductCategoryID",),
    "ProductDescription": ("ProductDescriptionID",),
    "ProductModel": ("ProductModelID",),
    "ProductModelProductDescription": ("ProductModelID", "ProductDescriptionID", "Culture"),
    "SalesOrderHeader": ("SalesOrderID",),
    "SalesOrderDetail": ("SalesOrderID", "SalesOrderDetailID"),
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def qualified(table: str) -> str:
    """`SalesLT."Table"`, ready for SQL."""
    if table not in TABLES:
        raise KeyError(f"not a SalesLT table: {table!r}")
    return f'{SCHEMA}."{table}"'


def stored_columns(table: str) -> list[str]:
    """The columns an INSERT writes (every column but the computed ones)."""
    return [c.name for c in TABLES[table] if c.computed is None]


def all_columns(table: str) -> list[str]:
    """The columns `SELECT *` returns, in order (computed ones included)."""
    return [c.name for c in TABLES[table]]


def table_ddl(table: str) -> str:
    """CREATE TABLE for one table."""
    lines = []
    for col in TABLES[table]:
        line = f'    "{col.name}" {col.duckdb}'
        if col.computed:
            line += f" GENERATED ALWAYS AS ({col.computed}) VIRTUAL"
        lines.append(line)
    return f"CREATE TABLE {qualified(table)} (\n" + ",\n".join(lines) + "\n);"


def ddl() -> str:
    """The whole schema as one SQL script."""
    return f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};\n\n" + "\n\n".join(table_ddl(t) for t in TABLES) + "\n"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `SalesLT` and its 10 empty tables on a connection."""
    con.execute(ddl())


def missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The SalesLT tables a database lacks (empty when it is a complete source)."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]
        ).fetchall()
    }
    return [t for t in TABLES if t not in present]


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table, in schema order."""
    return {t: con.execute(f"SELECT count(*) FROM {qualified(t)}").fetchall()[0][0] for t in TABLES}
