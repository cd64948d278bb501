"""Gold Delta tables written by the tests themselves, with exactly the columns and types of
docs/data-contract.md, so the serving layer is tested without the data path.

`SMALL` is a hand-made set of 13 order lines whose KPIs are worked out by hand in test_kpis.py;
`random_lines` makes larger, seeded sets for comparisons with `reference_kpis`, a plain-Python reading
of DESIGN.md's definitions over the fixture rows (independent of the SQL under test).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

GENDERS = ("Female", "Male", "Unknown")
UPDATED_AT = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)

FCT_SALES = pa.schema(
    [
        ("sales_order_id", pa.int32()),
        ("sales_order_detail_id", pa.int32()),
        ("sales_order_number", pa.string()),
        ("order_date", pa.date32()),
        ("order_status", pa.int32()),
        ("is_sale", pa.bool_()),
        ("customer_id", pa.int32()),
        ("gender", pa.string()),
        ("product_id", pa.int32()),
        ("product_name", pa.string()),
        ("category", pa.string()),
        ("subcategory", pa.string()),
        ("order_qty", pa.int32()),
        ("unit_price", pa.decimal128(19, 4)),
        ("unit_price_discount", pa.decimal128(19, 4)),
        ("line_total", pa.decimal128(38, 6)),
        ("_updated_at", pa.timestamp("us", tz="UTC")),
    ]
)
AGG_DAILY_SALES = pa.schema(
    [
        ("order_date", pa.date32()),
        ("category", pa.string()),
        ("subcategory", pa.string()),
        ("gender", pa.string()),
        ("products_sold", pa.int64()),
        ("revenue", pa.decimal128(38, 6)),
        ("order_lines", pa.int64()),
        ("orders", pa.int64()),
        ("customers", pa.int64()),
    ]
)
DIM_CUSTOMER = pa.schema(
    [
        ("customer_id", pa.int32()),
        ("title", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("company_name", pa.string()),
        ("email_address", pa.string()),
        ("gender", pa.string()),
    ]
)
DIM_PRODUCT = pa.schema(
    [
        ("product_id", pa.int32()),
        ("product_name", pa.string()),
        ("product_number", pa.string()),
        ("color", pa.string()),
        ("list_price", pa.decimal128(19, 4)),
        ("product_category_id", pa.int32()),
        ("category", pa.string()),
        ("subcategory", pa.string()),
    ]
)
DIM_DATE = pa.schema(
    [
        ("date", pa.date32()),
        ("year", pa.int32()),
        ("quarter", pa.int32()),
        ("month", pa.int32()),
        ("month_name", pa.string()),
        ("week_start", pa.date32()),
        ("day_of_week", pa.int32()),
    ]
)
SCHEMAS = {
    "fct_sales": FCT_SALES,
    "agg_daily_sales": AGG_DAILY_SALES,
    "dim_customer": DIM_CUSTOMER,
    "dim_product": DIM_PRODUCT,
    "dim_date": DIM_DATE,
}


@dataclass(frozen=True)
class Customer:
    customer_id: int
    title: str | None
    first_name: str
    last_name: str
    gender: str  # as DESIGN.md maps the title


@dataclass(frozen=True)
class Product:
    product_id: int
    name: str
    category: str
    subcategory: str
    list_price: Decimal


@dataclass(frozen=True)
class Line:
    order_id: int
    detail_id: int
    order_date: date
    status: int
    customer_id: int
    product_id: int
    qty: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")


CUSTOMERS = [
    Customer(1, "Mr.", "Orlando", "Gee", "Male"),
    Customer(2, "Ms.", "Janet", "Gates", "Female"),
    Customer(3, " mrs. ", "Lucy", "Harrington", "Female"),
    Customer(4, None, "Keith", "Harris", "Unknown"),
    Customer(5, "Sr.", "Pablo", "Ruiz", "Male"),
]
PRODUCTS = [
    Product(101, "Road-150 Red, 62", "Bikes", "Road Bikes", Decimal("3578.2700")),
    Product(102, "Mountain-100 Silver, 38", "Bikes", "Mountain Bikes", Decimal("3399.9900")),
    Product(201, "HL Road Frame - Black, 58", "Components", "Road Frames", Decimal("1431.5000")),
    Product(301, "Classic Vest, S", "Clothing", "Vests", Decimal("63.5000")),
    Product(401, "Water Bottle - 30 oz.", "Accessories", "Bottles and Cages", Decimal("4.9900")),
]
D = Decimal
SMALL = [
    # order 1001, Monday 2024-01-01, shipped, Mr. Gee (Male)
    Line(1001, 1, date(2024, 1, 1), 5, 1, 101, 1, D("1000.0000")),
    Line(1001, 2, date(2024, 1, 1), 5, 1, 401, 3, D("4.9900")),
    # order 1002, Wednesday 2024-01-03, shipped, Ms. Gates (Female)
    Line(1002, 3, date(2024, 1, 3), 5, 2, 301, 2, D("63.5000"), D("0.1000")),
    Line(1002, 4, date(2024, 1, 3), 5, 2, 401, 1, D("4.9900")),
    # order 1003, Monday 2024-01-08 (the next week), shipped, Mr. Gee again
    Line(1003, 5, date(2024, 1, 8), 5, 1, 201, 1, D("1431.5000"), D("0.0200")),
    # order 1004, rejected (4), and order 1005, cancelled (6): in no KPI
    Line(1004, 6, date(2024, 1, 15), 4, 3, 102, 5, D("3399.9900")),
    Line(1005, 7, date(2024, 1, 31), 6, 4, 301, 1, D("63.5000")),
    # order 1006, 2024-02-01, shipped, Mrs. Harrington (Female); 60.325 rounds half-up to 60.33
    Line(1006, 8, date(2024, 2, 1), 5, 3, 102, 1, D("3399.9900")),
    Line(1006, 9, date(2024, 2, 1), 5, 3, 301, 1, D("63.5000"), D("0.0500")),
    # order 1007, 2024-02-29, in process (1): a sale; no title (Unknown)
    Line(1007, 10, date(2024, 2, 29), 1, 4, 401, 2, D("4.9900")),
    # order 1008, Monday 2024-03-04, shipped, Sr. Ruiz (Male)
    Line(1008, 11, date(2024, 3, 4), 5, 5, 101, 2, D("1000.0000")),
    Line(1008, 12, date(2024, 3, 4), 5, 5, 201, 1, D("10.0050")),
    # order 1009, 2024-03-05, shipped, Ms. Gates again
    Line(1009, 13, date(2024, 3, 5), 5, 2, 101, 1, D("1000.0000")),
]


def line_total(line: Line) -> Decimal:
    """SQL Server's computed LineTotal: unit price x (1 - discount) x quantity, kept exact to 6 places."""
    return (line.unit_price * (1 - line.discount) * line.qty).quantize(Decimal("0.000001"))


