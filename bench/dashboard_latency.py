"""Latency of a dashboard filter change: the dashboard's queries for one filter state, over the serving
views on DuckDB, at scale 1 and 10 (about 100,000 and 1,000,000 order lines), p50 and p95 over many
random filter states. Target: p95 at most 50 ms at scale 10 on 2 cores. Each gold is loaded three times
and measured in the same run: the default (a prepared snapshot, distinct counts as bitmaps where the ids
allow) against two baselines, distinct counts by hashing and a snapshot read as views (not prepared).

    uv run python bench/dashboard_latency.py                   # scales 1 and 10, 200 filter states each
    uv run python bench/dashboard_latency.py --scale 1 --states 50
    uv run python bench/dashboard_latency.py --lake data/lake  # the gold of a lake the pipeline wrote

Without --lake, the gold tables are synthesised here (seeded, numpy), with the columns and types of
docs/data-contract.md, the shape of the sample source (12,000 customers and 100,000 order lines per
unit of scale, three years of orders) and written as Delta, so the figures do not depend on the pipeline.
A benchmark, not a test: it prints its figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from deltalake import write_deltalake

from dashboard.app import readable_grain
from dashboard.data import state
from insights.serving.kpis import GENDERS, KpiFilter
from insights.serving.local import BITMAP_MAX_BITS, LocalViews
from insights.serving.queries import GRAINS

CATEGORIES = {
    "Bikes": ["Mountain Bikes", "Road Bikes", "Touring Bikes"],
    "Components": ["Handlebars", "Bottom Brackets", "Brakes", "Chains", "Cranksets", "Derailleurs", "Forks",
                   "Headsets", "Mountain Frames", "Pedals", "Road Frames", "Saddles", "Touring Frames", "Wheels"],
    "Clothing": ["Bib-Shorts", "Caps", "Gloves", "Jerseys", "Shorts", "Socks", "Tights", "Vests"],
    "Accessories": ["Bike Racks", "Bike Stands", "Bottles and Cages", "Cleaners", "Fenders", "Helmets",
                    "Hydration Packs", "Lights", "Locks", "Panniers", "Pumps", "Tires and Tubes"],
}  # fmt: skip
PRICE_RANGE = {"Bikes": (500, 3600), "Components": (20, 1500), "Clothing": (8, 90), "Accessories": (2, 160)}
FIRST_DAY, DAYS = date(2023, 1, 1), 1096
LINES_PER_SCALE, CUSTOMERS_PER_SCALE, PRODUCTS = 100_000, 12_000, 300


def _decimal(ticks: np.ndarray, precision: int, scale: int) -> pa.Array:
    """int64 amounts in units of 10**-scale as an Arrow decimal128 (16-byte little-endian two's complement)."""
    ticks = ticks.astype("<i8")
    words = np.column_stack([ticks, np.where(ticks < 0, -1, 0).astype("<i8")])
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(ticks), [None, pa.py_buffer(words.tobytes())])


