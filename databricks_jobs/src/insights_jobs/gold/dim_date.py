"""dim_date: one row per calendar day (key: date), whole calendar years from the first order's to the last's.

Whole years because Power BI's time intelligence (year-to-date, same period last year) needs a date table
that starts on 1 January and ends on 31 December; it also changes only when the orders reach a new year.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

KEY = ("date",)


def dim_date(orders: DataFrame) -> DataFrame:
    """Every day of the orders' years: year, quarter, month, month_name, week_start (Monday), day_of_week."""
    bounds = orders.agg(
        F.make_date(F.year(F.min("order_date")), F.lit(1), F.lit(1)).alias("first"),
        F.make_date(F.year(F.max("order_date")), F.lit(12), F.lit(31)).alias("last"),
    )
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
