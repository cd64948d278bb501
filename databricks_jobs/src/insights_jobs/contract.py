"""The data contract of the silver layer, as data: per source table its key, typed columns and rules.

Everything the silver job does per table is driven by a `TableSpec`: no table gets a branch of its own in
the job code. Rules are Spark SQL predicates over the silver (snake_case) column names, so they run the
same on a Databricks job cluster and on local Spark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOURCE_SCHEMA = "SalesLT"
UNKNOWN = "Unknown"


def snake_case(name: str) -> str:
    """`SalesOrderID` -> `sales_order_id`, `ModifiedDate` -> `modified_date`, `AddressLine1` -> `address_line1`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


@dataclass(frozen=True)
class Rule:
    """A row rule: the row is rejected with `name` when `passes` (Spark SQL) is false or NULL; the detail
    ends with the value of the column `show`, when given."""

    name: str
    passes: str
    detail: str
    show: str | None = None


@dataclass(frozen=True)
class Reference:
    """A row that waits for another table's row: rejected (retryable) while the parent key is unknown."""

    rule: str
    columns: tuple[str, ...]  # source column names in this table, in the parent's key order
    parent: str  # parent source table; its business key is the target


@dataclass(frozen=True)
class TableSpec:
    """One source table: business key, columns with their Spark SQL types, rules and enrichments."""

    source: str
    key: tuple[str, ...]
    columns: dict[str, str]
    rules: tuple[Rule, ...] = ()
    references: tuple[Reference, ...] = ()
    enrich: tuple[str, ...] = ()  # names in insights_jobs.silver.enrich.ENRICHERS
    version: str = "ModifiedDate"
    # text columns that reach gold -> the characters their SQL Server column holds (`too_long:<Column>`)
    lengths: dict[str, int] = field(default_factory=dict)

    @property
    def silver(self) -> str:
        return snake_case(self.source)

    @property
    def silver_key(self) -> tuple[str, ...]:
        return tuple(snake_case(c) for c in self.key)

    @property
    def silver_version(self) -> str:
        return snake_case(self.version)

    @property
    def silver_columns(self) -> list[str]:
        return [snake_case(c) for c in self.columns]


FIRST_ORDER_DATE, END_OF_ORDER_DATES = "1900-01-01", "2100-01-01"  # the order dates silver accepts: [first, end)

_ID = "int"
_TEXT = "string"
_TS = "timestamp"
_MONEY = "decimal(19,4)"
_ROW = {"rowguid": _TEXT, "ModifiedDate": _TS}  # every SalesLT table ends with these two columns

