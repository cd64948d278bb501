"""A real browser on the real dashboard: Debian's Chromium (`apt-get install chromium`) driven by
Playwright for Python, never a browser Playwright downloads; the dashboard served on 127.0.0.1 in this
process over gold Delta tables written by the test (the builder of tests/serving/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serving.conftest import PRODUCTS, fct_rows, many_customers, random_lines, write_gold

from dashboard import DashboardServer, create_app
from insights.serving import LocalViews

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def seeded_gold(folder: Path, seed: int, n_orders: int, n_customers: int, products=PRODUCTS) -> tuple[Path, list]:
    """Gold Delta tables of seeded order lines under `folder`, and the fact rows worked out in plain Python."""
    customers = many_customers(n_customers)
    lines = random_lines(seed=seed, n_orders=n_orders, customers=customers, products=products)
    return write_gold(folder / "lake", lines, customers, products), fct_rows(lines, customers, products)


def serve(lake: Path) -> Iterator[str]:
    """The dashboard over the local views of `lake`, on a free port; yields its URL."""
    with DashboardServer(create_app(LocalViews(lake)), port=0) as server:
        yield server.url


@pytest.fixture(scope="session")
def dashboard_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    return seeded_gold(tmp_path_factory.mktemp("browser"), seed=3, n_orders=250, n_customers=40)


@pytest.fixture(scope="session")
def dashboard_url(dashboard_lake) -> Iterator[str]:
    yield from serve(dashboard_lake[0])


def open_page(browser, width: int, height: int) -> Iterator:
    """A fresh page of this size; on closing it, no script error may have happened in it."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def page(browser):
    yield from open_page(browser, 1366, 1500)