def synthesise_gold(lake: Path, scale: float, seed: int = 42) -> int:
    """Write the five gold tables for `scale`; returns the number of order lines."""
    rng = np.random.default_rng(seed)
    n_lines = int(LINES_PER_SCALE * scale)
    n_customers = int(CUSTOMERS_PER_SCALE * scale)

    # products: category, subcategory, list price in 1/10000
    subcategories = [(c, s) for c, subs in CATEGORIES.items() for s in subs]
    product_sub = rng.integers(0, len(subcategories), PRODUCTS)
    product_cat = np.array([subcategories[i][0] for i in product_sub])
    low = np.array([PRICE_RANGE[c][0] for c in product_cat])
    high = np.array([PRICE_RANGE[c][1] for c in product_cat])
    list_price = (rng.uniform(low, high) * 100).round().astype(np.int64) * 100  # whole cents, in 1/10000

    # customers: gender from the title (48% Male, 48% Female, 4% Unknown)
    customer_gender = rng.choice(np.array(GENDERS), n_customers, p=[0.48, 0.48, 0.04])

    # orders of 1 to 5 lines; seasonal dates; 3% rejected or cancelled
    order_of_line = np.sort(rng.integers(0, int(n_lines / 2.5), n_lines))
    orders, order_index = np.unique(order_of_line, return_inverse=True)
    day_weights = 1 + 0.4 * np.sin(np.arange(DAYS) / 365.25 * 2 * np.pi) + np.arange(DAYS) / DAYS * 0.3
    order_day = rng.choice(DAYS, len(orders), p=day_weights / day_weights.sum())
    order_status = rng.choice(np.array([5, 5, 5, 5, 5, 5, 1, 2, 3, 4, 6]), len(orders))
    order_customer = rng.integers(0, n_customers, len(orders))
    product = rng.integers(0, PRODUCTS, n_lines)
    qty = rng.integers(1, 6, n_lines)
    discount = rng.choice(np.array([0, 0, 0, 0, 200, 500, 1000]), n_lines)  # in 1/10000
    price = list_price[product]
    total = (price * (10_000 - discount) * qty + 50) // 100  # exact, in 1/1,000,000
    day = order_day[order_index]
    status = order_status[order_index]
    customer = order_customer[order_index]
    dates = pa.array(np.datetime64(FIRST_DAY, "D") + day.astype("timedelta64[D]"), pa.date32())
    fct = pa.table(
        {
            "sales_order_id": pa.array(orders[order_index] + 1, pa.int32()),
            "sales_order_detail_id": pa.array(np.arange(1, n_lines + 1), pa.int32()),
            "sales_order_number": pa.array([f"SO{o + 1}" for o in orders[order_index]], pa.string()),
            "order_date": dates,
            "order_status": pa.array(status, pa.int32()),
            "is_sale": pa.array(~np.isin(status, [4, 6])),
            "customer_id": pa.array(customer + 1, pa.int32()),
            "gender": pa.array(customer_gender[customer], pa.string()),
            "product_id": pa.array(product + 1, pa.int32()),
            "product_name": pa.array([f"Product {p + 1}" for p in product], pa.string()),
            "category": pa.array(product_cat[product], pa.string()),
            "subcategory": pa.array([subcategories[product_sub[p]][1] for p in product], pa.string()),
            "order_qty": pa.array(qty, pa.int32()),
            "unit_price": _decimal(price, 19, 4),
            "unit_price_discount": _decimal(discount, 19, 4),
            "line_total": _decimal(total, 38, 6),
            "_updated_at": pa.array(np.full(n_lines, 1_735_689_600_000_000), pa.timestamp("us", tz="UTC")),
        }
    )
    con = duckdb.connect()
    con.register("fct", fct)
    agg = con.sql(
        """SELECT order_date, category, subcategory, gender, CAST(SUM(order_qty) AS BIGINT) AS products_sold,
                  CAST(SUM(line_total) AS DECIMAL(38, 6)) AS revenue, COUNT(*) AS order_lines,
                  COUNT(DISTINCT sales_order_id) AS orders, COUNT(DISTINCT customer_id) AS customers
           FROM fct WHERE is_sale GROUP BY ALL ORDER BY ALL"""
    ).to_arrow_table()
    customers = pa.table(
        {
            "customer_id": pa.array(np.arange(1, n_customers + 1), pa.int32()),
            "title": pa.array([{"Male": "Mr.", "Female": "Ms."}.get(g) for g in customer_gender], pa.string()),
            "first_name": pa.array([f"First{i}" for i in range(n_customers)], pa.string()),
            "last_name": pa.array([f"Last{i}" for i in range(n_customers)], pa.string()),
            "company_name": pa.array([f"Company {i}" for i in range(n_customers)], pa.string()),
            "email_address": pa.array([f"c{i}@example.com" for i in range(n_customers)], pa.string()),
            "gender": pa.array(customer_gender, pa.string()),
        }
    )
    products = pa.table(
        {
            "product_id": pa.array(np.arange(1, PRODUCTS + 1), pa.int32()),
            "product_name": pa.array([f"Product {p + 1}" for p in range(PRODUCTS)], pa.string()),
            "product_number": pa.array([f"PN-{p + 1}" for p in range(PRODUCTS)], pa.string()),
            "color": pa.array([None] * PRODUCTS, pa.string()),
            "list_price": _decimal(list_price, 19, 4),
            "product_category_id": pa.array(product_sub + 1, pa.int32()),
            "category": pa.array(product_cat, pa.string()),
            "subcategory": pa.array([subcategories[s][1] for s in product_sub], pa.string()),
        }
    )
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    calendar = pa.table(
        {
            "date": pa.array(days, pa.date32()),
            "year": pa.array([d.year for d in days], pa.int32()),
            "quarter": pa.array([(d.month - 1) // 3 + 1 for d in days], pa.int32()),
            "month": pa.array([d.month for d in days], pa.int32()),
            "month_name": pa.array([d.strftime("%B") for d in days], pa.string()),
            "week_start": pa.array([d - timedelta(days=d.weekday()) for d in days], pa.date32()),
            "day_of_week": pa.array([d.isoweekday() for d in days], pa.int32()),
        }
    )
    for name, table in {
        "fct_sales": fct,
        "agg_daily_sales": agg,
        "dim_customer": customers,
        "dim_product": products,
        "dim_date": calendar,
    }.items():
        write_deltalake(str(lake / "gold" / name), table, mode="overwrite")
    return n_lines


def random_state(rng: random.Random, categories: list[str], first: date, last: date) -> tuple[KpiFilter, str]:
    """A random filter and the grain the dashboard draws it at (a Day view over years is drawn coarser)."""
    span = (last - first).days
    start = end = None
    if rng.random() < 0.7:
        start = first + timedelta(days=rng.randrange(span + 1))
        end = start + timedelta(days=rng.randrange(max(1, (last - start).days + 1)))
    filters = KpiFilter(
        start=start,
        end=end,
        categories=tuple(rng.sample(categories, rng.randrange(len(categories) + 1))),
        genders=tuple(rng.sample(GENDERS, rng.randrange(len(GENDERS) + 1))),
    )
    return filters, readable_grain(rng.choice(list(GRAINS)), start or first, end or last)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


DEFAULT = "default"
SOURCES = {  # how each gold is loaded: LocalViews' options
    "hashing": {"bitmap_max_bits": 0},
    "unprepared": {"prepare": False},
    DEFAULT: {"prepare": True, "bitmap_max_bits": BITMAP_MAX_BITS},
}


def bench(lake: Path, states: int, seed: int = 1) -> dict[str, dict]:
    """Figures per source, over the same filter states, the sources taking turns going first (no order bias)."""
    sources, loads = {}, {}
    for method, options in SOURCES.items():
        sources[method] = LocalViews(lake, refresh_seconds=3600, **options)
        started = time.perf_counter()
        [(first, last)] = sources[method].execute("SELECT MIN(order_date), MAX(order_date) FROM gold.sales")
        loads[method] = time.perf_counter() - started
    any_source = sources[DEFAULT]
    [(lines,)] = any_source.execute("SELECT COUNT(*) FROM gold.fct_sales")
    categories = [row[0] for row in any_source.execute("SELECT DISTINCT category FROM gold.dim_product")]
    rng = random.Random(seed)
    for _ in range(5):  # warm-up: sqlglot's translation cache, DuckDB's first runs
        filters, grain = random_state(rng, categories, first, last)
        for source in sources.values():
            state(source, filters, grain)
    timings: dict[str, list[float]] = {method: [] for method in SOURCES}
    cpu: dict[str, list[float]] = {method: [] for method in SOURCES}
    for turn in range(states):
        filters, grain = random_state(rng, categories, first, last)
        names = list(SOURCES)
        for method in names[turn % len(names) :] + names[: turn % len(names)]:
            began, began_cpu = time.perf_counter(), time.process_time()
            state(sources[method], filters, grain)
            timings[method].append((time.perf_counter() - began) * 1000)
            cpu[method].append((time.process_time() - began_cpu) * 1000)
    return {
        method: {
            "lines": lines,
            "load_s": loads[method],
            "p50": statistics.median(timings[method]),
            "p95": percentile(timings[method], 0.95),
            "max": max(timings[method]),
            "cpu_p50": statistics.median(cpu[method]),
            "cpu_p95": percentile(cpu[method], 0.95),
        }
        for method in SOURCES
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Dashboard filter-change latency over the serving views.")
    parser.add_argument("--scale", type=float, action="append", help="scale(s) to synthesise (default 1 and 10)")
    parser.add_argument("--states", type=int, default=200, help="random filter states per scale")
    parser.add_argument("--lake", type=Path, help="bench this lake's gold instead of synthesising one")
    args = parser.parse_args(argv)
    print(f"dashboard latency: {os.cpu_count()} cores, DuckDB {duckdb.__version__}, {args.states} filter states")
    print("one filter state = its 5 queries run at once (sums, customers, orders, trend, categories)")
    runs: list[tuple[str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        if args.lake:
            runs.append((str(args.lake), args.lake))
        else:
            for scale in args.scale or [1.0, 10.0]:
                lake = Path(tmp) / f"scale-{scale:g}"
                began = time.perf_counter()
                lines = synthesise_gold(lake, scale)
                print(f"  scale {scale:g}: synthesised {lines:,} order lines in {time.perf_counter() - began:.1f}s")
                runs.append((f"scale {scale:g}", lake))
        print(f"load average before measuring: {os.getloadavg()[0]:.1f} (other work on the machine inflates figures)")
        print(
            "wall = what the user waits; cpu = CPU time of the process (all threads), which contention does not inflate"
        )
        header = ("gold", "source", "order lines", "load s", "p50 ms", "p95 ms", "max ms", "cpu p50", "cpu p95")
        print(f"{header[0]:<14}{header[1]:<13}{header[2]:>13}" + "".join(f"{h:>9}" for h in header[3:]))
        for label, lake in runs:
            by_method = bench(lake, args.states)
            for method, figures in by_method.items():
                print(
                    f"{label:<14}{method:<13}{figures['lines']:>13,}{figures['load_s']:>9.2f}{figures['p50']:>9.1f}"
                    f"{figures['p95']:>9.1f}{figures['max']:>9.1f}{figures['cpu_p50']:>9.1f}"
                    f"{figures['cpu_p95']:>9.1f}"
                )
            for baseline in SOURCES:
                if baseline != DEFAULT:
                    ratio = by_method[DEFAULT]["p95"] / by_method[baseline]["p95"]
                    print(f"{label}: p95 {DEFAULT} / p95 {baseline} = {ratio:.2f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
