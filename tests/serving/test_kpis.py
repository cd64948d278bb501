"""`insights kpis` through the serving views: the JSON contract, figures worked out by hand on the SMALL
set, and a plain-Python reading of DESIGN.md over seeded random sets for many filters."""

from __future__ import annotations

import json
import random
import shutil
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboard.data import state
from insights.cli import app
from insights.serving import kpis, local
from insights.serving.kpis import KEPT_DOCUMENTS, KpiError, KpiFilter, compute_kpis, kpi_document
from insights.serving.local import LocalViews
from tests.support.gold import (
    GENDERS,
    PRODUCTS,
    fct_rows,
    many_customers,
    random_lines,
    reference_kpis,
    week_start,
    write_gold,
)

CATEGORIES = ["Accessories", "Bikes", "Clothing", "Components"]

# Worked out by hand from the 13 lines of conftest.SMALL: lines 6 (rejected) and 7 (cancelled) count in
# nothing; 4427.845 and 4579.605 round half-up (not to even) for display.
BY_HAND_ALL = {
    "filters": {"start": None, "end": None, "categories": [], "genders": []},
    "products_sold": 16,
    "revenue": "9017.43",
    "orders": 7,
    "customers": 5,
    "customers_by_gender": {"Female": 2, "Male": 2, "Unknown": 1},
    "revenue_by_gender": {"Female": "4579.61", "Male": "4427.85", "Unknown": "9.98"},
    "products_sold_by_gender": {"Female": 6, "Male": 8, "Unknown": 2},
    "by_category": [
        {"category": "Accessories", "products_sold": 6, "revenue": "29.94", "customers": 3},
        {"category": "Bikes", "products_sold": 5, "revenue": "7399.99", "customers": 4},
        {"category": "Clothing", "products_sold": 3, "revenue": "174.63", "customers": 2},
        {"category": "Components", "products_sold": 2, "revenue": "1412.88", "customers": 2},
    ],
}
# Bikes from 2024-01-03: lines 8 (Mrs. Harrington, 3399.99), 11 (Sr. Ruiz, 2 x 1000) and 13 (Ms. Gates, 1000)
BY_HAND_BIKES_FROM_JAN_3 = {
    "filters": {"start": "2024-01-03", "end": None, "categories": ["Bikes"], "genders": []},
    "products_sold": 4,
    "revenue": "6399.99",
    "orders": 3,
    "customers": 3,
    "customers_by_gender": {"Female": 2, "Male": 1, "Unknown": 0},
    "revenue_by_gender": {"Female": "4399.99", "Male": "2000.00", "Unknown": "0.00"},
    "products_sold_by_gender": {"Female": 2, "Male": 2, "Unknown": 0},
    "by_category": [{"category": "Bikes", "products_sold": 4, "revenue": "6399.99", "customers": 3}],
}
# Women in January 2024: lines 3 and 4 (order 1002); order 1004 was rejected
BY_HAND_WOMEN_IN_JANUARY = {
    "filters": {"start": "2024-01-01", "end": "2024-01-31", "categories": [], "genders": ["Female"]},
    "products_sold": 3,
    "revenue": "119.29",
    "orders": 1,
    "customers": 1,
    "customers_by_gender": {"Female": 1, "Male": 0, "Unknown": 0},
    "revenue_by_gender": {"Female": "119.29", "Male": "0.00", "Unknown": "0.00"},
    "products_sold_by_gender": {"Female": 3, "Male": 0, "Unknown": 0},
    "by_category": [
        {"category": "Accessories", "products_sold": 1, "revenue": "4.99", "customers": 1},
        {"category": "Bikes", "products_sold": 0, "revenue": "0.00", "customers": 0},
        {"category": "Clothing", "products_sold": 2, "revenue": "114.30", "customers": 1},
        {"category": "Components", "products_sold": 0, "revenue": "0.00", "customers": 0},
    ],
}


@pytest.mark.parametrize(
    ("filters", "by_hand"),
    [
        (KpiFilter(), BY_HAND_ALL),
        (KpiFilter(start=date(2024, 1, 3), categories=("Bikes",)), BY_HAND_BIKES_FROM_JAN_3),
        (KpiFilter(start=date(2024, 1, 1), end=date(2024, 1, 31), genders=("Female",)), BY_HAND_WOMEN_IN_JANUARY),
    ],
    ids=["all", "bikes-from-jan-3", "women-in-january"],
)
def test_kpis_of_the_small_set_are_the_figures_worked_out_by_hand(gold_lake: Path, filters, by_hand) -> None:
    assert compute_kpis(gold_lake, filters) == by_hand


def test_the_json_contract_keys_and_types_are_unchanged(gold_lake: Path) -> None:
    document = compute_kpis(gold_lake, KpiFilter())
    assert list(document) == [
        "filters",
        "products_sold",
        "revenue",
        "orders",
        "customers",
        "customers_by_gender",
        "revenue_by_gender",
        "products_sold_by_gender",
        "by_category",
    ]
    assert list(document["customers_by_gender"]) == list(GENDERS)
    assert all(type(document[k]) is int for k in ("products_sold", "orders", "customers"))
    assert type(document["revenue"]) is str
    assert list(document["by_category"][0]) == ["category", "products_sold", "revenue", "customers"]