# Tables in dependency order: a table comes after every table it references.
TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        source="ProductCategory",
        key=("ProductCategoryID",),
        columns={"ProductCategoryID": _ID, "ParentProductCategoryID": _ID, "Name": _TEXT, **_ROW},
        enrich=("top_level_category",),
        lengths={"Name": 50},
    ),
    TableSpec(
        source="ProductModel",
        key=("ProductModelID",),
        columns={"ProductModelID": _ID, "Name": _TEXT, "CatalogDescription": _TEXT, **_ROW},
    ),
    TableSpec(
        source="ProductDescription",
        key=("ProductDescriptionID",),
        columns={"ProductDescriptionID": _ID, "Description": _TEXT, **_ROW},
    ),
    TableSpec(
        source="ProductModelProductDescription",
        key=("ProductModelID", "ProductDescriptionID", "Culture"),
        columns={"ProductModelID": _ID, "ProductDescriptionID": _ID, "Culture": _TEXT, **_ROW},
    ),
    TableSpec(
        source="Product",
        key=("ProductID",),
        columns={
            "ProductID": _ID,
            "Name": _TEXT,
            "ProductNumber": _TEXT,
            "Color": _TEXT,
            "StandardCost": _MONEY,
            "ListPrice": _MONEY,
            "Size": _TEXT,
            "Weight": "decimal(8,2)",
            "ProductCategoryID": _ID,
            "ProductModelID": _ID,
            "SellStartDate": _TS,
            "SellEndDate": _TS,
            "DiscontinuedDate": _TS,
            "ThumbNailPhoto": "binary",
            "ThumbnailPhotoFileName": _TEXT,
            **_ROW,
        },
        lengths={"Name": 50, "ProductNumber": 25, "Color": 15},
    ),
    TableSpec(
        source="Customer",
        key=("CustomerID",),
        columns={
            "CustomerID": _ID,
            "NameStyle": "boolean",
            "Title": _TEXT,
            "FirstName": _TEXT,
            "MiddleName": _TEXT,
            "LastName": _TEXT,
            "Suffix": _TEXT,
            "CompanyName": _TEXT,
            "SalesPerson": _TEXT,
            "EmailAddress": _TEXT,
            "Phone": _TEXT,
            "PasswordHash": _TEXT,
            "PasswordSalt": _TEXT,
            **_ROW,
        },
        enrich=("gender",),
        lengths={
            "Title": 8,
            "FirstName": 50,
            "MiddleName": 50,
            "LastName": 50,
            "Suffix": 10,
            "CompanyName": 128,
            "EmailAddress": 50,
        },
    ),
    TableSpec(
        source="Address",
        key=("AddressID",),
        columns={
            "AddressID": _ID,
            "AddressLine1": _TEXT,
            "AddressLine2": _TEXT,
            "City": _TEXT,
            "StateProvince": _TEXT,
            "CountryRegion": _TEXT,
            "PostalCode": _TEXT,
            **_ROW,
        },
    ),
    TableSpec(
        source="CustomerAddress",
        key=("CustomerID", "AddressID"),
        columns={"CustomerID": _ID, "AddressID": _ID, "AddressType": _TEXT, **_ROW},
    ),
    TableSpec(
        source="SalesOrderHeader",
        key=("SalesOrderID",),
        columns={
            "SalesOrderID": _ID,
            "RevisionNumber": _ID,
            "OrderDate": _TS,
            "DueDate": _TS,
            "ShipDate": _TS,
            "Status": _ID,
            "OnlineOrderFlag": "boolean",
            "SalesOrderNumber": _TEXT,
            "PurchaseOrderNumber": _TEXT,
            "AccountNumber": _TEXT,
            "CustomerID": _ID,
            "ShipToAddressID": _ID,
            "BillToAddressID": _ID,
            "ShipMethod": _TEXT,
            "CreditCardApprovalCode": _TEXT,
            "SubTotal": _MONEY,
            "TaxAmt": _MONEY,
            "Freight": _MONEY,
            "TotalDue": _MONEY,
            "Comment": _TEXT,
            **_ROW,
        },
        # every KPI is by order date: an order without one has no place in gold (the source column is NOT NULL),
        # and dim_date spans whole years from the first order to the last: one order in year 9999 or 0001
        # would stretch it (and Power BI's date table) over thousands of years
        rules=(
            Rule("missing_order_date", "order_date IS NOT NULL", "OrderDate is missing"),
            Rule(
                "order_date_out_of_range",
                f"order_date >= TIMESTAMP '{FIRST_ORDER_DATE}' AND order_date < TIMESTAMP '{END_OF_ORDER_DATES}'",
                f"OrderDate is before {FIRST_ORDER_DATE} or not before {END_OF_ORDER_DATES}",
                show="order_date",
            ),
        ),
        references=(Reference("unknown_customer", ("CustomerID",), "Customer"),),
    ),
    TableSpec(
        source="SalesOrderDetail",
        key=("SalesOrderID", "SalesOrderDetailID"),
        columns={
            "SalesOrderID": _ID,
            "SalesOrderDetailID": _ID,
            "OrderQty": _ID,
            "ProductID": _ID,
            "UnitPrice": _MONEY,
            "UnitPriceDiscount": _MONEY,
            "LineTotal": "decimal(38,6)",
            **_ROW,
        },
        rules=(
            Rule("non_positive_quantity", "order_qty > 0", "OrderQty is missing or not positive"),
            Rule("negative_price", "unit_price >= 0", "UnitPrice is missing or negative"),
            Rule(
                "invalid_discount",
                "unit_price_discount BETWEEN 0 AND 1",
                "UnitPriceDiscount is missing or outside 0..1",
            ),
        ),
        references=(
            Reference("unknown_order", ("SalesOrderID",), "SalesOrderHeader"),
            Reference("unknown_product", ("ProductID",), "Product"),
        ),
    ),
)

BY_SOURCE: dict[str, TableSpec] = {t.source: t for t in TABLES}


def waves(tables: tuple[TableSpec, ...] = TABLES) -> list[list[TableSpec]]:
    """Tables grouped by dependency level: a wave only references tables of earlier waves."""
    level: dict[str, int] = {}
    for table in tables:  # TABLES is in dependency order
        level[table.source] = 1 + max((level[r.parent] for r in table.references), default=-1)
    return [[t for t in tables if level[t.source] == n] for n in range(max(level.values()) + 1)]


def spec(source: str) -> TableSpec:
    """The spec of a source table by its SQL Server name (`SalesOrderDetail`)."""
    return BY_SOURCE[source]


@dataclass(frozen=True)
class QuarantineColumns:
    """The columns of `silver/_quarantine`, in order, and the identity of one rejection."""

    schema: str = (
        "source_table string, business_key string, rule string, detail string, run_id string, "
        "quarantined_run_id string, is_retryable boolean, resolved_run_id string, payload string, "
        "quarantined_at timestamp, load_date string"
    )
    identity: tuple[str, ...] = field(default=("source_table", "run_id", "business_key", "rule", "payload"))

    @property
    def types(self) -> dict[str, str]:
        """Column name -> Spark SQL type, in order."""
        return dict(part.split() for part in self.schema.split(","))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.types)


QUARANTINE = QuarantineColumns()
RETRYABLE_RULES = frozenset(r.rule for t in TABLES for r in t.references)
