"""What the dashboard shows for one filter state, read through the serving views.

`state()` runs the dashboard's queries for one filter and one time grain: the KPI document (the very
function behind `insights kpis`, so every card equals its output), the trend by gender, and the
category x gender figures behind the bars and the pies. All of them are `insights.serving.queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from insights.serving import queries
from insights.serving.kpis import GENDERS, Figures, KpiFilter, document
from insights.serving.queries import ServingSource


@dataclass(frozen=True)
class TrendPoint:
    period: date
    gender: str
    products_sold: int
    revenue: Decimal


@dataclass(frozen=True)
class CategoryGender:
    category: str
    gender: str
    products_sold: int
    revenue: Decimal
    customers: int


@dataclass(frozen=True)
class DashboardState:
    kpis: dict
    grain: str
    trend: list[TrendPoint]
    category_gender: list[CategoryGender]
    revenue_share: dict[str, Decimal]  # gender -> its revenue over the filter's revenue (exact; empty: no revenue)


@dataclass(frozen=True)
class Options:
    """What the filters offer: the categories of the product dimension and the dates with sales."""

    categories: list[str]
    genders: tuple[str, ...]
    first_date: date | None
    last_date: date | None


def options(source: ServingSource) -> Options:
    categories = [row[0] for row in queries.categories().run(source)]
    [(first, last)] = queries.date_range().run(source)
    return Options(categories, GENDERS, _as_date(first), _as_date(last))


def state(source: ServingSource, filters: KpiFilter, grain: str = "month") -> DashboardState:
    """Every number the dashboard shows for one filter state (the queries run at once)."""
    if grain not in queries.GRAINS:
        raise ValueError(f"grain must be one of {', '.join(queries.GRAINS)}, got {grain!r}")
    known, sum_rows, customer_rows, order_rows, trend_rows = queries.run_all(
        source,
        [queries.categories(), queries.sums(filters), *queries.distinct_counts(filters), queries.trend(filters, grain)],
    )
    figures = Figures.from_rows(sum_rows, customer_rows + order_rows)
    kpis = document(filters, [row[0] for row in known], figures)
    trend = [
        TrendPoint(_as_date(period), gender, int(sold or 0), Decimal(revenue or 0))
        for period, gender, sold, revenue in trend_rows
    ]
    cells = sorted(
        ((category, gender) for level, category, gender in figures.sums if level == "cell"),
        key=lambda cell: (cell[0], _gender_order(cell[1])),
    )
    category_gender = [
        CategoryGender(
            category,
            gender,
            figures.products_sold("cell", category, gender),
            Decimal(figures.revenue("cell", category, gender) or 0),
            figures.customers("cell", category, gender),
        )
        for category, gender in cells
    ]
    total = Decimal(figures.revenue() or 0)
    revenue_share = {g: Decimal(figures.revenue("gender", gender=g) or 0) / total for g in GENDERS} if total else {}
    return DashboardState(kpis, grain, trend, category_gender, revenue_share)


def _gender_order(gender: str) -> int:
    return GENDERS.index(gender) if gender in GENDERS else len(GENDERS)


def _as_date(value) -> date | None:
    if value is None or type(value) is date:
        return value
    return value.date() if hasattr(value, "date") else date.fromisoformat(str(value)[:10])