def test_insights_kpis_json_prints_the_document(gold_lake: Path) -> None:
    result = CliRunner().invoke(
        app, ["kpis", "--json", "--lake", str(gold_lake), "--start", "2024-01-03", "--category", "Bikes"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == BY_HAND_BIKES_FROM_JAN_3


def value_of(table: str, kpi: str) -> str:
    """The value column of one row of the KPI table that `insights kpis` prints."""
    [value] = [
        cells[2].strip()
        for cells in (line.split("│") for line in table.splitlines())
        if len(cells) > 2 and cells[1].strip() == kpi
    ]
    return value


@pytest.mark.parametrize(("env", "currency"), [({}, "USD"), ({"INSIGHTS_CURRENCY": "EUR"}, "EUR")])
def test_insights_kpis_prints_revenue_in_its_currency_with_thousands_separators(gold_lake: Path, env, currency):
    result = CliRunner().invoke(app, ["kpis", "--lake", str(gold_lake)], env=env)
    assert result.exit_code == 0, result.output
    assert value_of(result.stdout, "revenue") == f"{currency} 9,017.43"  # BY_HAND_ALL
    assert value_of(result.stdout, "revenue Bikes") == f"{currency} 7,399.99"
    assert value_of(result.stdout, "revenue Accessories") == f"{currency} 29.94"


def test_insights_kpis_refuses_a_currency_that_is_not_an_iso_code(gold_lake: Path) -> None:
    result = CliRunner().invoke(app, ["kpis", "--lake", str(gold_lake), "--currency", "dollars"])
    assert result.exit_code == 2
    assert "'dollars' is not an ISO 4217 code such as USD or EUR" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--category", "Bicycles"], "unknown category Bicycles: use Accessories, Bikes, Clothing, Components"),
        (["--gender", "Other"], "unknown gender(s) Other"),
        (["--start", "2024-02-01", "--end", "2024-01-01"], "start 2024-02-01 is after end 2024-01-01"),
    ],
)
def test_insights_kpis_refuses_a_filter_it_cannot_compute(gold_lake: Path, args, message) -> None:
    result = CliRunner().invoke(app, ["kpis", "--json", "--lake", str(gold_lake), *args])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_kpis_on_a_lake_without_gold_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(KpiError, match=r"no gold table .* run `insights run` first"):
        compute_kpis(tmp_path, KpiFilter())


def test_a_filter_asked_again_is_answered_without_loading_gold_until_gold_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customers = many_customers(30)
    lake = tmp_path / "lake"

    def gold(seed: int) -> dict:  # gold for other order lines; the KPIs a plain reading expects of them
        lines = random_lines(seed=seed, n_orders=80, customers=customers, products=PRODUCTS)
        write_gold(lake, lines, customers, PRODUCTS)
        return reference_kpis(fct_rows(lines, customers, PRODUCTS), known=CATEGORIES)

    first = gold(seed=1)
    assert compute_kpis(lake, KpiFilter()) == first
    with monkeypatch.context() as patch:
        patch.setattr(LocalViews, "__init__", lambda self, *a, **k: pytest.fail("the views were read again"))
        assert compute_kpis(lake, KpiFilter()) == first  # the same gold: the kept document
    second = gold(seed=2)  # every table written again: new versions
    assert second != first and compute_kpis(lake, KpiFilter()) == second
    shutil.rmtree(lake / "gold")
    gold(seed=3)
    third = gold(seed=4)  # new tables, at the versions the kept ones had (each written twice)
    assert compute_kpis(lake, KpiFilter()) == third
    (lake / KEPT_DOCUMENTS).write_text('{"gold": ', encoding="utf-8")  # cut short
    assert compute_kpis(lake, KpiFilter()) == third
    assert json.loads((lake / KEPT_DOCUMENTS).read_text(encoding="utf-8"))["documents"]
    loads = []
    monkeypatch.setattr(LocalViews, "_load", lambda self, load=LocalViews._load: loads.append(1) or load(self))
    monkeypatch.setattr(kpis, "_code_digest", lambda: "views or queries edited")
    assert compute_kpis(lake, KpiFilter()) == third and loads  # the same gold, other code: computed again


@pytest.fixture(scope="module")
def random_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    customers = many_customers(60)
    lines = random_lines(seed=7, n_orders=400, customers=customers, products=PRODUCTS)
    lake = write_gold(tmp_path_factory.mktemp("random") / "lake", lines, customers, PRODUCTS)
    return lake, fct_rows(lines, customers, PRODUCTS)


