"""agg_daily_sales: sales only, one row per (order_date, category, subcategory, gender)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEY = ("order_date", "category", "subcategory", "gender")
MEASURES = {
    "products_sold": "bigint",
    "revenue": "decimal(38,6)",
    "order_lines": "bigint",
    "orders": "bigint",
    "customers": "bigint",
}


def customer_days(fct: DataFrame, *by: str) -> DataFrame:
    """Per cell and customer (and `by`, extra grouping columns such as a sign): the measures of the
    customer's sales in the cell (`customers` 1, or 0 for a NULL customer). Summed per cell they give the
    cell; an order has one customer and one date, so a customer's lines of a day hold all of their
    orders' lines there."""
    # Distinct counts without COUNT(DISTINCT): per order, then per customer. One shuffle on the cell key
    # serves all the steps: a partitioning on the cell key also clusters (cell, customer) and (cell,
    # order), so this costs less than a countDistinct over orders, which shuffles again.
    sales = fct.filter("is_sale").repartition(*KEY)
    per_order = sales.groupBy(*KEY, *by, "customer_id", "sales_order_id").agg(
        F.sum("order_qty").alias("products_sold"),
        F.sum("line_total").alias("revenue"),
        F.count(F.lit(1)).alias("order_lines"),
    )
    return per_order.groupBy(*KEY, *by, "customer_id").agg(
        F.sum("products_sold").alias("products_sold"),
        F.sum("revenue").alias("revenue"),
        F.sum("order_lines").alias("order_lines"),
        F.count(F.lit(1)).alias("orders"),
        # a NULL customer is no customer, as in COUNT(DISTINCT)
        F.max(F.col("customer_id").isNotNull().cast("bigint")).alias("customers"),
    )


def cells(parts: DataFrame) -> DataFrame:
    """Rows of KEY + MEASURES -> one row per cell, the sums, in the table's types."""
    return parts.groupBy(*KEY).agg(*[F.sum(m).cast(t).alias(m) for m, t in MEASURES.items()])


def agg_daily_sales(fct: DataFrame) -> DataFrame:
    """Per day and cell: products sold, revenue (exact), order lines, distinct orders and customers."""
    return cells(customer_days(fct))


def differences(signed_lines: DataFrame) -> DataFrame:
    """Per cell, what its measures gain (cells that do not move are left out) from lines signed `_sign`
    -1 (as they were) or 1 (as they are now). Every measure is a sum over customer days, so the gain is
    the new customer days minus the old ones: the lines must be every line of the (order date, customer)
    pairs they cover, once as they were and once as they are."""
    signed = customer_days(signed_lines, "_sign")
    gains = signed.select(*KEY, *[(F.col(m) * F.col("_sign")).alias(m) for m in MEASURES])
    moved = F.lit(False)
    for m in MEASURES:
        moved = moved | (F.col(m) != 0)
    return cells(gains).filter(moved)
