"""The KPI queries: one set, written in T-SQL over the serving views, used by `insights kpis`, the
dashboard and the tests, sent as they are to Synapse serverless and translated by sqlglot for DuckDB.

Five queries answer one filter state:

- `sums`: products sold and revenue, in total, per gender, per category and per category x gender, from
  `gold.agg_daily_sales`: one scan into the category x gender cells, the other levels added up from
  those (sums add up across days, subcategories and genders);
- `distinct_counts`: two queries, run side by side: customers in total, per gender, per category and per
  category x gender, and orders in total, from `gold.sales` (the order lines that count as sales).
  Distinct counts never add up, so they are counted over the filter's lines: customers once into the
  distinct (customer, gender, category) triples of the filter, then per level from those;
- `trend`: products sold and revenue per period (day, week or month) and gender, from the daily sums;
- `categories`: what a category filter may name.

The levels are UNION ALL branches, not GROUPING SETS or ROLLUP: serverless SQL pools support no GROUP BY
options (Microsoft's "GROUP BY options in Synapse SQL" gives UNION ALL as the workaround).

The WHERE clause is built from fixed fragments only: the filter's values travel as `?` parameters, and
the only thing a filter changes in the text is how many `?` an `IN (...)` holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

GRAINS = {"day": "order_date", "week": "week_start", "month": "month_start"}
LEVELS = ("total", "gender", "category", "cell")  # cell = category x gender
FILTER_COLUMNS = ("category", "gender", "order_date")  # what `where` filters on


class Filter(Protocol):
    """What a KPI filter holds (`insights.serving.kpis.KpiFilter`)."""

    start: date | None
    end: date | None
    categories: tuple[str, ...]
    genders: tuple[str, ...]


class ServingSource(Protocol):
    """Where the views are: `LocalViews` (DuckDB) or `SynapseViews` (the serverless endpoint)."""

    label: str

    def execute(self, tsql: str, params: Sequence[Any] = ()) -> list[tuple]: ...


@dataclass(frozen=True)
class Query:
    """A T-SQL text and its parameters, ready to send."""

    sql: str
    params: tuple[Any, ...] = ()

    def run(self, source: ServingSource) -> list[tuple]:
        return source.execute(self.sql, self.params)


def run_all(source: ServingSource, queries: Sequence[Query]) -> list[list[tuple]]:
    """Run independent queries at once (one connection or cursor each); results in the given order."""
    with ThreadPoolExecutor(max_workers=len(queries), thread_name_prefix="serving") as pool:
        return list(pool.map(lambda query: query.run(source), queries))


def where(filters: Filter) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a filter (order_date, category, gender), and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.start is not None:
        clauses.append("order_date >= ?")
        params.append(filters.start)
    if filters.end is not None:
        clauses.append("order_date <= ?")
        params.append(filters.end)
    if filters.categories:
        clauses.append(f"category IN ({', '.join('?' for _ in filters.categories)})")
        params.extend(filters.categories)
    if filters.genders:
        clauses.append(f"gender IN ({', '.join('?' for _ in filters.genders)})")
        params.extend(filters.genders)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _select(select: str, source: str, filters: Filter, tail: str = "") -> Query:
    clause, params = where(filters)
    return Query(" ".join(part for part in (f"SELECT {select} FROM {source}", clause, tail) if part), params)


def _union(parts: Sequence[Query], prefix: str = "", prefix_params: tuple[Any, ...] = ()) -> Query:
    sql = prefix + " UNION ALL ".join(part.sql for part in parts)
    return Query(sql, prefix_params + tuple(p for part in parts for p in part.params))


_SUMS = "SUM(products_sold) AS products_sold, SUM(revenue) AS revenue"
_NO_TEXT = "CAST(NULL AS VARCHAR(100))"


def sums(filters: Filter) -> Query:
    """level, category, gender, products sold, revenue: one row per group with sales, at every level."""
    cells = _select(f"category, gender, {_SUMS}", "gold.agg_daily_sales", filters, "GROUP BY category, gender")
    return Query(
        f"WITH cells AS ({cells.sql}) "
        f"SELECT 'cell' AS level, category, gender, {_SUMS} FROM cells GROUP BY category, gender "
        f"UNION ALL SELECT 'category', category, {_NO_TEXT}, {_SUMS} FROM cells GROUP BY category "
        f"UNION ALL SELECT 'gender', {_NO_TEXT}, gender, {_SUMS} FROM cells GROUP BY gender "
        f"UNION ALL SELECT 'total', {_NO_TEXT}, {_NO_TEXT}, {_SUMS} FROM cells",
        cells.params,
    )


def distinct_counts(filters: Filter) -> tuple[Query, Query]:
    """measure (customers | orders), level, category, gender, count: distinct over the filter's lines; the
    customers and the orders as two queries, so that they run side by side."""
    triples = _select("DISTINCT customer_id, gender, category", "gold.sales", filters)
    customers = _union(
        [
            Query("SELECT 'customers' AS measure, 'cell' AS level, category, gender, COUNT(DISTINCT customer_id) AS n "
                  "FROM triples GROUP BY category, gender"),
            Query(f"SELECT 'customers', 'category', category, {_NO_TEXT}, COUNT(DISTINCT customer_id) FROM triples "
                  "GROUP BY category"),
            Query(f"SELECT 'customers', 'gender', {_NO_TEXT}, gender, COUNT(DISTINCT customer_id) FROM triples "
                  "GROUP BY gender"),
            Query(f"SELECT 'customers', 'total', {_NO_TEXT}, {_NO_TEXT}, COUNT(DISTINCT customer_id) FROM triples"),
        ],
        prefix=f"WITH triples AS ({triples.sql}) ",
        prefix_params=triples.params,
    )  # fmt: skip
    orders = _select(
        f"'orders' AS measure, 'total' AS level, {_NO_TEXT} AS category, {_NO_TEXT} AS gender, "
        "COUNT(DISTINCT sales_order_id) AS n",
        "gold.sales",
        filters,
    )
    return customers, orders


def trend(filters: Filter, grain: str) -> Query:
    """period, gender, products sold, revenue: one row per period (day, week or month) and gender."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
    period = GRAINS[grain]
    return _select(
        f"{period} AS period, gender, {_SUMS}",
        "gold.agg_daily_sales",
        filters,
        f"GROUP BY {period}, gender ORDER BY period, gender",
    )


def categories() -> Query:
    """The top-level categories of the product dimension (what a category filter may name)."""
    return Query("SELECT DISTINCT category FROM gold.dim_product ORDER BY category")


def date_range() -> Query:
    """The first and last order dates with sales."""
    return Query("SELECT MIN(order_date) AS first_date, MAX(order_date) AS last_date FROM gold.agg_daily_sales")