def is_sale(line: Line) -> bool:
    return line.status not in (4, 6)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def fct_rows(lines: list[Line], customers: list[Customer], products: list[Product]) -> list[dict]:
    by_customer = {c.customer_id: c for c in customers}
    by_product = {p.product_id: p for p in products}
    rows = []
    for line in lines:
        product = by_product[line.product_id]
        rows.append(
            {
                "sales_order_id": line.order_id,
                "sales_order_detail_id": line.detail_id,
                "sales_order_number": f"SO{line.order_id}",
                "order_date": line.order_date,
                "order_status": line.status,
                "is_sale": is_sale(line),
                "customer_id": line.customer_id,
                "gender": by_customer[line.customer_id].gender,
                "product_id": line.product_id,
                "product_name": product.name,
                "category": product.category,
                "subcategory": product.subcategory,
                "order_qty": line.qty,
                "unit_price": line.unit_price,
                "unit_price_discount": line.discount,
                "line_total": line_total(line),
                "_updated_at": UPDATED_AT,
            }
        )
    return rows


def agg_rows(fct: list[dict]) -> list[dict]:
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for row in fct:
        if row["is_sale"]:
            cells[(row["order_date"], row["category"], row["subcategory"], row["gender"])].append(row)
    return [
        {
            "order_date": key[0],
            "category": key[1],
            "subcategory": key[2],
            "gender": key[3],
            "products_sold": sum(r["order_qty"] for r in rows),
            "revenue": sum((r["line_total"] for r in rows), Decimal(0)),
            "order_lines": len(rows),
            "orders": len({r["sales_order_id"] for r in rows}),
            "customers": len({r["customer_id"] for r in rows}),
        }
        for key, rows in sorted(cells.items())
    ]


def date_rows(first: date, last: date) -> list[dict]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [
        {
            "date": day,
            "year": day.year,
            "quarter": (day.month - 1) // 3 + 1,
            "month": day.month,
            "month_name": day.strftime("%B"),
            "week_start": week_start(day),
            "day_of_week": day.isoweekday(),
        }
        for day in days
    ]


