"""Synthetic orders: SalesOrderHeader rows and their SalesOrderDetail lines, one batch at a time.

Amounts are integers of 10**-4 (prices) and 10**-6 (line totals) until DuckDB turns them into
decimals, so the header's SubTotal is the exact sum of its lines' LineTotal, rounded to money.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source import shape
from insights.local.source.catalog import ProductPicker, load_data
from insights.local.source.db import insert_arrow, scaled, timestamps, uuids

_SHIP_METHOD_WEIGHT = np.array([0.45, 0.15, 0.15, 0.15, 0.10])
_SECOND = np.timedelta64(1, "s")
_REVISION = np.array([shape.REVISION.get(s, 1) for s in range(8)], dtype=np.int16)  # by status


def nullable_int32(values: np.ndarray) -> pa.Array:
    """Int32 Arrow array in which negative values stand for NULL."""
    return pa.array(values.astype(np.int32), mask=values < 0)


def insert_orders(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    order_ids: np.ndarray,
    order_days: np.ndarray,
    today: np.datetime64,
    customer_ids: np.ndarray,
    ship_to: np.ndarray,
    bill_to: np.ndarray,
    picker: ProductPicker,
    first_detail_id: int,
) -> tuple[int, int]:
    """Insert orders placed on `order_days` (datetime64[D]) as they stand at the end of `today`.

    Address ids < 0 mean NULL. Returns (headers, lines) inserted.
    """
    n = len(order_ids)
    age = (today - order_days).astype(np.int64)
    status, lag, event = shape.order_status(rng, age)
    order_ts = order_days.astype("datetime64[s]")
    created = order_ts + shape.times_of_day(rng, n) * _SECOND
    day = np.timedelta64(1, "D")
    changed = order_ts + event * day + shape.times_of_day(rng, n) * _SECOND
    modified = np.where(status == shape.IN_PROCESS, created, np.maximum(changed, created + 60 * _SECOND))
    shipped = status == shape.SHIPPED
    ship_date = np.where(shipped, order_ts + lag * day, np.datetime64("NaT", "s"))
    online = rng.random(n) < shape.ONLINE_SHARE

    n_lines = shape.lines_per_order(rng, n)
    total = int(n_lines.sum())
    line_order = np.repeat(np.arange(n), n_lines)
    product = picker.pick(rng, total)
    qty = shape.order_qty(rng, picker.top[product])
    discount = shape.discount_pct(rng, total)
    price = picker.list_price[product]
    line_total_e6 = price * (100 - discount) * qty
    starts = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
    subtotal = shape.round_div(np.add.reduceat(line_total_e6, starts), 100)
    tax, freight = shape.header_amounts(subtotal)

    header = pa.table(
        {
            "SalesOrderID": pa.array(order_ids.astype(np.int32)),
            "RevisionNumber": pa.array(_REVISION[status]),
            "OrderDate": timestamps(order_ts),
            "DueDate": timestamps(order_ts + shape.DUE_DAYS * day),
            "ShipDate": timestamps(ship_date),
            "Status": pa.array(status),
            "OnlineOrderFlag": pa.array(online),
            "po": pa.array(rng.integers(10**9, 10**11, n)),
            "CustomerID": pa.array(customer_ids.astype(np.int32)),
            "ShipToAddressID": nullable_int32(ship_to),
            "BillToAddressID": nullable_int32(bill_to),
            "ship_method": pa.array(rng.choice(len(_SHIP_METHOD_WEIGHT), n, p=_SHIP_METHOD_WEIGHT).astype(np.int32)),
            "cc_a": pa.array(rng.integers(100_000, 1_000_000, n)),
            "cc_b": pa.array(rng.integers(10_000, 100_000, n)),
            "sub": pa.array(subtotal),
            "tax": pa.array(tax),
            "freight": pa.array(freight),
            "rowguid": uuids(rng, n),
            "ModifiedDate": timestamps(modified),
        }
    )
    insert_arrow(
        con,
        "SalesOrderHeader",
        header,
        {
            "PurchaseOrderNumber": "CASE WHEN OnlineOrderFlag THEN NULL ELSE 'PO' || po::VARCHAR END",
            "AccountNumber": "'10-4020-' || lpad(CustomerID::VARCHAR, 6, '0')",
            "ShipMethod": "$ship_methods[ship_method + 1]",
            "CreditCardApprovalCode": "CASE WHEN OnlineOrderFlag THEN cc_a::VARCHAR || 'Vi' || cc_b::VARCHAR END",
            "SubTotal": scaled("sub"),
            "TaxAmt": scaled("tax"),
            "Freight": scaled("freight"),
            "Comment": "NULL",
        },
        {"ship_methods": load_data("people.json")["ship_methods"]},
    )

    detail = pa.table(
        {
            "SalesOrderID": pa.array(order_ids[line_order].astype(np.int32)),
            "SalesOrderDetailID": pa.array((first_detail_id + np.arange(total)).astype(np.int32)),
            "OrderQty": pa.array(qty),
            "ProductID": pa.array(picker.product_id[product]),
            "price": pa.array(price),
            "discount": pa.array(discount),
            "rowguid": uuids(rng, total),
            "ModifiedDate": timestamps(created[line_order]),
        }
    )
    insert_arrow(
        con,
        "SalesOrderDetail",
        detail,
        {"UnitPrice": scaled("price"), "UnitPriceDiscount": scaled("discount", scale=2)},
    )
    return n, total
