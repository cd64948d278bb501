"""The dashboard as a reader sees it, on a desktop (1366 px) and a phone (420 px): revenue carries its
currency, the customer split has the revenue share beside it, a day view over years stays readable, every
pie is labelled alike, a bad date range is said once, and nothing overflows the screen or overlaps.

The gold here has revenue in the billions (list prices x 1000), so the widest figures a card can show are
on screen. Expected figures come from the test's own order lines in plain Python; overflow and overlap are
measured on the elements' boxes in the page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from insights.serving.kpis import KpiFilter
from tests.support.browser import open_page, seeded_gold, serve
from tests.support.gold import GENDERS, PRODUCTS
from tests.support.paths import ARTIFACTS

from .test_dashboard import check_charts, plotted, sales, wait_for

WIDTHS = {"desktop": 1366, "phone": 420}
GRAPHS = ("chart-trend", "chart-category", "chart-pies")


@pytest.fixture(scope="module")
def big_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    products = [replace(p, list_price=p.list_price * 1000) for p in PRODUCTS]
    return seeded_gold(tmp_path_factory.mktemp("layout"), seed=11, n_orders=300, n_customers=60, products=products)


@pytest.fixture(scope="module")
def big_url(big_lake) -> Iterator[str]:
    yield from serve(big_lake[0])


@pytest.fixture(params=list(WIDTHS))
def screen(request, browser):
    """A page at one of the two widths, and that width's name."""
    for page in open_page(browser, WIDTHS[request.param], 900):
        yield page, request.param


def boxes(page, selector: str) -> list[dict]:
    """The visible boxes (viewport coordinates, whole page scrolled) of the elements matching `selector`."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)].map(e => {
            const r = e.getBoundingClientRect();
            return {text: (e.textContent || '').trim().slice(0, 60), left: r.left + scrollX, right: r.right + scrollX,
                    top: r.top + scrollY, bottom: r.bottom + scrollY, width: r.width, height: r.height,
                    scrollWidth: e.scrollWidth, clientWidth: e.clientWidth};
        }).filter(b => b.width > 0 && b.height > 0)""",
        selector,
    )


def overlaps(a: dict, b: dict, slack: float = 0.5) -> bool:
    return (
        min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
    )


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (
        inner["left"] >= outer["left"] - slack
        and inner["right"] <= outer["right"] + slack
        and inner["top"] >= outer["top"] - slack
        and inner["bottom"] <= outer["bottom"] + slack
    )


def assert_apart(named: dict[str, list[dict]]) -> None:
    """No two boxes of different groups overlap, nor two boxes of the same group."""
    flat = [(group, box) for group, group_boxes in named.items() for box in group_boxes]
    clashes = [
        f"{g1} {b1['text']!r} / {g2} {b2['text']!r}"
        for i, (g1, b1) in enumerate(flat)
        for g2, b2 in flat[i + 1 :]
        if overlaps(b1, b2)
    ]
    assert not clashes, clashes


def load(page, url: str, fct: list[dict]) -> KpiFilter:
    page.goto(url)
    first = min(r["order_date"] for r in fct if r["is_sale"])
    last = max(r["order_date"] for r in fct if r["is_sale"])
    filters = KpiFilter(start=first, end=last)
    wait_for(page, filters)
    wait_for_graphs(page)
    return filters


def wait_for_graphs(page) -> None:
    page.wait_for_function("ids => ids.every(id => document.querySelector('#' + id + ' .main-svg'))", arg=list(GRAPHS))
    page.wait_for_timeout(300)  # Plotly's responsive relayout after the first draw


def set_dates(page, start: str, end: str) -> None:
    page.fill("#filter-start", start)
    page.press("#filter-start", "Enter")
    page.fill("#filter-end", end)
    page.press("#filter-end", "Enter")
    page.press("#filter-end", "Escape")  # close the calendar, as a reader would before looking


