"""The browser tests' pieces: Debian's Chromium for Playwright, gold tables of seeded order lines, the dashboard
served over them in this process, and a page that fails the test on any script error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dashboard import DashboardServer, create_app
from insights.serving.local import LocalViews
from tests.support.gold import PRODUCTS, fct_rows, many_customers, random_lines, write_gold

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


def seeded_gold(folder: Path, seed: int, n_orders: int, n_customers: int, products=PRODUCTS) -> tuple[Path, list]:
    """Gold Delta tables of seeded order lines under `folder`, and the fact rows worked out in plain Python."""
    customers = many_customers(n_customers)
    lines = random_lines(seed=seed, n_orders=n_orders, customers=customers, products=products)
    return write_gold(folder / "lake", lines, customers, products), fct_rows(lines, customers, products)


def serve(lake: Path) -> Iterator[str]:
    """The dashboard over the local views of `lake`, on a free port; yields its URL."""
    with DashboardServer(create_app(LocalViews(lake)), port=0) as server:
        yield server.url


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
