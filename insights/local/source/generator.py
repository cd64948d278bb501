"""`generate`: a synthetic SalesLT source of any size, the same bytes for the same seed.

Scale 1 is about 100,000 order lines (SalesOrderDetail) over three years of orders, 2023-01-01 to
2025-12-31; the work and the file grow linearly with the scale, and memory does not: customers and
orders are made in fixed-size chunks (numpy, one seeded generator per chunk) and written through
Arrow. Chunk boundaries depend only on the scale, so a seed gives the same rows however long it runs.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from insights.local.source import shape
from insights.local.source.catalog import build_catalog, insert_catalog
from insights.local.source.customers import SHIPPING_ADDRESS_SHARE, insert_customers
from insights.local.source.db import ProgressFn, SourceStats, new_database, no_progress
from insights.local.source.dirty import inject_dirty
from insights.local.source.orders import insert_orders
from insights.local.source.schema import create_schema, table_counts

FIRST_ORDER_ID = 71774  # where AdventureWorksLT's SalesOrderIDs and SalesOrderDetailIDs start
FIRST_DETAIL_ID = 110562
CUSTOMER_CHUNK = 200_000
ORDER_CHUNK = 100_000
MAX_DIRTY_SHARE = 0.5

# Seed-stream salts: every part of the source draws from its own generator.
_DAYS, _CUSTOMERS, _ORDERS, _BUYERS = 0xDA, 0xC5, 0x0D, 0xB0
_SHIPPING_EVERY = round(1 / SHIPPING_ADDRESS_SHARE)  # customer ids ending in 7 also have a shipping address


@dataclass(frozen=True)
class Plan:
    """How many customers and orders a scale means."""

    scale: float
    customers: int
    orders: int

    @classmethod
    def for_scale(cls, scale: float) -> Plan:
        orders = max(20, round(shape.LINES_PER_SCALE * scale / shape.MEAN_LINES))
        return cls(scale, max(40, round(shape.CUSTOMERS_PER_SCALE * scale)), orders)


def check_args(scale: float, seed: int, dirty_share: float) -> None:
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if scale > 10_000:
        raise ValueError(f"scale {scale} is beyond what the generator is meant for (at most 10000)")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 <= dirty_share <= MAX_DIRTY_SHARE:
        raise ValueError(f"dirty_share must be between 0 and {MAX_DIRTY_SHARE}, got {dirty_share!r}")


def shipping_address_of(customer_ids: np.ndarray, n_customers: int) -> np.ndarray:
    """The shipping AddressID of each customer, -1 for those with only a main address."""
    has = customer_ids % _SHIPPING_EVERY == _SHIPPING_EVERY - 3
    return np.where(has, n_customers + customer_ids // _SHIPPING_EVERY + 1, -1)


def generate(
    out: str | os.PathLike[str],
    scale: float,
    seed: int,
    dirty_share: float = 0.0,
    *,
    progress: ProgressFn | None = None,
    overwrite: bool = False,
) -> SourceStats:
    """Write a synthetic SalesLT source to the DuckDB file `out`; same (scale, seed) -> same rows."""
    check_args(scale, seed, dirty_share)
    progress = progress or no_progress
    plan = Plan.for_scale(scale)
    started = time.perf_counter()
    total_units = plan.customers + plan.orders
    done = 0
    with new_database(out, overwrite) as con:
        create_schema(con)
        catalog = build_catalog(seed)
        insert_catalog(con, catalog)

        # Customers: ids 1..N, main AddressID = CustomerID, shipping addresses after all main ones.
        span_s = int((shape.END + 1 - np.datetime64("2022-01-01", "D")).astype(np.int64)) * shape.DAY_S
        for k, first in enumerate(range(0, plan.customers, CUSTOMER_CHUNK)):
            ids = np.arange(first + 1, min(first + CUSTOMER_CHUNK, plan.customers) + 1, dtype=np.int64)
            rng = np.random.default_rng([seed, _CUSTOMERS, k])
            modified = np.datetime64("2022-01-01T00:00:00") + rng.integers(0, span_s, len(ids)) * np.timedelta64(1, "s")
            insert_customers(con, rng, ids, ids, shipping_address_of(ids, plan.customers), modified)
            done += len(ids)
            progress("customers", done, total_units)

        all_ids = np.arange(1, plan.customers + 1, dtype=np.int64)
        buyers = all_ids[shape.unit_hash(all_ids, seed, _BUYERS) >= shape.NON_BUYER_SHARE]

        days = np.arange(shape.START, shape.END + 1)
        weights = shape.day_weights(days)
        per_day = np.random.default_rng([seed, _DAYS]).multinomial(plan.orders, weights / weights.sum())
        day_end = np.cumsum(per_day)
        next_detail = FIRST_DETAIL_ID
        for k, first in enumerate(range(0, plan.orders, ORDER_CHUNK)):
            idx = np.arange(first, min(first + ORDER_CHUNK, plan.orders), dtype=np.int64)
            rng = np.random.default_rng([seed, _ORDERS, k])
            order_days = days[np.searchsorted(day_end, idx, side="right")]
            customers = buyers[(len(buyers) * rng.random(len(idx)) ** shape.CUSTOMER_SKEW).astype(np.int64)]
            ship = shipping_address_of(customers, plan.customers)
            _, lines = insert_orders(
                con,
                rng,
                FIRST_ORDER_ID + idx,
                order_days,
                shape.END,
                customers,
                np.where(ship >= 0, ship, customers),
                customers,
                catalog.picker,
                next_detail,
            )
            next_detail += lines
            done += len(idx)
            progress("orders", done, total_units)

        dirty = {}
        if dirty_share > 0:
            progress("dirty rows", done, total_units)
            dirty = inject_dirty(con, dirty_share, seed)
        progress("done", total_units, total_units)
        rows = table_counts(con)
    return SourceStats(Path(out), rows, time.perf_counter() - started, dirty)
