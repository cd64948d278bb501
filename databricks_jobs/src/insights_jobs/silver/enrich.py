"""Enrichment: columns silver adds to the source columns (gender, top-level category)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from insights_jobs.contract import UNKNOWN
from insights_jobs.reference import title_gender
from insights_jobs.small_frames import small_frame


def with_gender(customers: DataFrame) -> DataFrame:
    """Add `gender` from `title` via the reference mapping (trimmed, case-insensitive; otherwise Unknown)."""
    mapping = F.create_map(*[F.lit(v) for pair in title_gender().items() for v in pair])
    title = F.lower(F.trim(F.col("title")))
    return customers.withColumn("gender", F.coalesce(F.try_element_at(mapping, title), F.lit(UNKNOWN)))


def with_top_level_category(categories: DataFrame) -> DataFrame:
    """Add `top_level_category_id`/`_name` by walking the parent chain to a root (NULL if none is reached)."""
    parents = {
        row[0]: row[1] for row in categories.select("product_category_id", "parent_product_category_id").collect()
    }
    tops = small_frame(
        categories.sparkSession,
        [(cid, top_level(cid, parents)) for cid in parents],
        "product_category_id int, top_level_category_id int",
    )
    names = categories.select(
        F.col("product_category_id").alias("top_level_category_id"),
        F.col("name").alias("top_level_category_name"),
    )
    return (
        categories.join(tops, "product_category_id", "left")
        .join(names, "top_level_category_id", "left")
        .select(*categories.columns, "top_level_category_id", "top_level_category_name")
    )


def top_level(category_id: int, parents: dict[int, int | None]) -> int | None:
    """The root above `category_id` (any depth); None for a missing parent or a cycle."""
    seen = set()
    while category_id not in seen:
        seen.add(category_id)
        if category_id not in parents:
            return None
        parent = parents[category_id]
        if parent is None:
            return category_id
        category_id = parent
    return None


@dataclass(frozen=True)
class Enricher:
    """`whole_table` enrichers need every current row of the table, not only the batch (a hierarchy)."""

    apply: Callable[[DataFrame], DataFrame]
    whole_table: bool = False


ENRICHERS: dict[str, Enricher] = {
    "gender": Enricher(with_gender),
    "top_level_category": Enricher(with_top_level_category, whole_table=True),
}