def write_table(lake: Path, name: str, rows: list[dict], mode: str = "overwrite") -> None:
    schema = SCHEMAS[name]
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    write_deltalake(str(lake / "gold" / name), table, mode=mode)


def write_gold(
    lake: Path,
    lines: list[Line] = SMALL,
    customers: list[Customer] = CUSTOMERS,
    products: list[Product] = PRODUCTS,
) -> Path:
    """The five gold tables of docs/data-contract.md for these order lines, as Delta under `lake/gold`."""
    fct = fct_rows(lines, customers, products)
    write_table(lake, "fct_sales", fct)
    write_table(lake, "agg_daily_sales", agg_rows(fct))
    write_table(
        lake,
        "dim_customer",
        [
            {
                "customer_id": c.customer_id,
                "title": c.title,
                "first_name": c.first_name,
                "last_name": c.last_name,
                "company_name": f"{c.last_name} Cycles",
                "email_address": f"{c.first_name.lower()}@adventure-works.com",
                "gender": c.gender,
            }
            for c in customers
        ],
    )
    write_table(
        lake,
        "dim_product",
        [
            {
                "product_id": p.product_id,
                "product_name": p.name,
                "product_number": f"PN-{p.product_id}",
                "color": None,
                "list_price": p.list_price,
                "product_category_id": p.product_id // 100,
                "category": p.category,
                "subcategory": p.subcategory,
            }
            for p in products
        ],
    )
    dates = [line.order_date for line in lines] or [date(2024, 1, 1)]
    write_table(lake, "dim_date", date_rows(min(dates), max(dates)))
    return lake


def random_lines(seed: int, n_orders: int, customers: list[Customer], products: list[Product]) -> list[Line]:
    """Seeded order lines over 2023-2024, with every status, discounts and several lines per order."""
    rng = random.Random(seed)
    lines, detail = [], 0
    for order_id in range(1, n_orders + 1):
        day = date(2023, 1, 1) + timedelta(days=rng.randrange(731))
        status = rng.choice([1, 2, 3, 5, 5, 5, 5, 4, 6])
        customer = rng.choice(customers).customer_id
        for _ in range(rng.randint(1, 4)):
            detail += 1
            product = rng.choice(products)
            discount = rng.choice([D("0"), D("0"), D("0.0200"), D("0.0500"), D("0.1000")])
            lines.append(
                Line(order_id, detail, day, status, customer, product.product_id, rng.randint(1, 5),
                     product.list_price, discount)
            )  # fmt: skip
    return lines


def many_customers(n: int) -> list[Customer]:
    titles = [("Mr.", "Male"), ("Ms.", "Female"), ("Mrs.", "Female"), ("Miss", "Female"), (None, "Unknown")]
    return [Customer(i, titles[i % 5][0], f"First{i}", f"Last{i}", titles[i % 5][1]) for i in range(1, n + 1)]


def reference_kpis(fct: list[dict], start=None, end=None, categories=(), genders=(), known=()) -> dict:
    """DESIGN.md's KPIs in plain Python over fixture rows: the expected document of `insights kpis`."""
    rows = [
        r
        for r in fct
        if r["is_sale"]
        and (start is None or r["order_date"] >= start)
        and (end is None or r["order_date"] <= end)
        and (not categories or r["category"] in categories)
        and (not genders or r["gender"] in genders)
    ]

    def money(value: Decimal) -> str:
        return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def revenue(subset: list[dict]) -> Decimal:
        return sum((r["line_total"] for r in subset), Decimal(0))

    def of(key: str, value: str) -> list[dict]:
        return [r for r in rows if r[key] == value]

    return {
        "filters": {
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "categories": list(categories),
            "genders": list(genders),
        },
        "products_sold": sum(r["order_qty"] for r in rows),
        "revenue": money(revenue(rows)),
        "orders": len({r["sales_order_id"] for r in rows}),
        "customers": len({r["customer_id"] for r in rows}),
        "customers_by_gender": {g: len({r["customer_id"] for r in of("gender", g)}) for g in GENDERS},
        "revenue_by_gender": {g: money(revenue(of("gender", g))) for g in GENDERS},
        "products_sold_by_gender": {g: sum(r["order_qty"] for r in of("gender", g)) for g in GENDERS},
        "by_category": [
            {
                "category": c,
                "products_sold": sum(r["order_qty"] for r in of("category", c)),
                "revenue": money(revenue(of("category", c))),
                "customers": len({r["customer_id"] for r in of("category", c)}),
            }
            for c in sorted(categories or known)
        ],
    }
