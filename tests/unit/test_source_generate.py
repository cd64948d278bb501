"""The synthetic source: deterministic, linear in scale, with the shape the KPIs need (gender-carrying
titles, the real category hierarchy, seasonality, statuses, discounts) and, on request, dirty rows.
Expectations are independent Python computations over the rows, or numbers fixed by hand."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from insights.local.source import DIRTY_KINDS, TABLE_NAMES, SourceError, generate

MALE = {"mr.", "sr."}
FEMALE = {"ms.", "mrs.", "miss", "sra.", "srta."}


def gender(title: str | None) -> str:
    t = (title or "").strip().lower()
    return "Male" if t in MALE else "Female" if t in FEMALE else "Unknown"


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("generated")
    made = {
        "a": (0.05, 7, 0.0),
        "a_again": (0.05, 7, 0.0),
        "other_seed": (0.05, 8, 0.0),
        "small": (0.02, 7, 0.0),
        "dirty": (0.05, 7, 0.02),
    }
    for name, (scale, seed, dirty) in made.items():
        generate(root / f"{name}.duckdb", scale, seed, dirty_share=dirty)
    return {name: root / f"{name}.duckdb" for name in made}


@pytest.fixture(scope="module")
def con(sources) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(sources["a"]), read_only=True)
    yield c
    c.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()[0][0]


def table_contents(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as c:
        return {t: c.execute(f'SELECT * FROM SalesLT."{t}"').fetchall() for t in TABLE_NAMES}


def test_same_seed_gives_identical_tables(sources):
    assert table_contents(sources["a"]) == table_contents(sources["a_again"])


def test_another_seed_gives_other_rows(sources):
    a, b = table_contents(sources["a"]), table_contents(sources["other_seed"])
    for table in ("Customer", "SalesOrderHeader", "SalesOrderDetail", "Address"):
        assert a[table] != b[table], table
    # the product catalogue is the same whatever the seed, only its rowguids differ
    assert [r[:5] for r in a["Product"]] == [r[:5] for r in b["Product"]]


def test_row_counts_grow_linearly_with_scale(sources):
    def count(path: Path, table: str) -> int:
        with duckdb.connect(str(path), read_only=True) as c:
            return one(c, f"SELECT count(*) FROM SalesLT.{table}")

    lines_a, lines_small = count(sources["a"], "SalesOrderDetail"), count(sources["small"], "SalesOrderDetail")
    assert 4_500 <= lines_a <= 5_500  # scale 0.05 of ~100,000 lines
    assert lines_a / lines_small == pytest.approx(2.5, rel=0.1)
    assert count(sources["a"], "Customer") / count(sources["small"], "Customer") == pytest.approx(2.5, rel=0.05)
    # the catalogue does not grow with the scale
    assert count(sources["a"], "Product") == count(sources["small"], "Product")


def test_line_total_equals_an_independent_decimal_computation(con):
    six = Decimal("0.000001")
    for price, discount, qty, line_total in rows(
        con, "SELECT UnitPrice, UnitPriceDiscount, OrderQty, LineTotal FROM SalesLT.SalesOrderDetail"
    ):
        expected = (price * (1 - discount)).quantize(six, ROUND_HALF_UP) * qty
        assert line_total == expected


def test_header_computed_columns_and_totals(con):
    lines = dict(rows(con, "SELECT SalesOrderID, sum(LineTotal) FROM SalesLT.SalesOrderDetail GROUP BY 1"))
    headers = rows(
        con, "SELECT SalesOrderID, SalesOrderNumber, SubTotal, TaxAmt, Freight, TotalDue FROM SalesLT.SalesOrderHeader"
    )
    assert len(headers) > 1000
    four = Decimal("0.0001")
    for order_id, number, subtotal, tax, freight, total_due in headers:
        assert number == f"SO{order_id}"
        assert total_due == subtotal + tax + freight
        assert subtotal == lines[order_id].quantize(four, ROUND_HALF_UP)
        assert tax == (subtotal * Decimal("0.08")).quantize(four, ROUND_HALF_UP)
        assert freight == (subtotal * Decimal("0.025")).quantize(four, ROUND_HALF_UP)


def test_titles_carry_gender_in_plausible_proportions(con):
    titles = [r[0] for r in rows(con, "SELECT Title FROM SalesLT.Customer")]
    share = {g: n / len(titles) for g, n in Counter(gender(t) for t in titles).items()}
    assert share["Male"] == pytest.approx(0.42, abs=0.08)
    assert share["Female"] == pytest.approx(0.42, abs=0.08)
    assert share["Unknown"] == pytest.approx(0.16, abs=0.06)
    assert None in titles
    assert "Dr." in titles
    # some titles are written carelessly: other case or surrounding spaces
    assert any(
        t is not None and t not in {"Mr.", "Sr.", "Ms.", "Mrs.", "Miss", "Sra.", "Srta."} and gender(t) != "Unknown"
        for t in titles
    )
    assert any(t is not None and t != t.strip() for t in titles)


def test_first_names_follow_the_title(con):
    female_first = rows(
        con,
        "SELECT count(*) FROM SalesLT.Customer WHERE trim(lower(Title)) IN ('mr.', 'sr.') "
        "AND FirstName IN ('Mary', 'Susan', 'Linda', 'Caroline')",
    )
    assert female_first[0][0] == 0


def test_statuses_rejected_cancelled_shipped_and_open(con):
    status = dict(rows(con, "SELECT Status, count(*) FROM SalesLT.SalesOrderHeader GROUP BY 1"))
    total = sum(status.values())
    assert status[4] >= 3 and status[6] >= 3
    assert status[5] / total > 0.9
    assert set(status) <= {1, 2, 3, 4, 5, 6}
    # open orders (1-3) are recent: placed in the last week of the data
    old_open = one(
        con,
        "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE Status IN (1, 2, 3) AND OrderDate < DATE '2025-12-24'",
    )
    assert old_open == 0
    assert one(con, "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE Status = 5 AND ShipDate IS NULL") == 0
    assert one(con, "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE Status <> 5 AND ShipDate IS NOT NULL") == 0


def test_open_orders_exist_at_a_larger_scale(tmp_path):
    generate(tmp_path / "s.duckdb", 0.3, 3)
    with duckdb.connect(str(tmp_path / "s.duckdb"), read_only=True) as c:
        assert one(c, "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE Status IN (1, 2, 3)") > 0


def test_customers_without_orders_exist(con):
    idle = one(
        con,
        "SELECT count(*) FROM SalesLT.Customer c WHERE NOT EXISTS "
        "(SELECT 1 FROM SalesLT.SalesOrderHeader h WHERE h.CustomerID = c.CustomerID)",
    )
    customers = one(con, "SELECT count(*) FROM SalesLT.Customer")
    assert 0.1 < idle / customers < 0.6


def test_every_order_references_a_customer_product_and_address(con):
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE CustomerID NOT IN "
            "(SELECT CustomerID FROM SalesLT.Customer)",
        )
        == 0
    )
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE ProductID NOT IN "
            "(SELECT ProductID FROM SalesLT.Product)",
        )
        == 0
    )
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE ShipToAddressID NOT IN "
            "(SELECT AddressID FROM SalesLT.Address)",
        )
        == 0
    )
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE SalesOrderID NOT IN "
            "(SELECT SalesOrderID FROM SalesLT.SalesOrderHeader)",
        )
        == 0
    )


def test_three_years_of_orders_with_seasonality(con):
    first, last = rows(con, "SELECT min(OrderDate), max(OrderDate) FROM SalesLT.SalesOrderHeader")[0]
    assert first >= dt.datetime(2023, 1, 1) and last <= dt.datetime(2025, 12, 31)
    assert (last - first).days > 1000
    by_month = dict(rows(con, "SELECT month(OrderDate), count(*) FROM SalesLT.SalesOrderHeader GROUP BY 1"))
    assert by_month[6] > 1.4 * by_month[1]  # June sells much more than January
    by_weekday = dict(rows(con, "SELECT isodow(OrderDate), count(*) FROM SalesLT.SalesOrderHeader GROUP BY 1"))
    assert by_weekday[6] > by_weekday[7]  # Saturday busier than Sunday
    by_year = dict(rows(con, "SELECT year(OrderDate), count(*) FROM SalesLT.SalesOrderHeader GROUP BY 1"))
    assert sorted(by_year) == [2023, 2024, 2025]


def test_modified_date_never_before_order_date(con):
    assert one(con, "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE ModifiedDate < OrderDate") == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.SalesOrderDetail d JOIN SalesLT.SalesOrderHeader h USING (SalesOrderID) "
            "WHERE d.ModifiedDate < h.OrderDate",
        )
        == 0
    )
    assert one(con, "SELECT max(ModifiedDate) FROM SalesLT.SalesOrderHeader") < dt.datetime(2026, 1, 1)


def test_real_category_hierarchy_and_all_top_categories_sold(con):
    top = rows(con, "SELECT Name FROM SalesLT.ProductCategory WHERE ParentProductCategoryID IS NULL ORDER BY 1")
    assert [t[0] for t in top] == ["Accessories", "Bikes", "Clothing", "Components"]
    assert one(con, "SELECT count(*) FROM SalesLT.ProductCategory") == 41
    sold = rows(
        con,
        """SELECT parent.Name, sum(d.OrderQty), sum(d.LineTotal) FROM SalesLT.SalesOrderDetail d
           JOIN SalesLT.Product p USING (ProductID)
           JOIN SalesLT.ProductCategory c ON c.ProductCategoryID = p.ProductCategoryID
           JOIN SalesLT.ProductCategory parent ON parent.ProductCategoryID = c.ParentProductCategoryID
           GROUP BY 1""",
    )
    by_cat = {name: (qty, revenue) for name, qty, revenue in sold}
    assert set(by_cat) == {"Bikes", "Components", "Clothing", "Accessories"}
    assert by_cat["Bikes"][1] == max(r for _, r in by_cat.values())  # bikes bring the revenue
    assert by_cat["Accessories"][0] > by_cat["Bikes"][0]  # accessories the volume
    # every product sits in a subcategory (a category with a parent)
    assert (
        one(
            con,
            "SELECT count(*) FROM SalesLT.Product p JOIN SalesLT.ProductCategory c USING (ProductCategoryID) "
            "WHERE c.ParentProductCategoryID IS NULL",
        )
        == 0
    )


def test_products_have_plausible_prices(con):
    prices = dict(
        rows(
            con,
            """SELECT parent.Name, avg(p.ListPrice) FROM SalesLT.Product p
               JOIN SalesLT.ProductCategory c ON c.ProductCategoryID = p.ProductCategoryID
               JOIN SalesLT.ProductCategory parent ON parent.ProductCategoryID = c.ParentProductCategoryID
               GROUP BY 1""",
        )
    )
    assert prices["Bikes"] > 500 > prices["Clothing"]
    assert one(con, "SELECT count(*) FROM SalesLT.Product WHERE ListPrice <= 0 OR StandardCost >= ListPrice") == 0


def test_several_lines_per_order_and_discounts(con):
    per_order = one(con, "SELECT count(*) / count(DISTINCT SalesOrderID) FROM SalesLT.SalesOrderDetail")
    assert 2.5 < per_order < 4.5
    discounts = [r[0] for r in rows(con, "SELECT UnitPriceDiscount FROM SalesLT.SalesOrderDetail")]
    undiscounted = sum(d == 0 for d in discounts) / len(discounts)
    assert 0.8 < undiscounted < 0.95
    assert {d for d in discounts if d} <= {Decimal(x) for x in ("0.02", "0.05", "0.10", "0.15", "0.20", "0.30", "0.40")}
    assert max(discounts) == Decimal("0.40")
    assert one(con, "SELECT min(OrderQty) FROM SalesLT.SalesOrderDetail") == 1
    assert one(con, "SELECT max(OrderQty) FROM SalesLT.SalesOrderDetail") > 3


def dirty_counts(c: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each kind of dirty row, found by its own query."""
    q = {
        "Customer.null_key": "SELECT count(*) FROM SalesLT.Customer WHERE CustomerID IS NULL",
        "Customer.duplicate_key": """SELECT count(*) FROM (SELECT CustomerID FROM SalesLT.Customer
            WHERE CustomerID IS NOT NULL GROUP BY 1
            HAVING count(*) > 1 AND count(DISTINCT EmailAddress) > 1 AND count(DISTINCT ModifiedDate) = 1)""",
        "SalesOrderHeader.null_key": "SELECT count(*) FROM SalesLT.SalesOrderHeader WHERE SalesOrderID IS NULL",
        "SalesOrderHeader.duplicate_key": """SELECT count(*) FROM (SELECT SalesOrderID FROM SalesLT.SalesOrderHeader
            WHERE SalesOrderID IS NOT NULL GROUP BY 1
            HAVING count(*) > 1 AND count(DISTINCT Freight) > 1 AND count(DISTINCT ModifiedDate) = 1)""",
        "SalesOrderHeader.unknown_customer": """SELECT count(*) FROM SalesLT.SalesOrderHeader
            WHERE CustomerID NOT IN (SELECT CustomerID FROM SalesLT.Customer WHERE CustomerID IS NOT NULL)""",
        "SalesOrderDetail.null_key": """SELECT count(*) FROM SalesLT.SalesOrderDetail
            WHERE SalesOrderID IS NULL OR SalesOrderDetailID IS NULL""",
        "SalesOrderDetail.duplicate_key": """SELECT count(*) FROM (SELECT SalesOrderID, SalesOrderDetailID
            FROM SalesLT.SalesOrderDetail WHERE SalesOrderID IS NOT NULL AND SalesOrderDetailID IS NOT NULL
            GROUP BY 1, 2
            HAVING count(*) > 1 AND count(DISTINCT OrderQty) > 1 AND count(DISTINCT ModifiedDate) = 1)""",
        "SalesOrderDetail.non_positive_quantity": "SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE OrderQty <= 0",
        "SalesOrderDetail.negative_price": "SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE UnitPrice < 0",
        "SalesOrderDetail.invalid_discount": """SELECT count(*) FROM SalesLT.SalesOrderDetail
            WHERE UnitPriceDiscount < 0 OR UnitPriceDiscount > 1""",
        "SalesOrderDetail.unknown_order": """SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE SalesOrderID NOT IN
            (SELECT SalesOrderID FROM SalesLT.SalesOrderHeader WHERE SalesOrderID IS NOT NULL)""",
        "SalesOrderDetail.unknown_product": """SELECT count(*) FROM SalesLT.SalesOrderDetail WHERE ProductID NOT IN
            (SELECT ProductID FROM SalesLT.Product)""",
    }
    return {kind: one(c, sql) for kind, sql in q.items()}