def check_layout(page, width_name: str) -> None:
    """Nothing wider than the screen, no text out of its card, no two titles on top of each other."""
    viewport = page.evaluate("({width: innerWidth, doc: document.documentElement.scrollWidth})")
    assert viewport["doc"] <= viewport["width"], f"{width_name}: the page scrolls sideways"
    screen_box = {"left": 0, "right": viewport["width"], "top": -1e9, "bottom": 1e9}
    for selector in (".header > *", ".filter", ".card", ".card *", ".chart", ".chart h2", ".main-svg"):
        for box in boxes(page, selector):
            assert inside(box, screen_box), f"{width_name}: {selector} {box['text']!r} leaves the screen"
    for card in boxes(page, ".card"):
        assert card["scrollWidth"] <= card["clientWidth"], f"{width_name}: card {card['text']!r} overflows"
    shown_cards = [
        c for c in ("kpi-products-sold", "kpi-revenue", "kpi-orders", "kpi-customers") if boxes(page, f"#{c}")
    ]
    for selector in (".card-title", ".card-value", ".split"):
        for card_id in shown_cards:
            [card] = boxes(page, f"#{card_id}")
            for box in boxes(page, f"#{card_id} {selector}"):
                assert inside(box, card), f"{width_name}: {selector} {box['text']!r} leaves its card"
                assert box["scrollWidth"] <= box["clientWidth"] + 1, f"{width_name}: {box['text']!r} is cut"
    assert_apart({"card": boxes(page, ".card"), "chart": boxes(page, ".chart")})
    for graph in (g for g in GRAPHS if boxes(page, f"#{g} .svg-container")):  # all three, unless hidden
        [frame] = boxes(page, f"#{graph} .svg-container")
        parts = {
            "legend": boxes(page, f"#{graph} .legend .bg"),
            "plot area": boxes(page, f"#{graph} .draglayer .nsewdrag"),
            "axis title": boxes(page, f"#{graph} .g-xtitle, #{graph} .g-ytitle, #{graph} .g-y2title"),
            "pie title": boxes(page, f"#{graph} .annotation"),
            "pie": boxes(page, f"#{graph} .pielayer .trace"),
        }
        assert_apart(parts)
        for group, group_boxes in parts.items():
            for box in group_boxes:
                assert inside(box, frame), f"{width_name}: {graph} {group} {box['text']!r} is cut off"
    assert_apart(
        {"heading": boxes(page, ".chart h2"), "note": boxes(page, ".note"), "graph": boxes(page, ".graph-box")}
    )


def test_currency_and_revenue_share_match_the_source_rows(screen, big_url, big_lake) -> None:
    page, width_name = screen
    _, fct = big_lake
    ARTIFACTS.mkdir(exist_ok=True)
    filters = load(page, big_url, fct)

    rows = sales(fct, filters)
    revenue = sum((r["line_total"] for r in rows), Decimal(0))
    by_gender = {g: sum((r["line_total"] for r in rows if r["gender"] == g), Decimal(0)) for g in GENDERS}
    assert revenue > 10**9  # the widest figures a card shows: billions, with separators
    assert page.locator("#kpi-revenue .card-title").inner_text().lower() == "revenue (usd)"
    cents = revenue.quantize(Decimal("0.01"))
    assert page.locator("#kpi-revenue .card-value").inner_text() == f"{cents:,}"
    for gender in GENDERS:
        cell = page.locator(f"#kpi-revenue-share-{gender}")
        assert Decimal(cell.get_attribute("data-value")) == pytest.approx(
            by_gender[gender] / revenue, abs=Decimal("1e-20")
        )
        assert cell.inner_text() == f"{by_gender[gender] / revenue:.1%}"
    # the axes that draw revenue say it is USD, on screen
    for graph in ("chart-trend", "chart-category"):
        titles = [b["text"] for b in boxes(page, f"#{graph} .g-ytitle")]
        assert "Revenue (USD)" in titles, (graph, titles)
    hover = page.evaluate("document.querySelector('#chart-category .js-plotly-plot').data[0].hovertemplate")
    assert "USD %{y:,.2f}" in hover

    check_layout(page, width_name)
    page.screenshot(path=str(ARTIFACTS / f"layout-{width_name}-loaded.png"), full_page=True)


