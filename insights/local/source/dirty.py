"""Dirty rows, as a real source carries them and a typed source can hold them.

Each dirty row is a copy of a random clean row with one thing broken, so it breaks exactly one of the
pipeline's quarantine rules (docs/data-contract.md): a NULL key, the same key twice with different
content and the same ModifiedDate, a non-positive quantity, a negative price, a discount outside
0..1, or a reference to a customer, order or product that does not exist. Unknown references point
at ids from UNKNOWN_ID_BASE up, far beyond anything `generate` or `advance` ever assigns.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source.db import uuids
from insights.local.source.schema import qualified, stored_columns

UNKNOWN_ID_BASE = 2_000_000_000

DIRTY_KINDS: dict[str, tuple[str, ...]] = {
    "Customer": ("null_key", "duplicate_key"),
    "SalesOrderHeader": ("null_key", "duplicate_key", "unknown_customer"),
    "SalesOrderDetail": (
        "null_key",
        "duplicate_key",
        "non_positive_quantity",
        "negative_price",
        "invalid_discount",
        "unknown_order",
        "unknown_product",
    ),
}

_NEW_KEY = "(SELECT max({key}) FROM {table}) + 1 + seq"

# Per table: column -> SQL over the copied row (its columns) and the pick (kind, seq, new_guid).
_CHANGES: dict[str, dict[str, str]] = {
    "Customer": {
        "CustomerID": "CASE kind WHEN 'null_key' THEN NULL ELSE CustomerID END",
        "EmailAddress": "CASE kind WHEN 'duplicate_key' THEN 'new.' || EmailAddress ELSE EmailAddress END",
        "Phone": "CASE kind WHEN 'duplicate_key' THEN '555-0' || (100 + seq)::VARCHAR ELSE Phone END",
    },
    "SalesOrderHeader": {
        "SalesOrderID": (
            "CASE kind WHEN 'null_key' THEN NULL WHEN 'duplicate_key' THEN SalesOrderID "
            f"ELSE {_NEW_KEY.format(key='SalesOrderID', table=qualified('SalesOrderHeader'))} END"
        ),
        "CustomerID": f"CASE kind WHEN 'unknown_customer' THEN {UNKNOWN_ID_BASE} + seq ELSE CustomerID END",
        "Freight": "CASE kind WHEN 'duplicate_key' THEN Freight + 1 ELSE Freight END",
        "Comment": "CASE kind WHEN 'duplicate_key' THEN 'Freight corrected' ELSE Comment END",
    },
    "SalesOrderDetail": {
        # a NULL in either part of the key: SalesOrderID for even seq, SalesOrderDetailID for odd
        "SalesOrderID": (
            "CASE WHEN kind = 'null_key' AND seq % 2 = 0 THEN NULL "
            f"WHEN kind = 'unknown_order' THEN {UNKNOWN_ID_BASE} + seq ELSE SalesOrderID END"
        ),
        "SalesOrderDetailID": (
            "CASE WHEN kind = 'null_key' AND seq % 2 = 1 THEN NULL "
            "WHEN kind IN ('null_key', 'duplicate_key') THEN SalesOrderDetailID "
            f"ELSE {_NEW_KEY.format(key='SalesOrderDetailID', table=qualified('SalesOrderDetail'))} END"
        ),
        "OrderQty": (
            "CASE kind WHEN 'non_positive_quantity' THEN -(seq % 3) "
            "WHEN 'duplicate_key' THEN OrderQty + 1 ELSE OrderQty END"
        ),
        "ProductID": f"CASE kind WHEN 'unknown_product' THEN {UNKNOWN_ID_BASE} + seq ELSE ProductID END",
        "UnitPrice": "CASE kind WHEN 'negative_price' THEN -greatest(UnitPrice, 1) ELSE UnitPrice END",
        "UnitPriceDiscount": (
            "CASE WHEN kind = 'invalid_discount' THEN (CASE WHEN seq % 2 = 0 THEN 1.5 ELSE -0.1 END) "
            "ELSE UnitPriceDiscount END"
        ),
    },
}


def split(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal counts (the first ones get the remainder)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def inject_dirty(con: duckdb.DuckDBPyConnection, share: float, seed: int) -> dict[str, dict[str, int]]:
    """Add `share` x rows dirty rows to Customer, SalesOrderHeader and SalesOrderDetail (at least one
    of each kind). Returns the count per table and kind."""
    rng = np.random.default_rng([seed, 0xD1])
    injected: dict[str, dict[str, int]] = {}
    for table, kinds in DIRTY_KINDS.items():
        rows = con.execute(f"SELECT count(*) FROM {qualified(table)}").fetchall()[0][0]
        if rows == 0:
            continue
        counts = split(max(len(kinds), round(share * rows)), len(kinds))
        n = sum(counts)
        picks = pa.table(
            {
                "pos": pa.array(rng.integers(0, rows, n)),
                "kind": pa.array([k for k, c in zip(kinds, counts, strict=True) for _ in range(c)]),
                "seq": pa.array(np.arange(n, dtype=np.int64)),
                "new_guid": uuids(rng, n),
            }
        )
        cols = stored_columns(table)
        changes = {**_CHANGES[table], "rowguid": "new_guid"}
        select = ", ".join(changes.get(c, f't."{c}"') for c in cols)
        con.register("_picks", picks)
        try:
            con.execute(
                f"INSERT INTO {qualified(table)} ({', '.join(cols)}) "
                f"SELECT {select} FROM {qualified(table)} t JOIN _picks p ON t.rowid = p.pos ORDER BY p.seq"
            )
        finally:
            con.unregister("_picks")
        injected[table] = dict(zip(kinds, counts, strict=True))
    return injected
