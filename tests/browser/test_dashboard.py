"""The dashboard in Chromium: load it, change each filter, and check that every KPI card shows what
`insights kpis` computes for the same filter (and what DESIGN.md's definitions give in plain Python),
that the charts draw the same figures, and keep screenshots under test-artifacts/."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from insights.serving.kpis import KpiFilter, compute_kpis
from tests.support.gold import GENDERS, reference_kpis, week_start
from tests.support.paths import ARTIFACTS

CATEGORIES = ["Accessories", "Bikes", "Clothing", "Components"]


def wait_for(page, filters: KpiFilter) -> None:
    """Until the cards show this filter (the callback has answered for the current filter state)."""
    want = json.dumps(filters.as_json(), sort_keys=True)
    page.wait_for_function(
        "want => document.getElementById('kpi-cards')?.getAttribute('data-filters') === want", arg=want
    )


def check_cards(page, lake, fct, filters: KpiFilter) -> dict:
    expected = compute_kpis(lake, filters)
    assert expected == reference_kpis(
        fct, filters.start, filters.end, filters.categories, filters.genders, known=CATEGORIES
    )
    wait_for(page, filters)

    def card(card_id: str) -> tuple[str | None, str]:
        locator = page.locator(f"#{card_id}")
        return locator.get_attribute("data-value"), locator.locator(".card-value").inner_text()

    assert card("kpi-products-sold") == (str(expected["products_sold"]), f"{expected['products_sold']:,}")
    assert card("kpi-revenue") == (expected["revenue"], f"{Decimal(expected['revenue']):,}")
    assert card("kpi-orders") == (str(expected["orders"]), f"{expected['orders']:,}")
    assert card("kpi-customers") == (str(expected["customers"]), f"{expected['customers']:,}")
    for gender, count in expected["customers_by_gender"].items():
        share = count / expected["customers"] if expected["customers"] else 0
        item = page.locator(f"#kpi-customers-{gender}")
        assert item.get_attribute("data-value") == str(count)
        assert item.inner_text() == f"{count:,} ({share:.1%})"
        assert page.locator("#kpi-customers tr", has=item).locator("th").inner_text() == gender
    assert json.loads(page.locator("#kpi-document").text_content()) == expected
    return expected


def plotted(page, graph_id: str) -> list[dict]:
    """The traces a graph draws, once Plotly has drawn it (a graph can fill in after the cards)."""
    page.wait_for_function("id => document.querySelector('#' + id + ' .js-plotly-plot')?.data", arg=graph_id)
    return page.evaluate(
        """id => document.querySelector('#' + id + ' .js-plotly-plot').data.map(t => ({
            name: t.name, type: t.type, x: t.x, y: t.y, labels: t.labels, values: t.values}))""",
        graph_id,
    )


def sales(fct, filters: KpiFilter) -> list[dict]:
    return [
        r
        for r in fct
        if r["is_sale"]
        and (filters.start is None or r["order_date"] >= filters.start)
        and (filters.end is None or r["order_date"] <= filters.end)
        and (not filters.categories or r["category"] in filters.categories)
        and (not filters.genders or r["gender"] in filters.genders)
    ]


def check_charts(page, fct, filters: KpiFilter, grain: str) -> None:
    rows = sales(fct, filters)
    revenue: dict = defaultdict(Decimal)
    customers: dict = defaultdict(set)
    trend: dict = defaultdict(Decimal)
    period = {"day": lambda d: d, "week": week_start, "month": lambda d: d.replace(day=1)}[grain]
    for r in rows:
        revenue[(r["category"], r["gender"])] += r["line_total"]
        customers[(r["category"], r["gender"])].add(r["customer_id"])
        trend[(r["gender"], period(r["order_date"]))] += r["line_total"]

    bars = {(t["name"], x): y for t in plotted(page, "chart-category") for x, y in zip(t["x"], t["y"], strict=True)}
    assert bars == pytest.approx({(g, c): float(v) for (c, g), v in revenue.items()})

    pies = {
        (t["name"], label): value
        for t in plotted(page, "chart-pies")
        for label, value in zip(t["labels"], t["values"], strict=True)
    }
    assert pies == {(c, g): len(ids) for (c, g), ids in customers.items()}

    lines = [t for t in plotted(page, "chart-trend") if t["name"] in GENDERS]
    revenue_lines = {t["name"]: t for t in lines[::2]}  # revenue and products sold alternate per gender
    for gender, line in revenue_lines.items():
        expected = sorted((day, v) for (g, day), v in trend.items() if g == gender)
        assert [date.fromisoformat(x[:10]) for x in line["x"]] == [day for day, _ in expected]
        assert line["y"] == pytest.approx([float(v) for _, v in expected])


def wait_for_trend(page, grain: str) -> None:
    page.locator("#title-trend").get_by_text(f"Revenue and products sold by {grain}", exact=True).wait_for()


def test_every_filter_changes_the_cards_to_what_insights_kpis_computes(page, dashboard_url, dashboard_lake) -> None:
    lake, fct = dashboard_lake
    ARTIFACTS.mkdir(exist_ok=True)
    first = min(r["order_date"] for r in fct if r["is_sale"])
    last = max(r["order_date"] for r in fct if r["is_sale"])

    page.goto(dashboard_url)
    assert page.title() == "Customer Insights"
    assert "local DuckDB views" in page.locator("#source-label").inner_text()
    filters = KpiFilter(start=first, end=last)  # the date range opens on the dates with sales
    check_cards(page, lake, fct, filters)
    check_charts(page, fct, filters, "month")
    page.screenshot(path=str(ARTIFACTS / "dashboard-1-loaded.png"), full_page=True)

    # categories: check two, one after the other
    page.locator("#filter-categories").get_by_text("Bikes", exact=True).click()
    filters = KpiFilter(start=first, end=last, categories=("Bikes",))
    check_cards(page, lake, fct, filters)
    page.locator("#filter-categories").get_by_text("Clothing", exact=True).click()
    filters = KpiFilter(start=first, end=last, categories=("Bikes", "Clothing"))
    check_cards(page, lake, fct, filters)
    check_charts(page, fct, filters, "month")

    # genders
    page.locator("#filter-genders").get_by_text("Female", exact=True).click()
    filters = KpiFilter(start=first, end=last, categories=("Bikes", "Clothing"), genders=("Female",))
    check_cards(page, lake, fct, filters)
    page.locator("#filter-genders").get_by_text("Unknown", exact=True).click()
    filters = KpiFilter(start=first, end=last, categories=("Bikes", "Clothing"), genders=("Female", "Unknown"))
    check_cards(page, lake, fct, filters)

    # the date range, typed as an analyst would
    page.fill("#filter-start", "2023-06-01")
    page.press("#filter-start", "Enter")
    page.fill("#filter-end", "2024-05-31")
    page.press("#filter-end", "Enter")
    filters = KpiFilter(date(2023, 6, 1), date(2024, 5, 31), ("Bikes", "Clothing"), ("Female", "Unknown"))
    check_cards(page, lake, fct, filters)
    check_charts(page, fct, filters, "month")

    # the trend's grain: week, then day over a quarter (the cards do not change)
    page.locator("#filter-grain").get_by_text("Week", exact=True).click()
    wait_for_trend(page, "week")
    check_charts(page, fct, filters, "week")
    page.screenshot(path=str(ARTIFACTS / "dashboard-2-filtered-by-week.png"), full_page=True)
    page.fill("#filter-start", "2024-03-01")
    page.press("#filter-start", "Enter")
    filters = KpiFilter(date(2024, 3, 1), date(2024, 5, 31), ("Bikes", "Clothing"), ("Female", "Unknown"))
    check_cards(page, lake, fct, filters)
    page.locator("#filter-grain").get_by_text("Day", exact=True).click()
    wait_for_trend(page, "day")
    check_charts(page, fct, filters, "day")
    check_cards(page, lake, fct, filters)

    # unchecking everything is "all" again
    for label in ("Bikes", "Clothing"):
        page.locator("#filter-categories").get_by_text(label, exact=True).click()
    for label in ("Female", "Unknown"):
        page.locator("#filter-genders").get_by_text(label, exact=True).click()
    check_cards(page, lake, fct, KpiFilter(date(2024, 3, 1), date(2024, 5, 31)))
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000


def test_a_filter_without_sales_shows_zeros_and_says_so(page, dashboard_url, dashboard_lake) -> None:
    lake, fct = dashboard_lake
    with_sales = {r["order_date"] for r in fct if r["is_sale"]}
    quiet = next(d for d in (date(2023, 1, 1) + timedelta(days=n) for n in range(731)) if d not in with_sales)
    page.goto(dashboard_url)
    page.wait_for_selector("#kpi-revenue")
    page.fill("#filter-start", quiet.isoformat())
    page.press("#filter-start", "Enter")
    page.fill("#filter-end", quiet.isoformat())
    page.press("#filter-end", "Enter")
    expected = check_cards(page, lake, fct, KpiFilter(start=quiet, end=quiet))
    assert (expected["products_sold"], expected["revenue"], expected["customers"]) == (0, "0.00", 0)
    for chart in ("chart-trend", "chart-category", "chart-pies"):
        page.locator(f"#{chart}").get_by_text("No sales in this filter").wait_for()


def test_an_impossible_date_range_is_reported_not_drawn(page, dashboard_url) -> None:
    page.goto(dashboard_url)
    page.wait_for_selector("#kpi-revenue")
    page.fill("#filter-start", "2024-06-01")
    page.press("#filter-start", "Enter")
    page.fill("#filter-end", "2024-05-01")
    page.press("#filter-end", "Enter")
    error = page.locator("#error")
    error.get_by_text("start 2024-06-01 is after end 2024-05-01").wait_for()
    assert page.locator("#kpi-revenue").count() == 0
