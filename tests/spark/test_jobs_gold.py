"""Gold: values on a tiny hand-computed dataset, incremental runs equal a full rebuild, crash repair,
and every Delta table at reader version 1 with deletion vectors off."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from deltalake import DeltaTable, write_deltalake

from insights_jobs.gold.job import GoldJob
from insights_jobs.storage import LocalDelta
from tests.support.bronze import category, customer, detail, header, product, write_bronze

pytestmark = pytest.mark.spark

D1, D2, D3, D5 = dt.date(2024, 3, 1), dt.date(2024, 3, 2), dt.date(2024, 3, 3), dt.date(2024, 3, 5)
LATER = "2024-04-01"
DAYS_2024 = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(366)]  # whole years: 2024 is a leap year
GOLD = ("fct_sales", "agg_daily_sales", "dim_customer", "dim_product", "dim_date")
KEYS = {
    "fct_sales": ("sales_order_id", "sales_order_detail_id"),
    "agg_daily_sales": ("order_date", "category", "subcategory", "gender"),
    "dim_customer": ("customer_id",),
    "dim_product": ("product_id",),
    "dim_date": ("date",),
}


def write_first_extract(root) -> None:
    write_bronze(root, "Customer", "r1", [customer(1, "Mr."), customer(2, "Ms."), customer(3, None)])
    write_bronze(root, "ProductCategory", "r1", [
        category(1, "Bikes"), category(2, "Clothing"), category(5, "Mountain Bikes", 1),
        category(6, "Road Bikes", 1), category(20, "Jerseys", 2),
    ])  # fmt: skip
    write_bronze(root, "Product", "r1", [
        product(10, "Mountain-100", 5), product(11, "Road-150", 6), product(20, "Jersey", 20),
        product(30, "Mystery", 999),  # its category is unknown: Unknown / Unknown in gold
    ])  # fmt: skip
    write_bronze(root, "SalesOrderHeader", "r1", [
        header(100, 1, "2024-03-01"), header(101, 2, "2024-03-01"), header(105, 1, "2024-03-01"),
        header(102, 1, "2024-03-02", status=6), header(103, 3, "2024-03-02", status=4),
        header(104, 2, "2024-03-02", status=1),
    ])  # fmt: skip
    write_bronze(root, "SalesOrderDetail", "r1", [
        detail(100, 1, 10, 2, "100"),           # 200
        detail(100, 2, 20, 1, "50", "0.1"),     # 45
        detail(100, 3, 10, 1, "10"),            # 10
        detail(105, 1, 10, 1, "100"),           # 100
        detail(101, 1, 10, 1, "100"),           # 100
        detail(101, 2, 11, 3, "10.5", "0.05"),  # 29.925
        detail(102, 1, 10, 5, "100"),           # 500, cancelled
        detail(103, 1, 20, 1, "50"),            # 50, rejected
        detail(104, 1, 30, 4, "2.5"),           # 10
        detail(104, 2, 10, 1, "99.99", "0.5"),  # 49.995
    ])  # fmt: skip


def write_second_extract(root) -> None:
    """Changes that move gold: a title (gender on all lines), a status to cancelled, an order date,
    a product's category, a line's quantity, and a new order."""
    write_bronze(root, "Customer", "r2", [customer(1, "Mrs.", modified=LATER)])
    write_bronze(root, "Product", "r2", [product(11, "Road-150", 5, modified=LATER)])
    write_bronze(root, "SalesOrderHeader", "r2", [
        header(101, 2, "2024-03-01", status=6, modified=LATER),
        header(104, 2, "2024-03-05", status=1, modified=LATER),
        header(106, 3, "2024-03-03", modified=LATER),
    ])  # fmt: skip
    write_bronze(root, "SalesOrderDetail", "r2", [
        detail(100, 2, 20, 2, "50", "0.1", modified=LATER),  # 90
        detail(106, 1, 20, 1, "50", modified=LATER),         # 50
    ])  # fmt: skip


def agg(lake) -> dict:
    return {
        (r["order_date"], r["category"], r["subcategory"], r["gender"]): (
            r["products_sold"], r["revenue"], r["order_lines"], r["orders"], r["customers"])
        for r in lake.rows("gold", "agg_daily_sales")
    }  # fmt: skip


def gold_content(lake) -> dict:
    """Every gold table as a set of rows (without the `_updated_at` bookkeeping column)."""
    return {
        t: sorted(repr({k: v for k, v in r.items() if k != "_updated_at"}) for r in lake.rows("gold", t)) for t in GOLD
    }


def full_rebuild(lake, make_lake, folder) -> dict:
    """Gold built from scratch from the same silver, in a copy of the lake."""
    shutil.copytree(lake.root / "silver", folder / "silver")
    rebuilt = make_lake(folder)
    summary = rebuilt.gold("rebuild")
    assert summary.mode == "full"
    return gold_content(rebuilt)


@pytest.fixture(scope="module")
def silver_r1(tmp_path_factory, make_lake):
    """A lake with silver after r1 and the r2 extract already in bronze (copied per test)."""
    lake = make_lake(tmp_path_factory.mktemp("gold") / "lake")
    write_first_extract(lake.root)
    lake.silver("r1")
    write_second_extract(lake.root)
    return lake


@pytest.fixture
def fresh(silver_r1, make_lake, tmp_path):
    shutil.copytree(silver_r1.root, tmp_path / "lake")
    return make_lake(tmp_path / "lake")


def test_fct_sales_has_every_line_with_status_gender_and_categories(fresh):
    fresh.gold("g1")
    fct = fresh.by_key("gold", "fct_sales", *KEYS["fct_sales"])
    assert len(fct) == 10
    line = fct[(101, 2)]
    assert (line["order_date"], line["order_status"], line["is_sale"], line["customer_id"]) == (D1, 5, True, 2)
    assert (line["gender"], line["category"], line["subcategory"]) == ("Female", "Bikes", "Road Bikes")
    assert (line["product_name"], line["sales_order_number"], line["order_qty"]) == ("Road-150", "SO101", 3)
    assert line["line_total"] == Decimal("29.925000")
    assert (fct[(102, 1)]["is_sale"], fct[(103, 1)]["is_sale"], fct[(104, 1)]["is_sale"]) == (False, False, True)
    assert (fct[(103, 1)]["gender"], fct[(100, 2)]["category"]) == ("Unknown", "Clothing")
    assert (fct[(104, 1)]["category"], fct[(104, 1)]["subcategory"]) == ("Unknown", "Unknown")


def test_agg_daily_sales_counts_sales_only_with_distinct_counts_per_cell(fresh):
    fresh.gold("g1")
    assert agg(fresh) == {
        (D1, "Bikes", "Mountain Bikes", "Male"): (4, Decimal("310.000000"), 3, 2, 1),
        (D1, "Clothing", "Jerseys", "Male"): (1, Decimal("45.000000"), 1, 1, 1),
        (D1, "Bikes", "Mountain Bikes", "Female"): (1, Decimal("100.000000"), 1, 1, 1),
        (D1, "Bikes", "Road Bikes", "Female"): (3, Decimal("29.925000"), 1, 1, 1),
        (D2, "Unknown", "Unknown", "Female"): (4, Decimal("10.000000"), 1, 1, 1),
        (D2, "Bikes", "Mountain Bikes", "Female"): (1, Decimal("49.995000"), 1, 1, 1),
    }


def test_dimensions(fresh):
    fresh.gold("g1")
    customers = fresh.by_key("gold", "dim_customer", "customer_id")
    assert {k: c["gender"] for k, c in customers.items()} == {1: "Male", 2: "Female", 3: "Unknown"}
    products = fresh.by_key("gold", "dim_product", "product_id")
    assert {k: (p["category"], p["subcategory"]) for k, p in products.items()} == {
        10: ("Bikes", "Mountain Bikes"), 11: ("Bikes", "Road Bikes"), 20: ("Clothing", "Jerseys"),
        30: ("Unknown", "Unknown"),
    }  # fmt: skip
    dates = fresh.by_key("gold", "dim_date", "date")
    assert sorted(dates) == DAYS_2024  # the orders' whole year, for Power BI's time intelligence
    friday = dates[D1]  # 2024-03-01 is a Friday
    assert (friday["year"], friday["quarter"], friday["month"], friday["month_name"]) == (2024, 1, 3, "March")
    assert (friday["week_start"], friday["day_of_week"]) == (dt.date(2024, 2, 26), 5)


def test_an_incremental_run_equals_a_full_rebuild(fresh, make_lake, tmp_path):
    fresh.gold("g1")
    fresh.silver("r2")
    summary = fresh.gold("g2")

    assert summary.mode == "incremental"
    assert gold_content(fresh) == full_rebuild(fresh, make_lake, tmp_path / "rebuild")
    cells = agg(fresh)
    # customer 1 is Female now on every line; order 101 was cancelled: it counts nowhere
    assert not [c for c in cells if c[3] == "Male"]
    assert cells[(D1, "Bikes", "Mountain Bikes", "Female")] == (4, Decimal("310.000000"), 3, 2, 1)
    assert cells[(D1, "Clothing", "Jerseys", "Female")] == (2, Decimal("90.000000"), 1, 1, 1)
    # order 104 moved from 03-02 to 03-05: the old date lost it, the new date has it
    assert (D2, "Unknown", "Unknown", "Female") not in cells
    assert cells[(D5, "Unknown", "Unknown", "Female")] == (4, Decimal("10.000000"), 1, 1, 1)
    assert cells[(D3, "Clothing", "Jerseys", "Unknown")] == (1, Decimal("50.000000"), 1, 1, 1)
    assert "dim_date" not in summary.written  # the new order date is still in 2024
    assert sorted(fresh.by_key("gold", "dim_date", "date")) == DAYS_2024
    fct = fresh.by_key("gold", "fct_sales", *KEYS["fct_sales"])
    assert fct[(101, 2)]["subcategory"] == "Mountain Bikes"  # product 11 moved category


def test_an_order_in_a_new_year_extends_dim_date_to_that_whole_year(fresh):
    fresh.gold("g1")
    write_bronze(fresh.root, "SalesOrderHeader", "r3", [header(107, 1, "2025-01-10", modified=LATER)])
    write_bronze(fresh.root, "SalesOrderDetail", "r3", [detail(107, 1, 10, 1, "100", modified=LATER)])
    fresh.silver("r3")
    summary = fresh.gold("g3")
    assert summary.written["dim_date"] == 366 + 365
    dates = sorted(fresh.by_key("gold", "dim_date", "date"))
    assert (dates[0], dates[-1], len(dates)) == (dt.date(2024, 1, 1), dt.date(2025, 12, 31), 731)


def test_a_run_without_silver_changes_writes_no_gold_version(fresh):
    fresh.gold("g1")
    versions = {t: fresh.version("gold", t) for t in GOLD}
    summary = fresh.gold("g2")
    assert summary.written == {}
    assert {t: fresh.version("gold", t) for t in GOLD} == versions


def test_a_title_change_moves_the_gender_of_all_the_customers_lines_and_only_those(fresh):
    fresh.gold("g1")
    write_bronze(fresh.root, "Customer", "r3", [customer(2, "Mr.", modified=LATER)])
    fresh.silver("r3")
    summary = fresh.gold("g3")
    fct = fresh.by_key("gold", "fct_sales", *KEYS["fct_sales"])
    assert {k for k, line in fct.items() if line["gender"] == "Male"} == {
        (100, 1),
        (100, 2),
        (100, 3),
        (105, 1),
        (102, 1),
        (101, 1),
        (101, 2),
        (104, 1),
        (104, 2),
    }
    assert summary.touched_lines == 4  # the lines of orders 101 and 104


def test_a_customer_stays_in_a_cell_while_one_of_their_orders_of_that_day_remains(fresh, make_lake, tmp_path):
    fresh.gold("g1")
    # customer 1 (Mr.) bought Mountain Bikes on 03-01 in orders 100 (lines 1 and 3) and 105; 105 is cancelled
    write_bronze(fresh.root, "SalesOrderHeader", "r3", [header(105, 1, "2024-03-01", status=6, modified=LATER)])
    fresh.silver("r3")
    assert fresh.gold("g3").touched_lines == 1

    # 2 x 100 + 1 x 10 left of 2 x 100 + 1 x 10 + 1 x 100: one order, still one customer
    assert agg(fresh)[(D1, "Bikes", "Mountain Bikes", "Male")] == (3, Decimal("210.000000"), 2, 1, 1)
    assert gold_content(fresh) == full_rebuild(fresh, make_lake, tmp_path / "rebuild")


@pytest.mark.parametrize("crash_at", ["agg_daily_sales", "fct_sales", "gold_state"])
def test_a_crash_before_gold_state_is_repaired_by_the_next_run(fresh, make_lake, tmp_path, monkeypatch, crash_at):
    fresh.gold("g1")
    fresh.silver("r2")

    class Crash(RuntimeError):
        pass

    with monkeypatch.context() as patch:
        if crash_at == "gold_state":
            write_state = GoldJob._write_state

            def crashing_state(self, consumed, writing=False):
                if not writing:  # the final state, after every gold table was written
                    raise Crash()
                return write_state(self, consumed, writing)

            patch.setattr(GoldJob, "_write_state", crashing_state)
        else:
            method = "accumulate" if crash_at == "agg_daily_sales" else "upsert"
            write = getattr(LocalDelta, method)

            def crashing(self, path, *args, **kwargs):
                if path.endswith(crash_at):
                    raise Crash()
                return write(self, path, *args, **kwargs)

            patch.setattr(LocalDelta, method, crashing)
        with pytest.raises(Crash):
            fresh.gold("g2")

    assert {row["writing"] for row in fresh.rows("control", "gold_state")} == {True}
    assert fresh.gold("g3").mode == "full"  # the aggregate may be half-revised: only a rebuild is sure
    assert gold_content(fresh) == full_rebuild(fresh, make_lake, tmp_path / "rebuild")
    assert fresh.gold("g4").written == {}  # the rebuild cleared the mark


def test_a_state_written_before_the_writing_mark_existed_is_read_as_complete(fresh):
    fresh.gold("g1")
    state = str(fresh.path("control", "gold_state"))
    write_deltalake(state, DeltaTable(state).to_pyarrow_table().drop_columns(["writing"]), mode="overwrite",
                    schema_mode="overwrite")  # fmt: skip
    fresh.silver("r2")
    assert fresh.gold("g2").mode == "incremental"


def test_every_delta_table_stays_at_reader_version_1_without_deletion_vectors(fresh):
    fresh.gold("g1")
    fresh.silver("r2")
    fresh.gold("g2")
    tables = [("gold", t) for t in GOLD] + [("control", "gold_state"), ("silver", "_quarantine")]
    tables += [("silver", t) for t in ("customer", "product", "product_category", "sales_order_header")]
    for layer, table in tables:
        delta = DeltaTable(str(fresh.path(layer, table)))
        protocol = delta.protocol()
        assert protocol.min_reader_version == 1, (layer, table)
        assert not protocol.reader_features, (layer, table)
        configuration = delta.metadata().configuration
        assert configuration.get("delta.enableDeletionVectors") == "false", (layer, table)
        assert configuration.get("delta.columnMapping.mode", "none") == "none", (layer, table)


def test_gold_keys_are_unique_and_not_null(fresh):
    fresh.gold("g1")
    fresh.silver("r2")
    fresh.gold("g2")
    for table, key in KEYS.items():
        rows = fresh.rows("gold", table)
        keys = [tuple(r[k] for k in key) for r in rows]
        assert len(keys) == len(set(keys)), table
        assert all(v is not None for k in keys for v in k), table
    for r in fresh.rows("gold", "fct_sales"):
        assert None not in (r["gender"], r["category"], r["subcategory"], r["order_date"])