@pytest.fixture(scope="module")
def sparse_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """Customer and order ids from about -2 to 2 billion: too wide a range to count as a bitmap (and wider
    than an INT can hold as a difference)."""
    customers = [replace(c, customer_id=(c.customer_id - 30) * 60_000_000) for c in many_customers(60)]
    lines = [
        replace(line, order_id=(line.order_id - 200) * 10_000_000)
        for line in random_lines(seed=7, n_orders=400, customers=customers, products=PRODUCTS)
    ]
    lake = write_gold(tmp_path_factory.mktemp("sparse") / "lake", lines, customers, PRODUCTS)
    return lake, fct_rows(lines, customers, PRODUCTS)


def random_filter(rng: random.Random) -> KpiFilter:
    start = date(2023, 1, 1) + timedelta(days=rng.randrange(731)) if rng.random() < 0.7 else None
    end = (start or date(2023, 1, 1)) + timedelta(days=rng.randrange(400)) if rng.random() < 0.7 else None
    return KpiFilter(
        start=start,
        end=end,
        categories=tuple(rng.sample(CATEGORIES, rng.randrange(len(CATEGORIES) + 1))),
        genders=tuple(rng.sample(GENDERS, rng.randrange(len(GENDERS) + 1))),
    )


@pytest.mark.parametrize("enum_min_rows", [0, 10**9], ids=["text-as-enum", "text-as-varchar"])
@pytest.mark.parametrize("keys", ["random_lake", "sparse_lake"], ids=["keys-as-bitmaps", "keys-hashed"])
def test_kpis_equal_a_plain_python_reading_of_the_definitions_for_many_filters(
    keys: str, enum_min_rows: int, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the local load keeps low-cardinality text as ENUM above a size, and counts distinct keys of a small
    # range as bitmaps: the figures must depend on neither
    monkeypatch.setattr(local, "ENUM_MIN_ROWS", enum_min_rows)
    lake, fct = request.getfixturevalue(keys)
    rng = random.Random(11)
    source = LocalViews(lake)
    assert source.execute("SELECT category FROM gold.dim_product ORDER BY category") == [
        (p.category,) for p in sorted(PRODUCTS, key=lambda p: p.category)
    ]
    assert kpi_document(source, KpiFilter(categories=("Bikes",), genders=("Male",)))["products_sold"] > 0
    with pytest.raises(KpiError, match="unknown category Bicycles"):
        kpi_document(source, KpiFilter(categories=("Bicycles",)))
    for _ in range(40):
        filters = random_filter(rng)
        expected = reference_kpis(
            fct, filters.start, filters.end, filters.categories, filters.genders, known=CATEGORIES
        )
        assert kpi_document(source, filters) == expected, filters
    (lake / KEPT_DOCUMENTS).unlink(missing_ok=True)  # computed on this lake's text columns, not kept
    assert compute_kpis(lake, KpiFilter()) == reference_kpis(fct, known=CATEGORIES)
    bitmaps = source._current().bitmap_columns  # which ids the load found narrow enough for bitmaps
    assert {"customer_id", "sales_order_id"} & bitmaps == (
        {"customer_id", "sales_order_id"} if keys == "random_lake" else set()
    )


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_the_dashboard_state_equals_plain_python_figures(random_lake, grain: str) -> None:
    lake, fct = random_lake
    filters = KpiFilter(start=date(2023, 6, 1), end=date(2024, 5, 31), categories=("Bikes", "Clothing"))
    current = state(LocalViews(lake), filters, grain)
    rows = [
        r
        for r in fct
        if r["is_sale"]
        and date(2023, 6, 1) <= r["order_date"] <= date(2024, 5, 31)
        and r["category"] in filters.categories
    ]
    period = {"day": lambda d: d, "week": week_start, "month": lambda d: d.replace(day=1)}[grain]
    trend: dict = defaultdict(lambda: [0, Decimal(0)])
    cells: dict = defaultdict(lambda: [0, Decimal(0), set()])
    for r in rows:
        point = trend[(period(r["order_date"]), r["gender"])]
        point[0] += r["order_qty"]
        point[1] += r["line_total"]
        cell = cells[(r["category"], r["gender"])]
        cell[0] += r["order_qty"]
        cell[1] += r["line_total"]
        cell[2].add(r["customer_id"])
    assert [(p.period, p.gender, p.products_sold, p.revenue) for p in current.trend] == [
        (key[0], key[1], value[0], value[1]) for key, value in sorted(trend.items())
    ]
    assert [(c.category, c.gender, c.products_sold, c.revenue, c.customers) for c in current.category_gender] == [
        (key[0], key[1], v[0], v[1], len(v[2]))
        for key, v in sorted(cells.items(), key=lambda kv: (kv[0][0], GENDERS.index(kv[0][1])))
    ]
    assert current.kpis == compute_kpis(lake, filters)
    revenue = sum((r["line_total"] for r in rows), Decimal(0))
    assert current.revenue_share == {
        g: sum((r["line_total"] for r in rows if r["gender"] == g), Decimal(0)) / revenue for g in GENDERS
    }
