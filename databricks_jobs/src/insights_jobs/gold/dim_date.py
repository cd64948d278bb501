"""dim_date: one row per calendar day (key: date) from the first to the last order date."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEY = ("date",)


def dim_date(orders: DataFrame) -> DataFrame:
    """Every day of the orders' date range: year, quarter, month, month_name, week_start (Monday), day_of_week."""
    bounds = orders.agg(F.min(F.to_date("order_date")).alias("first"), F.max(F.to_date("order_date")).alias("last"))
    days = bounds.select(F.explode(F.sequence("first", "last", F.expr("INTERVAL 1 DAY"))).alias("date"))
    return days.select(
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.to_date(F.date_trunc("week", "date")).alias("week_start"),
        ((F.dayofweek("date") + 5) % 7 + 1).alias("day_of_week"),  # ISO: 1 = Monday ... 7 = Sunday
    )
