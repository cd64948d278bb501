"""`advance`: the source lives on for N more days, so incremental extraction has something to catch.

Each simulated day brings new customers, new orders with their lines, status progress of open orders
(approved, backordered, shipped, now and then rejected or cancelled), customer changes (title,
e-mail, name, phone) and, some days, list-price changes. `update_share` additionally re-prices that
share of the orders that existed before (header and every line), as a benchmark's "1 % updated" day.

The simulation starts the day after the latest timestamp anywhere in the source (every table's
ModifiedDate, and OrderDate), so every new or changed row has a ModifiedDate strictly greater than
its table's previous maximum: a watermark `> old max` catches all of it. Daily volume follows the
source: the orders per day of its last year (or of its whole span, if shorter), with the generator's
seasonal and weekly pattern. Days are calendar days (the shop sells every day of the week).

All of it runs in one transaction: a failure leaves the source as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source import shape
from insights.local.source.catalog import TOP_CATEGORIES, ProductPicker, popularity
from insights.local.source.customers import SHIPPING_ADDRESS_SHARE, insert_customers, vocabulary
from insights.local.source.db import ProgressFn, SourceError, open_source, timestamps
from insights.local.source.orders import insert_orders
from insights.local.source.schema import TABLES, qualified, table_counts

MAX_DAYS = 3660
CUSTOMER_CHANGE_SHARE = 0.0005  # of customers changing title, e-mail, name or phone per day
NEW_CUSTOMER_ORDER_SHARE = 0.25  # of a day's orders placed by that day's new customers
PRICE_CHANGE_DAY_SHARE = 0.15  # days on which a few list prices change
DAILY_SHIP = ((2, 0.35), (5, 0.70), (10, 1.0))  # (minimum age in days, chance to ship that day)
DAILY_CANCEL, DAILY_REJECT, DAILY_BACKORDER = 0.01, 0.01, 0.03
_SECOND = np.timedelta64(1, "s")
_DAY = np.timedelta64(1, "D")

H, D, C, P = (qualified(t) for t in ("SalesOrderHeader", "SalesOrderDetail", "Customer", "Product"))


@dataclass
class AdvanceResult:
    """What `advance` did: the days it simulated and the rows it inserted and updated per table."""

    path: Path
    first_day: date
    last_day: date
    inserted: dict[str, int]
    updated: dict[str, int]
    seconds: float
    forced_orders: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchall()[0][0]


def _column(con: duckdb.DuckDBPyConnection, sql: str, dtype=np.int64) -> np.ndarray:
    """The first column of a query as a numpy array (no NULLs expected)."""
    return np.asarray(next(iter(con.execute(sql).fetchnumpy().values())), dtype=dtype)


def _define_hash(con: duckdb.DuckDBPyConnection) -> None:
    """`_unit(k, salt)`: a uniform [0, 1) number per key (murmur3's finaliser), the same on any engine."""
    m = "4294967296::UBIGINT"
    con.execute("CREATE OR REPLACE TEMP MACRO _xs(x, s) AS xor(x, x >> s)")
    con.execute(
        "CREATE OR REPLACE TEMP MACRO _unit(k, salt) AS _xs((_xs((_xs((CAST(k AS UBIGINT) * 2654435761::UBIGINT"
        f" + CAST(salt AS UBIGINT)) % {m}, 16) * 2246822519::UBIGINT) % {m}, 13) * 3266489917::UBIGINT) % {m}, 16)"
        " / 4294967296.0"
    )


@dataclass
class _State:
    """What the simulation needs to know about the source, read once at the start."""

    old_max: dict[str, object]
    counts: dict[str, int]
    first_day: np.datetime64
    orders_per_day: float
    customers_per_day: float
    weight_norm: float
    next_ids: dict[str, int]
    customers: np.ndarray  # existing CustomerIDs, sorted
    picker: ProductPicker
    old_max_order_id: int


def _read_state(con: duckdb.DuckDBPyConnection) -> _State:
    old_max = {t: _scalar(con, f"SELECT max(ModifiedDate) FROM {qualified(t)}") for t in TABLES}
    max_order, min_order = con.execute(f"SELECT max(OrderDate), min(OrderDate) FROM {H}").fetchall()[0]
    latest = max([v for v in [*old_max.values(), max_order] if v is not None], default=None)
    if latest is None:
        raise SourceError("the source is empty: nothing to advance from (generate or import one first)")
    first_day = np.datetime64(latest, "D") + _DAY

    if max_order is not None:
        span = int((np.datetime64(max_order, "D") - np.datetime64(min_order, "D")) / _DAY) + 1
        window = min(span, 365)
        recent = _scalar(
            con,
            f"SELECT count(*) FROM {H} WHERE OrderDate > ?::TIMESTAMP - to_days(CAST(? AS INTEGER))",
            [max_order, window],
        )
        last = np.datetime64(max_order, "D")
        window_days = np.arange(last - window + 1, last + 1)
    else:
        span, recent, window_days = 1, 1, np.array([first_day])
    orders_per_day = max(recent / len(window_days), 1.0)
    n_customers = _scalar(con, f"SELECT count(DISTINCT CustomerID) FROM {C}")
    customers_per_day = min(n_customers / span, 0.5 * orders_per_day)

    products = con.execute(
        f"""
        WITH latest AS (
            SELECT ProductID, arg_max(ListPrice, ModifiedDate) AS price,
                   arg_max(ProductCategoryID, ModifiedDate) AS category,
                   bool_or(SellEndDate IS NULL OR SellEndDate > ?) AND bool_and(DiscontinuedDate IS NULL) AS on_sale
            FROM {P} WHERE ProductID IS NOT NULL GROUP BY ProductID
        )
        SELECT l.ProductID, CAST(round(l.price * 10000) AS BIGINT), COALESCE(parent.Name, c.Name), l.on_sale
        FROM latest l
        LEFT JOIN {qualified("ProductCategory")} c ON c.ProductCategoryID = l.category
        LEFT JOIN {qualified("ProductCategory")} parent ON parent.ProductCategoryID = c.ParentProductCategoryID
        WHERE l.price > 0 ORDER BY l.ProductID
        """,
        [str(first_day)],
    ).fetchall()
    on_sale = [p for p in products if p[3]] or products
    if not on_sale:
        raise SourceError("the source has no product with a list price: orders cannot be simulated")
    price = np.array([p[1] for p in on_sale], dtype=np.int64)
    top = np.array([TOP_CATEGORIES.index(p[2]) if p[2] in TOP_CATEGORIES else 1 for p in on_sale], dtype=np.int8)
    picker = ProductPicker(
        np.array([p[0] for p in on_sale], dtype=np.int32),
        price,
        top,
        popularity(price, top, np.ones(len(on_sale))),
    )

    max_ids = con.execute(
        f"""SELECT (SELECT max(CustomerID) FROM {C}), (SELECT max(AddressID) FROM {qualified("Address")}),
                   (SELECT max(SalesOrderID) FROM {H}), (SELECT max(SalesOrderDetailID) FROM {D})"""
    ).fetchall()[0]
    return _State(
        old_max=old_max,
        counts=table_counts(con),
        first_day=first_day,
        orders_per_day=orders_per_day,
        customers_per_day=customers_per_day,
        weight_norm=float(shape.day_weights(window_days, growth=False).mean()),
        next_ids={
            name: (v or 0) + 1 for name, v in zip(("customer", "address", "order", "detail"), max_ids, strict=True)
        },
        customers=_column(con, f"SELECT DISTINCT CustomerID FROM {C} WHERE CustomerID IS NOT NULL ORDER BY 1"),
        picker=picker,
        old_max_order_id=max_ids[2] or 0,
    )


def _addresses_of(con: duckdb.DuckDBPyConnection, customers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ship to, bill to) AddressIDs for customers: their shipping address if they have one, else
    their main office; -1 where a customer has no address at all."""
    wanted = np.unique(customers)
    con.register("_wanted", pa.table({"id": pa.array(wanted)}))
    try:
        found = con.execute(
            f"""SELECT w.id,
                       COALESCE(min(a.AddressID) FILTER (WHERE a.AddressType = 'Main Office'), min(a.AddressID), -1),
                       COALESCE(min(a.AddressID) FILTER (WHERE a.AddressType = 'Shipping'), -1)
                FROM _wanted w LEFT JOIN {qualified("CustomerAddress")} a
                  ON a.CustomerID = w.id AND a.AddressID IS NOT NULL
                GROUP BY w.id ORDER BY w.id"""
        ).fetchall()
    finally:
        con.unregister("_wanted")
    main = np.array([f[1] for f in found], dtype=np.int64)
    ship = np.array([f[2] for f in found], dtype=np.int64)
    pos = np.searchsorted(wanted, customers)
    return np.where(ship[pos] >= 0, ship[pos], main[pos]), main[pos]


def _at(day: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    return day.astype("datetime64[s]") + seconds * _SECOND


def _new_customers(con, rng, state: _State, day, n: int) -> np.ndarray:
    ids = state.next_ids["customer"] + np.arange(n, dtype=np.int64)
    main = state.next_ids["address"] + np.arange(n, dtype=np.int64)
    has_ship = rng.random(n) < SHIPPING_ADDRESS_SHARE
    ship = np.full(n, -1, dtype=np.int64)
    ship[has_ship] = state.next_ids["address"] + n + np.arange(int(has_ship.sum()))
    if n:
        insert_customers(con, rng, ids, main, ship, _at(day, shape.times_of_day(rng, n)))
    state.next_ids["customer"] += n
    state.next_ids["address"] += n + int(has_ship.sum())
    return ids


def _progress_open_orders(con, rng, day) -> int:
    """Move open orders (status 1-3) along; returns how many headers changed."""
    rows = con.execute(
        f"SELECT DISTINCT SalesOrderID, OrderDate, Status FROM {H} "
        "WHERE Status IN (1, 2, 3) AND SalesOrderID IS NOT NULL ORDER BY SalesOrderID, OrderDate, Status"
    ).fetchall()
    if not rows:
        return 0
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    ids, first = np.unique(ids, return_index=True)  # a duplicated key (dirty rows) moves as one order
    order_day = np.array([np.datetime64(rows[i][1], "D") for i in first])
    status = np.array([rows[i][2] for i in first], dtype=np.int16)
    age = ((day - order_day) / _DAY).astype(np.int64)
    n = len(ids)
    ship_chance = np.select([age >= a for a, _ in reversed(DAILY_SHIP)], [p for _, p in reversed(DAILY_SHIP)], 0.0)
    new = np.where((status == shape.IN_PROCESS) & (age >= 1), shape.APPROVED, status)
    new = np.where((new == shape.APPROVED) & (rng.random(n) < DAILY_BACKORDER), shape.BACKORDERED, new)
    new = np.where(rng.random(n) < ship_chance, shape.SHIPPED, new)
    new = np.where((status == shape.IN_PROCESS) & (age >= 1) & (rng.random(n) < DAILY_REJECT), shape.REJECTED, new)
    new = np.where((new != shape.SHIPPED) & (rng.random(n) < DAILY_CANCEL), shape.CANCELLED, new)
    changed = new != status
    if not changed.any():
        return 0
    k = int(changed.sum())
    updates = pa.table(
        {
            "id": pa.array(ids[changed].astype(np.int32)),
            "status": pa.array(new[changed].astype(np.int16)),
            "ts": timestamps(_at(day, shape.times_of_day(rng, k))),
        }
    )
    con.register("_status", updates)
    try:
        con.execute(
            f"""UPDATE {H} AS h SET Status = s.status,
                   ShipDate = CASE WHEN s.status = {shape.SHIPPED} THEN ?::TIMESTAMP ELSE h.ShipDate END,
                   RevisionNumber = least(h.RevisionNumber + 1, 255), ModifiedDate = s.ts
                FROM _status s WHERE h.SalesOrderID = s.id""",
            [str(day)],
        )
    finally:
        con.unregister("_status")
    return k


def _new_orders(con, rng, state: _State, day, n: int, todays_customers: np.ndarray) -> None:
    if n == 0:
        return
    existing = (
        state.customers[(len(state.customers) * rng.random(n) ** shape.CUSTOMER_SKEW).astype(np.int64)]
        if len(state.customers)
        else todays_customers[rng.integers(0, len(todays_customers), n)]
    )
    if len(todays_customers):
        newcomer = rng.random(n) < NEW_CUSTOMER_ORDER_SHARE
        customers = np.where(newcomer, todays_customers[rng.integers(0, len(todays_customers), n)], existing)
    else:
        customers = existing
    ship_to, bill_to = _addresses_of(con, customers)
    ids = state.next_ids["order"] + np.arange(n, dtype=np.int64)
    _, lines = insert_orders(
        con, rng, ids, np.full(n, day), day, customers, ship_to, bill_to, state.picker, state.next_ids["detail"]
    )
    state.next_ids["order"] += n
    state.next_ids["detail"] += lines


def _change_customers(con, rng, state: _State, day) -> None:
    """A few customers change title, e-mail, last name (and title, on marriage) or phone."""
    if len(state.customers) == 0:
        return
    n = min(int(rng.poisson(max(0.5, len(state.customers) * CUSTOMER_CHANGE_SHARE))), len(state.customers))
    if n == 0:
        return
    vocab = vocabulary()
    titles = [t["title"] for t in vocab["titles"] if t["title"]]
    changes = pa.table(
        {
            "id": pa.array(np.sort(rng.choice(state.customers, n, replace=False)).astype(np.int32)),
            "kind": pa.array(rng.integers(0, 4, n).astype(np.int8)),
            "title": pa.array(rng.integers(0, len(titles), n).astype(np.int32)),
            "last": pa.array(rng.integers(0, len(vocab["last_names"]), n).astype(np.int32)),
            "phone": pa.array(rng.integers(100, 1000, n).astype(np.int32)),
            "ts": timestamps(_at(day, shape.times_of_day(rng, n))),
        }
    )
    con.register("_changes", changes)
    try:
        con.execute(
            f"""UPDATE {C} AS c SET
                  Title = CASE x.kind WHEN 0 THEN $titles[x.title + 1] WHEN 2 THEN 'Mrs.' ELSE c.Title END,
                  LastName = CASE x.kind WHEN 2 THEN $last_names[x.last + 1] ELSE c.LastName END,
                  EmailAddress = CASE x.kind WHEN 1 THEN lower(c.FirstName) || '.' || lower(c.LastName)
                                 || (c.CustomerID % 100)::VARCHAR || '@adventure-works.com' ELSE c.EmailAddress END,
                  Phone = CASE x.kind WHEN 3 THEN x.phone::VARCHAR || '-555-0' || (x.phone % 1000)::VARCHAR
                          ELSE c.Phone END,
                  ModifiedDate = x.ts
                FROM _changes x WHERE c.CustomerID = x.id""",
            {"titles": titles, "last_names": vocab["last_names"]},
        )
    finally:
        con.unregister("_changes")


def _change_prices(con, rng, state: _State, day) -> None:
    """Some days a few products get a new list price (2-10 % up or down, whole cents)."""
    if rng.random() >= PRICE_CHANGE_DAY_SHARE:
        return
    picker = state.picker
    k = min(int(rng.integers(1, 4)), len(picker.product_id))
    which = np.sort(rng.choice(len(picker.product_id), k, replace=False))
    pct = rng.integers(2, 11, k) * rng.choice([-1, 1], k)
    new_price = shape.round_div(picker.list_price[which] * (100 + pct), 10_000) * 100  # whole cents
    new_price = np.maximum(new_price, 100)
    picker.list_price[which] = new_price
    changes = pa.table(
        {
            "id": pa.array(picker.product_id[which]),
            "price": pa.array(new_price),
            "ts": timestamps(_at(day, shape.times_of_day(rng, k))),
        }
    )
    con.register("_prices", changes)
    try:
        con.execute(
            f"""UPDATE {P} AS p SET ListPrice = CAST(x.price * 0.0001 AS DECIMAL(19,4)), ModifiedDate = x.ts
                FROM _prices x WHERE p.ProductID = x.id"""
        )
    finally:
        con.unregister("_prices")


def _force_updates(con, state: _State, day, share: float, seed: int) -> int:
    """Re-price `share` of the pre-existing orders: each line's discount moves by 5 points, and the
    header's SubTotal, TaxAmt and Freight follow. Returns the number of orders re-priced."""
    if share <= 0:
        return 0
    salt = (seed * 0x9E3779B1 + 0x51) % 2**32
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _forced AS
            SELECT DISTINCT SalesOrderID AS id FROM {H}
            WHERE SalesOrderID BETWEEN 1 AND ? AND _unit(SalesOrderID, ?) < ?""",
        [state.old_max_order_id, salt, share],
    )
    span = shape.OPEN_TO_S - shape.OPEN_FROM_S
    ts = f"?::TIMESTAMP + to_seconds(CAST({shape.OPEN_FROM_S} + floor(_unit(%s, {salt + 1}) * {span}) AS BIGINT))"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _old_sum AS
            SELECT SalesOrderID AS id, sum(LineTotal) AS total FROM {D}
            WHERE SalesOrderID IN (SELECT id FROM _forced) GROUP BY 1"""
    )
    con.execute(
        f"""UPDATE {D} SET
              UnitPriceDiscount = CASE WHEN UnitPriceDiscount >= 0.35 THEN UnitPriceDiscount - 0.05
                                       ELSE UnitPriceDiscount + 0.05 END,
              ModifiedDate = {ts % "coalesce(SalesOrderDetailID, 0)"}
            WHERE SalesOrderID IN (SELECT id FROM _forced)""",
        [str(day)],
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _new_sub AS
            SELECT h.SalesOrderID AS id,
                   CAST(any_value(h.SubTotal) + coalesce(any_value(n.total), 0) - coalesce(any_value(o.total), 0)
                        AS DECIMAL(19,4)) AS sub
            FROM {H} h
            JOIN _forced f ON f.id = h.SalesOrderID
            LEFT JOIN _old_sum o ON o.id = h.SalesOrderID
            LEFT JOIN (SELECT SalesOrderID, sum(LineTotal) AS total FROM {D}
                       WHERE SalesOrderID IN (SELECT id FROM _forced) GROUP BY 1) n ON n.SalesOrderID = h.SalesOrderID
            GROUP BY h.SalesOrderID"""
    )
    con.execute(
        f"""UPDATE {H} AS h SET SubTotal = s.sub,
              TaxAmt = CAST(s.sub * {shape.TAX_PER_MILLE / 1000} AS DECIMAL(19,4)),
              Freight = CAST(s.sub * {shape.FREIGHT_PER_MILLE / 1000} AS DECIMAL(19,4)),
              RevisionNumber = least(h.RevisionNumber + 1, 255),
              ModifiedDate = {ts % "h.SalesOrderID"}
            FROM _new_sub s WHERE h.SalesOrderID = s.id""",
        [str(day)],
    )
    return _scalar(con, "SELECT count(*) FROM _forced")


def check_args(days: int, seed: int, update_share: float) -> None:
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 <= update_share <= 1:
        raise ValueError(f"update_share must be between 0 and 1, got {update_share!r}")


def advance(
    source: str | os.PathLike[str],
    days: int,
    seed: int = 0,
    update_share: float = 0.0,
    *,
    progress: ProgressFn | None = None,
) -> AdvanceResult:
    """Simulate `days` more days of business in the source file, in place; same input -> same result."""
    check_args(days, seed, update_share)
    started = time.perf_counter()
    con = open_source(source)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            _define_hash(con)
            state = _read_state(con)
            forced = 0
            for i in range(days):
                day = state.first_day + i * _DAY
                if progress:
                    progress(str(day), i, days)
                rng = np.random.default_rng([seed, int(day.astype(np.int64))])
                factor = float(shape.day_weights(np.array([day]), growth=False)[0]) / state.weight_norm
                todays = _new_customers(con, rng, state, day, int(rng.poisson(state.customers_per_day * factor)))
                _progress_open_orders(con, rng, day)
                _new_orders(con, rng, state, day, int(rng.poisson(state.orders_per_day * factor)), todays)
                _change_customers(con, rng, state, day)
                _change_prices(con, rng, state, day)
                state.customers = np.concatenate([state.customers, todays])
                if i == days - 1:
                    forced = _force_updates(con, state, day, update_share, seed)
            counts = table_counts(con)
            changed = {
                t: _scalar(
                    con,
                    f"SELECT count(*) FROM {qualified(t)} WHERE ModifiedDate > ?::TIMESTAMP"
                    if state.old_max[t] is not None
                    else f"SELECT count(*) FROM {qualified(t)}",
                    [state.old_max[t]] if state.old_max[t] is not None else [],
                )
                for t in TABLES
            }
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if progress:
        progress("done", days, days)
    inserted = {t: counts[t] - state.counts[t] for t in TABLES}
    last_day = state.first_day + (days - 1) * _DAY
    return AdvanceResult(
        path=Path(source),
        first_day=state.first_day.item(),
        last_day=last_day.item(),
        inserted=inserted,
        updated={t: changed[t] - inserted[t] for t in TABLES},
        seconds=time.perf_counter() - started,
        forced_orders=forced,
        rows=counts,
    )