def test_every_pie_is_labelled_alike(screen, big_url, big_lake) -> None:
    page, width_name = screen
    _, fct = big_lake
    load(page, big_url, fct)
    traces = plotted(page, "chart-pies")
    assert [t["name"] for t in traces] == ["Accessories", "Bikes", "Clothing", "Components"]
    labels = page.evaluate(
        """() => [...document.querySelectorAll('#chart-pies text.slicetext')].map(e => ({
            text: e.textContent, size: getComputedStyle(e).fontSize}))"""
    )
    assert labels, "no slice is labelled"
    assert all(re.fullmatch(r"\d{1,3}\.\d%", label["text"]) for label in labels), labels  # one decimal on every label
    assert len({label["size"] for label in labels}) == 1, labels  # one label size on every pie
    pies = boxes(page, "#chart-pies .pielayer .trace")
    for label in boxes(page, "#chart-pies text.slicetext"):
        assert any(inside(label, pie) for pie in pies), f"{width_name}: label {label['text']} is outside its pie"
    check_layout(page, width_name)


def test_a_day_view_over_years_is_drawn_by_week_and_says_so(screen, big_url, big_lake) -> None:
    page, width_name = screen
    _, fct = big_lake
    filters = load(page, big_url, fct)
    assert (filters.end - filters.start).days > 600  # two years of sales

    page.locator("#filter-grain").get_by_text("Day", exact=True).click()
    page.locator("#title-trend").get_by_text("Revenue and products sold by week").wait_for()
    assert (
        "A day view draws at most 200 points per line: this range is shown by week."
        in page.locator("#trend-note").inner_text()
    )
    check_charts(page, fct, filters, "week")
    lines = plotted(page, "chart-trend")
    assert lines and max(len(t["x"]) for t in lines) <= 200
    check_layout(page, width_name)
    page.screenshot(path=str(ARTIFACTS / f"layout-{width_name}-day-over-years.png"), full_page=True)

    # a quarter is short enough for days: one point per day with sales
    set_dates(page, "2024-03-01", "2024-05-31")
    quarter = KpiFilter(start=date(2024, 3, 1), end=date(2024, 5, 31))
    wait_for(page, quarter)
    page.locator("#title-trend").get_by_text("Revenue and products sold by day").wait_for()
    assert page.locator("#trend-note").inner_text() == ""
    check_charts(page, fct, quarter, "day")
    days = defaultdict(set)
    for r in sales(fct, quarter):
        days[r["gender"]].add(r["order_date"])
    revenue_lines = plotted(page, "chart-trend")[::2]
    assert {t["name"]: len(t["x"]) for t in revenue_lines} == {g: len(d) for g, d in days.items()}
    wait_for_graphs(page)
    check_layout(page, width_name)


def test_an_impossible_date_range_is_said_once_and_nothing_is_drawn(screen, big_url, big_lake) -> None:
    page, width_name = screen
    _, fct = big_lake
    load(page, big_url, fct)
    set_dates(page, "2024-06-01", "2024-05-01")
    message = "start 2024-06-01 is after end 2024-05-01"
    page.locator("#error").get_by_text(message).wait_for()
    page.locator("#content").wait_for(state="hidden")
    assert page.locator("#error").is_visible()
    body = page.locator("body").inner_text()
    assert body.count(message) == 1
    assert "No sales in this filter" not in body
    assert page.get_by_text("No sales in this filter").count() == 0  # not even hidden in a chart
    assert page.locator("#kpi-revenue").count() == 0
    check_layout(page, width_name)
    page.screenshot(path=str(ARTIFACTS / f"layout-{width_name}-date-error.png"), full_page=True)
