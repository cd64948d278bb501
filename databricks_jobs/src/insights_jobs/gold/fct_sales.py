"""fct_sales: one row per order line (key: sales_order_id, sales_order_detail_id), every status."""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from insights_jobs.contract import UNKNOWN

KEY = ("sales_order_id", "sales_order_detail_id")
NOT_SALES = (4, 6)  # rejected, cancelled: in no KPI
LINE_TOTAL = "decimal(38,6)"


def fct_sales(
    details: DataFrame, headers: DataFrame, customers: DataFrame, products: DataFrame, updated_at: datetime
) -> DataFrame:
    """Order lines with their order's date and status, the customer's gender and the product's categories."""
    order = headers.select(
        "sales_order_id",
        "sales_order_number",
        F.to_date("order_date").alias("order_date"),
        F.col("status").alias("order_status"),
        "customer_id",
    )
    computed = F.col("unit_price") * (F.lit(1) - F.col("unit_price_discount")) * F.col("order_qty")
    return (
        details.join(order, "sales_order_id")  # a line reaches silver only after its order
        .join(customers.select("customer_id", "gender"), "customer_id", "left")
        .join(products.select("product_id", "product_name", "category", "subcategory"), "product_id", "left")
        .select(
            "sales_order_id",
            "sales_order_detail_id",
            "sales_order_number",
            "order_date",
            "order_status",
            F.coalesce(~F.col("order_status").isin(*NOT_SALES), F.lit(True)).alias("is_sale"),
            "customer_id",
            F.coalesce("gender", F.lit(UNKNOWN)).alias("gender"),
            "product_id",
            "product_name",
            F.coalesce("category", F.lit(UNKNOWN)).alias("category"),
            F.coalesce("subcategory", F.lit(UNKNOWN)).alias("subcategory"),
            "order_qty",
            "unit_price",
            "unit_price_discount",
            F.coalesce(F.col("line_total"), computed).cast(LINE_TOTAL).alias("line_total"),
            F.lit(updated_at).alias("_updated_at"),
        )
    )
