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


@pytest.fixture(scope="session")
def dashboard_lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    customers = many_customers(40)
    lines = random_lines(seed=3, n_orders=250, customers=customers, products=PRODUCTS)
    lake = write_gold(tmp_path_factory.mktemp("browser") / "lake", lines, customers, PRODUCTS)
    return lake, fct_rows(lines, customers, PRODUCTS)


@pytest.fixture(scope="session")
def dashboard_url(dashboard_lake) -> Iterator[str]:
    lake, _ = dashboard_lake
    with DashboardServer(create_app(LocalViews(lake)), port=0) as server:
        yield server.url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 1500})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"
