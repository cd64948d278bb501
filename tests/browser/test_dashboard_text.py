"""Non-Latin text and emoji in the dashboard: a category and a customer named that way are valid data
(docs/data-contract.md, "Edge cases"), so Chromium must show them exactly as gold holds them: in the
category filter, on the chart's axis and in its hover text, and filtering by them must work."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from insights.serving.kpis import KpiFilter
from tests.support.browser import serve
from tests.support.gold import Customer, Line, Product, write_gold
from tests.support.paths import ARTIFACTS

from .test_dashboard import plotted, wait_for

BIKES_FR, MOUNTAIN_RU = "Vélos 🚲 自転車", "Горные 🏔"
CUSTOMERS = [Customer(1, "Ms.", "Zoë 😀", "李小龍", "Female"), Customer(2, "Mr.", "John", "Smith", "Male")]
PRODUCTS = [
    Product(10, "Велосипед 🚲", BIKES_FR, MOUNTAIN_RU, Decimal("50.0000")),
    Product(20, "Water Bottle", "Accessories", "Bottles and Cages", Decimal("5.0000")),
]
LINES = [
    Line(1, 1, date(2024, 3, 1), 5, 1, 10, 3, Decimal("50.0000")),  # 150.00 in BIKES_FR, Female
    Line(2, 2, date(2024, 3, 2), 5, 2, 20, 2, Decimal("5.0000")),  # 10.00 in Accessories, Male
]


# Each character of an element's text drawn alone with the element's font, compared with a private-use
# character, which no font has: a character drawn the same has no glyph here (a box, not the text).
MISSING_GLYPHS = """selector => {
    const element = document.querySelector(selector);
    const context = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
    context.canvas.width = context.canvas.height = 96;
    const draw = character => {
        context.clearRect(0, 0, 96, 96);
        context.font = getComputedStyle(element).font;
        context.textBaseline = 'top';
        context.fillText(character, 8, 8);
        return context.getImageData(0, 0, 96, 96).data.join();
    };
    const box = draw('\\ue000');
    return Array.from(element.textContent).filter(c => c.trim() && draw(c) === box);
}"""


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    yield from serve(write_gold(tmp_path_factory.mktemp("text") / "lake", LINES, CUSTOMERS, PRODUCTS))


def test_a_non_latin_category_with_emoji_is_shown_and_filters_exactly(page, url) -> None:
    page.goto(url)
    page.wait_for_selector("#kpi-revenue")
    options = page.locator("#filter-categories label").all_inner_texts()
    assert [o.strip() for o in options] == ["Accessories", BIKES_FR]  # sorted by code point, as the views sort
    bars = {trace["name"]: dict(zip(trace["x"], trace["y"], strict=True)) for trace in plotted(page, "chart-category")}
    assert bars == {"Female": {BIKES_FR: 150.0}, "Male": {"Accessories": 10.0}}
    page.locator("#chart-category").get_by_text(BIKES_FR, exact=True).wait_for()  # the axis label as drawn
    assert page.evaluate(MISSING_GLYPHS, "#filter-categories label:nth-of-type(2)") == []  # glyphs, not boxes

    page.locator("#filter-categories").get_by_text(BIKES_FR, exact=True).click()
    wait_for(page, KpiFilter(date(2024, 3, 1), date(2024, 3, 2), categories=(BIKES_FR,)))
    assert page.locator("#kpi-revenue").get_attribute("data-value") == "150.00"
    assert page.locator("#kpi-products-sold").get_attribute("data-value") == "3"
    page.screenshot(path=str(ARTIFACTS / "dashboard-non-latin.png"), full_page=True)
