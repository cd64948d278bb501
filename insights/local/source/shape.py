"""The shape of the synthetic business: when people order, how much, at what discount, and how orders
move through their statuses. `generate` and `advance` both draw from here, so a source and its later
days look alike.
"""

from __future__ import annotations

import numpy as np

START = np.datetime64("2023-01-01", "D")
END = np.datetime64("2025-12-31", "D")

LINES_PER_SCALE = 100_000  # SalesOrderDetail rows at scale 1
CUSTOMERS_PER_SCALE = 12_000
NON_BUYER_SHARE = 0.15  # customers who never order (registered, never bought)
CUSTOMER_SKEW = 1.35  # > 1: a minority of loyal customers places many of the orders

# Seasonality: cycling sells in spring and summer, with a small December peak (gifts).
MONTH_WEIGHT = np.array([0.70, 0.75, 0.95, 1.15, 1.30, 1.35, 1.30, 1.20, 1.00, 0.85, 0.90, 1.05])
# Monday .. Sunday: busiest on Saturday, quietest on Sunday.
WEEKDAY_WEIGHT = np.array([0.95, 0.95, 1.00, 1.00, 1.05, 1.25, 0.80])
GROWTH_PER_YEAR = 0.12

_EXTRA_LINES = 2.5  # lines per order = 1 + Poisson(2.5), at most MAX_LINES
MAX_LINES = 16
MEAN_LINES = 1 + _EXTRA_LINES  # close enough: the cap cuts off a negligible tail

DISCOUNT_SHARE = 0.12  # share of lines with a discount; the rest have UnitPriceDiscount 0
DISCOUNTS_PCT = np.array([2, 5, 10, 15, 20, 30, 40])
DISCOUNT_WEIGHT = np.array([0.25, 0.25, 0.20, 0.10, 0.10, 0.05, 0.05])

# OrderQty ~ Geometric(p) by top-level category (Bikes, Components, Clothing, Accessories).
QTY_P = np.array([0.85, 0.60, 0.50, 0.45])
MAX_QTY = 20

IN_PROCESS, APPROVED, BACKORDERED, REJECTED, SHIPPED, CANCELLED = 1, 2, 3, 4, 5, 6
REJECTED_SHARE = 0.015
CANCELLED_SHARE = 0.02
BACKORDERED_SHARE = 0.15  # of open orders past their first day
SHIP_LAG_DAYS = (2, 8)  # shipped 2..7 days after the order
DUE_DAYS = 12
REVISION = {IN_PROCESS: 1, APPROVED: 2, BACKORDERED: 3, REJECTED: 2, SHIPPED: 3, CANCELLED: 2}

ONLINE_SHARE = 0.7
TAX_PER_MILLE = 80  # TaxAmt = 8 % of SubTotal, Freight = 2.5 %, as in AdventureWorks
FREIGHT_PER_MILLE = 25

DAY_S = 86_400
OPEN_FROM_S, OPEN_TO_S = 7 * 3600, 22 * 3600  # orders and changes happen during the day


def day_weights(days: np.ndarray, growth: bool = True) -> np.ndarray:
    """Relative order volume for each day (datetime64[D]): season x weekday (x growth since START)."""
    days = days.astype("datetime64[D]")
    month = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    weights = MONTH_WEIGHT[month] * WEEKDAY_WEIGHT[weekday]
    if growth:
        weights = weights * (1 + GROWTH_PER_YEAR * (days - START).astype(np.int64) / 365.25)
    return weights


def lines_per_order(rng: np.random.Generator, n: int) -> np.ndarray:
    return (1 + rng.poisson(_EXTRA_LINES, n)).clip(1, MAX_LINES).astype(np.int64)


def discount_pct(rng: np.random.Generator, n: int) -> np.ndarray:
    """UnitPriceDiscount in percent: 0 for most lines, 2..40 for some."""
    pct = DISCOUNTS_PCT[rng.choice(len(DISCOUNTS_PCT), size=n, p=DISCOUNT_WEIGHT)]
    return np.where(rng.random(n) < DISCOUNT_SHARE, pct, 0).astype(np.int64)


def order_qty(rng: np.random.Generator, top: np.ndarray) -> np.ndarray:
    return rng.geometric(QTY_P[top]).clip(1, MAX_QTY).astype(np.int16)


def times_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after midnight, during opening hours."""
    return rng.integers(OPEN_FROM_S, OPEN_TO_S, n)


def order_status(rng: np.random.Generator, age_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status of orders that are `age_days` old today, with ship lag and the day of the last change.

    Old orders are shipped, recent ones still in process, approved or backordered; a few are rejected or
    cancelled. Returns (status, ship lag in days, days after OrderDate of the last status change).
    """
    n = len(age_days)
    lag = rng.integers(*SHIP_LAG_DAYS, n)
    fate = rng.random(n)
    backordered = rng.random(n) < BACKORDERED_SHARE
    status = np.where(
        age_days >= lag, SHIPPED, np.where(age_days == 0, IN_PROCESS, np.where(backordered, BACKORDERED, APPROVED))
    )
    status = np.where((fate < REJECTED_SHARE) & (age_days >= 1), REJECTED, status)
    cancelled = (fate >= REJECTED_SHARE) & (fate < REJECTED_SHARE + CANCELLED_SHARE) & (age_days >= 1)
    status = np.where(cancelled, CANCELLED, status)
    event = np.select(
        [status == SHIPPED, status == CANCELLED, status == IN_PROCESS],
        [lag, np.minimum(age_days, rng.integers(1, 6, n)), 0],
        default=np.minimum(age_days, 1),
    )
    return status.astype(np.int16), lag, event


def round_div(x: np.ndarray, d: int) -> np.ndarray:
    """x / d rounded half away from zero, in integers (money stays exact)."""
    q = (np.abs(x) + d // 2) // d
    return np.sign(x) * q


def header_amounts(subtotal_e4: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TaxAmt and Freight (10**-4 units) for SubTotals (10**-4 units)."""
    return round_div(subtotal_e4 * TAX_PER_MILLE, 1000), round_div(subtotal_e4 * FREIGHT_PER_MILLE, 1000)


def unit_hash(values: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform number in [0, 1) per value, stable for (value, seed, salt): splitmix64 finaliser."""
    with np.errstate(over="ignore"):
        x = values.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + salt) % 2**64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)
