"""dim_product: one row per product (key: product_id), with category (top level) and subcategory."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from insights_jobs.contract import UNKNOWN

KEY = ("product_id",)
COLUMNS = (
    "product_id", "product_name", "product_number", "color", "list_price", "product_category_id",
    "category", "subcategory",
)  # fmt: skip


def dim_product(products: DataFrame, categories: DataFrame) -> DataFrame:
    """Silver products + categories -> one row per product; category/subcategory Unknown when not found."""
    category = categories.select(
        "product_category_id",
        F.col("top_level_category_name").alias("category"),
        F.col("name").alias("subcategory"),
    )
    return products.join(category, "product_category_id", "left").select(
        "product_id",
        F.col("name").alias("product_name"),
        "product_number",
        "color",
        "list_price",
        "product_category_id",
        F.coalesce("category", F.lit(UNKNOWN)).alias("category"),
        F.coalesce("subcategory", F.lit(UNKNOWN)).alias("subcategory"),
    )
