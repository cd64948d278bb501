"""A real browser on the real dashboard: Debian's Chromium (`apt-get install chromium`) driven by
Playwright for Python, never a browser Playwright downloads; the dashboard served on 127.0.0.1 in this
process over gold Delta tables written by the test (tests/support/gold.py, tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, open_page, seeded_gold, serve


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
    return seeded_gold(tmp_path_factory.mktemp("browser"), seed=3, n_orders=250, n_customers=40)


@pytest.fixture(scope="session")
def dashboard_url(dashboard_lake) -> Iterator[str]:
    yield from serve(dashboard_lake[0])


@pytest.fixture
def page(browser):
    yield from open_page(browser, 1366, 1500)
