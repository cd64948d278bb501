"""The views of synapse_views/ parsed as T-SQL and run on DuckDB over gold Delta tables written here."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from deltalake import write_deltalake

import synapse_views
from insights.local.lake_check import find_damage
from insights.serving.dialect import OpenRowset, SynapseServerless
from insights.serving.kpis import KpiFilter
from insights.serving.local import LocalViews, ServingError, parse_view, to_duckdb, view_files
from insights.serving.queries import distinct_counts
from tests.support.gold import (
    CUSTOMERS,
    FCT_SALES,
    PRODUCTS,
    SMALL,
    UPDATED_AT,
    Line,
    agg_rows,
    date_rows,
    fct_rows,
    week_start,
    write_gold,
    write_table,
)

VIEW_PATHS = sorted(p.name for p in (synapse_views.ROOT / "views").glob("*.sql"))
FCT = fct_rows(SMALL, CUSTOMERS, PRODUCTS)


@pytest.mark.parametrize("name", VIEW_PATHS)
def test_every_view_file_parses_as_tsql_and_runs_on_duckdb(name: str, gold_lake: Path) -> None:
    sql = (synapse_views.ROOT / "views" / name).read_text(encoding="utf-8")
    view = parse_view(f"views/{name}", sql)
    # T-SQL in, T-SQL out: the tree writes back as serverless T-SQL that parses to the same tree
    written = view.tree.sql(dialect=SynapseServerless, comments=False)
    assert sqlglot.parse_one(written, dialect=SynapseServerless).sql(dialect=SynapseServerless) == written
    views = LocalViews(gold_lake)
    rows = views.execute(f"SELECT * FROM {view.name}")
    expected = {
        "gold.fct_sales": len(SMALL),
        "gold.sales": sum(1 for line in SMALL if line.status not in (4, 6)),
        "gold.agg_daily_sales": len(agg_rows(FCT)),
        "gold.dim_customer": len(CUSTOMERS),
        "gold.dim_product": len(PRODUCTS),
        "gold.dim_date": (date(2024, 3, 5) - date(2024, 1, 1)).days + 1,
    }[view.name]
    assert len(rows) == expected


def test_fct_sales_returns_the_delta_rows_with_the_types_of_its_with_clause(gold_lake: Path) -> None:
    rows = LocalViews(gold_lake).execute("SELECT * FROM gold.fct_sales ORDER BY sales_order_detail_id")
    expected = [
        tuple(row[c] if c != "_updated_at" else UPDATED_AT.replace(tzinfo=None) for c in FCT_SALES.names) for row in FCT
    ]
    assert rows == expected
    first = rows[0]
    assert isinstance(first[5], bool) and isinstance(first[15], Decimal) and first[15] == Decimal("1000.000000")


def test_sales_keeps_the_lines_of_sales_with_their_week_and_month(gold_lake: Path) -> None:
    rows = LocalViews(gold_lake).execute(
        "SELECT sales_order_detail_id, order_date, week_start, month_start FROM gold.sales "
        "ORDER BY sales_order_detail_id"
    )
    expected = [
        (line.detail_id, line.order_date, week_start(line.order_date), line.order_date.replace(day=1))
        for line in SMALL
        if line.status not in (4, 6)
    ]
    assert rows == expected
    # by hand: 2024-01-03 (a Wednesday) is in the week of Monday 2024-01-01; 2024-02-29 in February
    assert (3, date(2024, 1, 3), date(2024, 1, 1), date(2024, 1, 1)) in rows
    assert (10, date(2024, 2, 29), date(2024, 2, 26), date(2024, 2, 1)) in rows
    assert not {6, 7} & {row[0] for row in rows}  # the rejected and the cancelled order


def test_the_daily_aggregate_and_the_dimensions_read_back_as_written(gold_lake: Path) -> None:
    views = LocalViews(gold_lake)
    agg = views.execute("SELECT * FROM gold.agg_daily_sales ORDER BY order_date, category, subcategory, gender")
    assert agg == [
        (*row.values(), week_start(row["order_date"]), row["order_date"].replace(day=1)) for row in agg_rows(FCT)
    ]
    calendar = views.execute("SELECT * FROM gold.dim_date ORDER BY [date]")
    assert calendar == [tuple(row.values()) for row in date_rows(date(2024, 1, 1), date(2024, 3, 5))]
    customers = views.execute("SELECT customer_id, title, gender FROM gold.dim_customer ORDER BY customer_id")
    assert customers == [(c.customer_id, c.title, c.gender) for c in CUSTOMERS]
    products = views.execute("SELECT product_id, category, subcategory, list_price FROM gold.dim_product")
    assert sorted(products) == sorted((p.product_id, p.category, p.subcategory, p.list_price) for p in PRODUCTS)


def test_a_missing_gold_table_says_to_run_the_pipeline(tmp_path: Path) -> None:
    with pytest.raises(ServingError, match=r"no gold table 'agg_daily_sales' in .*: run `insights run` first"):
        LocalViews(tmp_path / "empty-lake").execute("SELECT 1 AS one")


def test_a_delta_type_the_view_cannot_read_is_refused_with_view_table_and_column(gold_lake: Path) -> None:
    table = pa.Table.from_pylist(FCT, schema=FCT_SALES)
    widened = table.set_column(12, pa.field("order_qty", pa.int64()), table.column("order_qty").cast(pa.int64()))
    write_deltalake(str(gold_lake / "gold" / "fct_sales"), widened, mode="overwrite", schema_mode="overwrite")
    with pytest.raises(ServingError, match=r"gold.fct_sales reads fct_sales.order_qty as INTEGER, .* is int64"):
        LocalViews(gold_lake).execute("SELECT COUNT(*) FROM gold.fct_sales")


def test_a_missing_column_is_refused(gold_lake: Path) -> None:
    table = pa.Table.from_pylist(FCT, schema=FCT_SALES).drop_columns(["gender"])
    write_deltalake(str(gold_lake / "gold" / "fct_sales"), table, mode="overwrite", schema_mode="overwrite")
    with pytest.raises(ServingError, match=r"gold table 'fct_sales' has no column 'gender'"):
        LocalViews(gold_lake).execute("SELECT COUNT(*) FROM gold.fct_sales")


def test_a_table_above_reader_version_1_is_refused_as_synapse_would(gold_lake: Path) -> None:
    shutil.rmtree(gold_lake / "gold" / "dim_product")
    table = pa.table({"product_id": pa.array([1], pa.int32())})
    write_deltalake(
        str(gold_lake / "gold" / "dim_product"), table, configuration={"delta.enableDeletionVectors": "true"}
    )
    with pytest.raises(ServingError, match=r"'dim_product' is at Delta reader version 3: .* reads version 1 only"):
        LocalViews(gold_lake).execute("SELECT 1 AS one")


def test_a_new_gold_version_is_picked_up_without_a_restart(gold_lake: Path) -> None:
    views = LocalViews(gold_lake, refresh_seconds=0)
    assert views.execute("SELECT COUNT(*) FROM gold.sales") == [(11,)]
    late = Line(1010, 14, date(2024, 3, 6), 5, 2, 401, 1, Decimal("4.9900"))
    write_table(gold_lake, "fct_sales", fct_rows([late], CUSTOMERS, PRODUCTS), mode="append")
    assert views.execute("SELECT COUNT(*), MAX(order_date) FROM gold.sales") == [(12, date(2024, 3, 6))]


def test_a_snapshot_is_kept_between_version_checks(gold_lake: Path) -> None:
    views = LocalViews(gold_lake, refresh_seconds=3600)
    assert views.execute("SELECT COUNT(*) FROM gold.fct_sales") == [(13,)]
    write_gold(gold_lake, SMALL[:2])
    assert views.execute("SELECT COUNT(*) FROM gold.fct_sales") == [(13,)]
    assert LocalViews(gold_lake).execute("SELECT COUNT(*) FROM gold.fct_sales") == [(2,)]


def test_timestamps_are_read_as_utc_wall_clock_time(gold_lake: Path) -> None:
    [(updated,)] = LocalViews(gold_lake).execute("SELECT MAX(_updated_at) FROM gold.fct_sales")
    assert updated == datetime(2025, 1, 2, 3, 4, 5, 678901) == UPDATED_AT.replace(tzinfo=None)
    assert UPDATED_AT.utcoffset() == timedelta(0)


def _views_root(tmp_path: Path, view_sql: str) -> Path:
    root = tmp_path / "synapse_views"
    shutil.copytree(synapse_views.ROOT / "setup", root / "setup")
    (root / "views").mkdir()
    (root / "views" / "x.sql").write_text(view_sql, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1 AS one", "must hold exactly one CREATE VIEW"),
        ("CREATE VIEW gold.x AS SELECT (", "does not parse as T-SQL"),
        (
            "CREATE VIEW gold.x AS SELECT * FROM OPENROWSET(BULK 'x/', DATA_SOURCE = 'gold_lake', FORMAT = 'PARQUET')"
            " WITH (a INT) AS r",
            "FORMAT = 'DELTA' only",
        ),
        (
            "CREATE VIEW gold.x AS SELECT * FROM OPENROWSET(BULK 'x/', DATA_SOURCE = 'elsewhere', FORMAT = 'DELTA')"
            " WITH (a INT) AS r",
            "DATA_SOURCE 'elsewhere' is not an external data source of setup/",
        ),
        (
            "CREATE VIEW gold.x AS SELECT * FROM OPENROWSET(BULK 'x/', DATA_SOURCE = 'gold_lake', FORMAT = 'DELTA')"
            " AS r",
            "needs a typed WITH",
        ),
    ],
)
def test_view_files_the_local_platform_cannot_run_are_refused_with_the_file(tmp_path: Path, sql, message) -> None:
    with pytest.raises(ServingError, match=message):
        LocalViews(tmp_path / "lake", views_root=_views_root(tmp_path, sql))


def test_openrowset_parses_into_path_options_and_typed_columns() -> None:
    [fct] = [view for view in view_files() if view.name == "gold.fct_sales"]
    [rowset] = list(fct.tree.find_all(OpenRowset))
    assert rowset.bulk == "fct_sales/"
    assert rowset.columns[15].name == "line_total"
    line_total, updated_at = rowset.columns[15].args["kind"], rowset.columns[16].args["kind"]
    assert line_total.is_type("decimal") and [p.name for p in line_total.expressions] == ["38", "6"]
    assert updated_at.this == sqlglot.exp.DataType.Type.DATETIME2 and [p.name for p in updated_at.expressions] == ["7"]


def test_serving_queries_are_translated_from_tsql_for_duckdb() -> None:
    duck = to_duckdb("SELECT TOP 2 category FROM gold.sales WHERE gender IN (?, ?) ORDER BY category")
    assert duck == "SELECT category FROM gold.sales WHERE gender IN (?, ?) ORDER BY category NULLS FIRST LIMIT 2"
    with pytest.raises(ServingError, match="exactly one statement"):
        to_duckdb("SELECT 1; SELECT 2")


def test_a_distinct_count_of_a_narrow_integer_column_is_a_bitmap_count() -> None:
    tsql = "SELECT COUNT(DISTINCT customer_id), COUNT(DISTINCT category) FROM gold.sales"
    assert to_duckdb(tsql, frozenset({"customer_id"})) == (
        "SELECT COALESCE(BIT_COUNT(BITSTRING_AGG(customer_id)), 0), COUNT(DISTINCT category) FROM gold.sales"
    )
    assert to_duckdb(tsql) == "SELECT COUNT(DISTINCT customer_id), COUNT(DISTINCT category) FROM gold.sales"


def test_a_distinct_set_counted_at_several_groupings_is_one_bitmap_per_key() -> None:
    tsql = (
        "WITH s AS (SELECT DISTINCT customer_id, gender, category FROM gold.sales WHERE order_date >= ?) "
        "SELECT gender, COUNT(DISTINCT customer_id) FROM s GROUP BY gender "
        "UNION ALL SELECT NULL, COUNT(DISTINCT customer_id) FROM S"
    )
    assert to_duckdb(tsql, frozenset({"customer_id"})) == (
        "WITH s AS MATERIALIZED (SELECT BITSTRING_AGG(customer_id) AS customer_id, gender, category FROM gold.sales "
        "WHERE order_date >= ? GROUP BY gender, category) "
        "SELECT gender, COALESCE(BIT_COUNT(BIT_OR(customer_id)), 0) FROM s GROUP BY gender "
        "UNION ALL SELECT NULL, COALESCE(BIT_COUNT(BIT_OR(customer_id)), 0) FROM S"
    )
    alone = "WITH s AS (SELECT DISTINCT customer_id, gender FROM gold.sales) SELECT COUNT(DISTINCT customer_id) FROM s"
    assert to_duckdb(alone, frozenset({"customer_id"})) == (
        "WITH s AS MATERIALIZED (SELECT BITSTRING_AGG(customer_id) AS customer_id, gender FROM gold.sales "
        "GROUP BY gender) SELECT COALESCE(BIT_COUNT(BIT_OR(customer_id)), 0) FROM s"
    )


@pytest.mark.parametrize(
    ("cte", "reader"),
    [
        ("s", "SELECT gender, COUNT(*) FROM s GROUP BY gender"),  # counts (customer, gender, category) rows
        ("s", "SELECT gender, COUNT(DISTINCT customer_id), SUM(customer_id) FROM s GROUP BY gender"),
        ("s", "SELECT customer_id, gender FROM s"),  # one row per distinct customer and key
        ("s", "SELECT COUNT(DISTINCT customer_id) FROM s WHERE customer_id > 10"),
        (
            "s",
            "SELECT s.gender, COUNT(DISTINCT customer_id) FROM s JOIN gold.dim_customer AS c "
            "ON c.gender = s.gender GROUP BY s.gender",
        ),
        ("s", "SELECT COUNT(DISTINCT customer_id) FROM s WHERE gender IN (SELECT gender FROM gold.dim_customer)"),
        ("s (customer_id, gender, category)", "SELECT COUNT(DISTINCT customer_id) FROM s"),  # names its columns
    ],
)
@pytest.mark.parametrize("alone", [True, False], ids=["alone", "in-a-union"])
def test_a_distinct_set_read_otherwise_than_by_its_distinct_count_stays_a_set_of_rows(
    cte: str, reader: str, alone: bool
) -> None:
    readers = reader if alone else f"SELECT COUNT(DISTINCT customer_id) FROM s UNION ALL {reader}"
    tsql = f"WITH {cte} AS (SELECT DISTINCT customer_id, gender, category FROM gold.sales) {readers}"
    assert "SELECT DISTINCT customer_id, gender, category FROM gold.sales" in to_duckdb(
        tsql, frozenset({"customer_id"})
    )


def test_a_distinct_set_cut_to_its_first_rows_stays_a_set_of_rows() -> None:
    tsql = (
        "WITH s AS (SELECT DISTINCT TOP 3 customer_id, gender FROM gold.sales ORDER BY customer_id) "
        "SELECT COUNT(DISTINCT customer_id) FROM s"
    )
    assert "BIT_OR" not in to_duckdb(tsql, frozenset({"customer_id"}))


def test_a_lake_in_a_folder_whose_name_has_a_space_is_read_and_checked(tmp_path: Path) -> None:
    lake = write_gold(tmp_path / "my lake")
    assert LocalViews(lake).execute("SELECT COUNT(*) FROM gold.fct_sales") == [(len(SMALL),)]
    assert find_damage(lake) == []  # every data file of the snapshot found where the log says


def test_a_bitmap_count_leaves_out_nulls_and_counts_no_rows_as_zero(tmp_path: Path) -> None:
    lake = write_gold(tmp_path / "lake")
    fct = [{**row, "customer_id": None} if row["sales_order_id"] == FCT[0]["sales_order_id"] else row for row in FCT]
    write_table(lake, "fct_sales", fct)
    views = LocalViews(lake)
    sales = [row for row in fct if row["is_sale"]]
    expected = {
        gender: len({row["customer_id"] for row in sales if row["gender"] == gender} - {None})
        for gender in {row["gender"] for row in sales}
    }
    assert None in {row["customer_id"] for row in sales}
    assert dict(views.execute("SELECT gender, COUNT(DISTINCT customer_id) FROM gold.sales GROUP BY gender")) == expected
    nothing = "SELECT COUNT(DISTINCT customer_id), COUNT(DISTINCT sales_order_id) FROM gold.sales WHERE order_date < ?"
    assert views.execute(nothing, [date(2000, 1, 1)]) == [(0, 0)]
    customers, _ = distinct_counts(KpiFilter())  # the dashboard's customers, every level from one set of bitmaps
    cells = {(row["category"], row["gender"]) for row in sales}
    assert {(level, category, gender): n for _, level, category, gender, n in views.execute(customers.sql)} == {
        **{("cell", c, g): len({r["customer_id"] for r in sales if (r["category"], r["gender"]) == (c, g)} - {None})
           for c, g in cells},
        **{("category", c, None): len({r["customer_id"] for r in sales if r["category"] == c} - {None})
           for c, _ in cells},
        **{("gender", None, g): n for g, n in expected.items()},
        ("total", None, None): len({row["customer_id"] for row in sales} - {None}),
    }  # fmt: skip
