"""The KPIs as DESIGN.md defines them, counted by DuckDB straight from the source rows, and the same figures
read from a lake's gold tables: the kill suite's reference, independent of the code under test."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
from deltalake import DeltaTable

# DESIGN.md, KPIs: gender comes from Customer.Title (case-insensitive, surrounding spaces ignored).
FEMALE = ("ms.", "mrs.", "miss", "sra.", "srta.")
MALE = ("mr.", "sr.")

CELLS = f"""
WITH RECURSIVE walk AS (
    SELECT ProductCategoryID AS id, ProductCategoryID AS at, ParentProductCategoryID AS parent, 0 AS depth
    FROM SalesLT.ProductCategory
    UNION ALL
    SELECT walk.id, c.ProductCategoryID, c.ParentProductCategoryID, walk.depth + 1
    FROM walk JOIN SalesLT.ProductCategory c ON c.ProductCategoryID = walk.parent
    WHERE walk.depth < 20
),
top_level AS (
    SELECT w.id, c.Name AS category FROM walk w JOIN SalesLT.ProductCategory c ON c.ProductCategoryID = w.at
    WHERE w.parent IS NULL
),
sales AS (
    SELECT CAST(h.OrderDate AS DATE) AS order_date,
           COALESCE(t.category, 'Unknown') AS category,
           COALESCE(own.Name, 'Unknown') AS subcategory,
           CASE WHEN lower(trim(c.Title)) IN {FEMALE} THEN 'Female'
                WHEN lower(trim(c.Title)) IN {MALE} THEN 'Male' ELSE 'Unknown' END AS gender,
           d.OrderQty AS qty, d.LineTotal AS line_total, d.SalesOrderID AS order_id, h.CustomerID AS customer_id
    FROM SalesLT.SalesOrderDetail d
    JOIN SalesLT.SalesOrderHeader h ON h.SalesOrderID = d.SalesOrderID
    LEFT JOIN SalesLT.Customer c ON c.CustomerID = h.CustomerID
    LEFT JOIN SalesLT.Product p ON p.ProductID = d.ProductID
    LEFT JOIN SalesLT.ProductCategory own ON own.ProductCategoryID = p.ProductCategoryID
    LEFT JOIN top_level t ON t.id = p.ProductCategoryID
    WHERE h.Status IS NULL OR h.Status NOT IN (4, 6)
)
"""


def source_cells(source: Path) -> set[tuple]:
    """agg_daily_sales as the source says it must be: per (date, category, subcategory, gender), products sold,
    revenue, order lines, orders, customers."""
    with duckdb.connect(str(source), read_only=True) as con:
        rows = con.execute(
            CELLS + "SELECT order_date, category, subcategory, gender, sum(qty), sum(line_total), count(*), "
            "count(DISTINCT order_id), count(DISTINCT customer_id) FROM sales GROUP BY ALL"
        ).fetchall()
    return {_normal(row) for row in rows}


def source_totals(source: Path) -> dict[str, object]:
    """Products sold, revenue, orders, customers and customers per gender over every sale."""
    with duckdb.connect(str(source), read_only=True) as con:
        total = con.execute(
            CELLS + "SELECT sum(qty), sum(line_total), count(DISTINCT order_id), count(DISTINCT customer_id) FROM sales"
        ).fetchone()
        by_gender = con.execute(CELLS + "SELECT gender, count(DISTINCT customer_id) FROM sales GROUP BY 1").fetchall()
    return _totals(total, by_gender)


def gold_cells(lake: Path) -> set[tuple]:
    table = DeltaTable(str(lake / "gold" / "agg_daily_sales")).to_pyarrow_table()
    columns = ("order_date", "category", "subcategory", "gender", "products_sold", "revenue", "order_lines")
    return {_normal(tuple(row[c] for c in (*columns, "orders", "customers"))) for row in table.to_pylist()}


def gold_totals(lake: Path) -> dict[str, object]:
    """The same totals from gold's fact table (distinct counts over the whole filter, never summed per day)."""
    facts = DeltaTable(str(lake / "gold" / "fct_sales")).to_pyarrow_table()  # noqa: F841 (DuckDB reads it by name)
    with duckdb.connect() as con:
        total = con.execute(
            "SELECT sum(order_qty), sum(line_total), count(DISTINCT sales_order_id), count(DISTINCT customer_id) "
            "FROM facts WHERE is_sale"
        ).fetchone()
        by_gender = con.execute(
            "SELECT gender, count(DISTINCT customer_id) FROM facts WHERE is_sale GROUP BY 1"
        ).fetchall()
    return _totals(total, by_gender)


def _totals(total: tuple, by_gender: list[tuple]) -> dict[str, object]:
    products, revenue, orders, customers = total
    return {
        "products_sold": int(products or 0),
        "revenue": Decimal(revenue or 0).normalize(),
        "orders": orders,
        "customers": customers,
        "customers_by_gender": dict(sorted(by_gender)),
    }


def _normal(row: tuple) -> tuple:
    """Numbers in one form (DuckDB and Arrow give decimals of different scales)."""
    return tuple(Decimal(v).normalize() if isinstance(v, Decimal) else v for v in row)