def test_a_clean_source_has_no_dirty_rows(con):
    assert set(dirty_counts(con).values()) == {0}


def test_dirty_share_injects_every_kind(sources):
    expected_kinds = {f"{t}.{k}" for t, kinds in DIRTY_KINDS.items() for k in kinds}
    with duckdb.connect(str(sources["dirty"]), read_only=True) as c:
        found = dirty_counts(c)
        assert set(found) == expected_kinds
        assert all(n >= 1 for n in found.values()), found
        with duckdb.connect(str(sources["a"]), read_only=True) as clean:
            for table in ("Customer", "SalesOrderHeader", "SalesOrderDetail"):
                extra = one(c, f"SELECT count(*) FROM SalesLT.{table}") - one(
                    clean, f"SELECT count(*) FROM SalesLT.{table}"
                )
                # 2 % of the clean rows, at least one per kind, added on top of the clean source
                clean_rows = one(clean, f"SELECT count(*) FROM SalesLT.{table}")
                assert extra == max(len(DIRTY_KINDS[table]), round(0.02 * clean_rows))


def test_dirty_rows_are_added_on_top_of_the_same_clean_rows(sources):
    clean, dirty = table_contents(sources["a"]), table_contents(sources["dirty"])
    for table in TABLE_NAMES:
        assert dirty[table][: len(clean[table])] == clean[table]


def test_refuses_to_overwrite_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "s.duckdb"
    generate(out, 0.01, 1)
    before = out.read_bytes()
    with pytest.raises(SourceError, match="already exists"):
        generate(out, 0.01, 2)
    assert out.read_bytes() == before
    generate(out, 0.01, 2, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.duckdb"]


def test_a_failure_leaves_no_half_written_source(tmp_path, monkeypatch):
    from insights.local.source import generator as generate_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(generate_module, "insert_orders", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(tmp_path / "s.duckdb", 0.01, 1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("scale", "seed", "dirty"), [(0, 1, 0.0), (-1, 1, 0.0), (0.1, -1, 0.0), (0.1, 1, 0.9)])
def test_bad_arguments_are_refused(tmp_path, scale, seed, dirty):
    with pytest.raises(ValueError):
        generate(tmp_path / "s.duckdb", scale, seed, dirty_share=dirty)
    assert not (tmp_path / "s.duckdb").exists()


def test_progress_is_reported(tmp_path):
    calls = []
    generate(tmp_path / "s.duckdb", 0.01, 1, progress=lambda what, done, total: calls.append((what, done, total)))
    assert {c[0] for c in calls} >= {"customers", "orders", "done"}
    assert calls[-1][1] == calls[-1][2]
