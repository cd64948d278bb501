"""agg_daily_sales: sales only, one row per (order_date, category, subcategory, gender)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEY = ("order_date", "category", "subcategory", "gender")


def agg_daily_sales(fct: DataFrame) -> DataFrame:
    """Per day and cell: products sold, revenue (exact), order lines, distinct orders and customers."""
    # Two steps: per order within the cell, then per cell. An order has one customer, so the distinct
    # counts become a count of orders and one distinct count over orders instead of lines.
    per_order = (
        fct.filter("is_sale")
        .groupBy(*KEY, "sales_order_id")
        .agg(
            F.sum("order_qty").alias("products_sold"),
            F.sum("line_total").alias("revenue"),
            F.count(F.lit(1)).alias("order_lines"),
            F.max("customer_id").alias("customer_id"),
        )
    )
    return per_order.groupBy(*KEY).agg(
        F.sum("products_sold").cast("bigint").alias("products_sold"),
        F.sum("revenue").cast("decimal(38,6)").alias("revenue"),
        F.sum("order_lines").cast("bigint").alias("order_lines"),
        F.count(F.lit(1)).alias("orders"),
        F.countDistinct("customer_id").alias("customers"),
    )
