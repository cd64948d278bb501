"""The gold job: silver changes since the last gold run -> gold, rewriting only what the changes touch.

`control/gold_state` holds, per silver table, the highest `_updated_at` gold has consumed (and the
order-date range). Without it the job builds everything. Otherwise it finds the changed silver rows,
derives the touched order lines (changed lines, lines of changed orders, lines of customers whose gender
moved, lines of products whose name or categories moved), and writes:

1. gold_state marked `writing`: from here until step 6 a crash leaves the mark, and the next run rebuilds
   gold whole (step 2 adjusts the aggregate by differences, which is only right on a consistent gold);
2. agg_daily_sales adjusted by differences: each cell gains the new customer days minus the old ones,
   for every (order date, customer) a touched sale line had or has (one MERGE, `accumulate`);
3. fct_sales upserted for the touched lines (after 2: fct_sales still holds the old versions for step 2);
4. the dimensions upserted for changed keys (after 3: the next run finds moved genders and categories by
   comparing silver with these dimensions);
5. dim_date rebuilt when the order dates reach another calendar year;
6. gold_state with the new marks, `writing` cleared.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from insights_jobs import lake
from insights_jobs.gold import GOLD_TABLES, SOURCES, agg_daily_sales, dim_customer, dim_date, dim_product, fct_sales
from insights_jobs.small_frames import small_frame
from insights_jobs.storage import Storage
from insights_jobs.summary import GoldSummary

STATE_SCHEMA = (
    "silver_table string, consumed_until timestamp, first_order_date date, last_order_date date, "
    "gold_run_id string, written_at timestamp, writing boolean"
)
# The dimension columns fct_sales copies: when one of them moves, the fact lines of that key are touched.
DIMENSIONS = {
    "dim_customer": (dim_customer.KEY, dim_customer.COLUMNS),
    "dim_product": (dim_product.KEY, dim_product.COLUMNS),
}
FACT_INPUTS = {"dim_customer": ("gender",), "dim_product": ("product_name", "category", "subcategory")}


@dataclass(frozen=True)
class Consumed:
    """What a gold run consumed: per silver table the highest `_updated_at`, and the order-date range;
    `writing` while a later run writes gold on top of it (set before its first write, cleared with its
    state): a run that finds it set rebuilds gold whole, as a crash may have left gold half-written."""

    marks: dict[str, datetime | None]
    order_dates: tuple[date | None, date | None]
    writing: bool = field(default=False, compare=False)

    @property
    def years(self) -> tuple[int | None, ...]:
        """The calendar years dim_date spans."""
        return tuple(d.year if d else None for d in self.order_dates)


def _differs(columns: tuple[str, ...]):
    """True where any of `columns` differs between the frames aliased `n` and `o` (NULL-safe)."""
    condition = F.lit(False)
    for c in columns:
        condition = condition | ~F.col(f"n.{c}").eqNullSafe(F.col(f"o.{c}"))
    return condition


def dimension_changes(
    new: DataFrame, old: DataFrame, key: tuple[str, ...], columns: tuple[str, ...], fact_inputs: tuple[str, ...]
) -> DataFrame:
    """Rows of `new` missing from `old` or different in `columns`; `_moved` when a column the fact copies differs."""
    old = old.join(F.broadcast(new.select(*key)), list(key), "left_semi")  # only the keys that may have changed
    joined = new.alias("n").join(old.alias("o"), [F.col(f"n.{k}") == F.col(f"o.{k}") for k in key], "left")
    return joined.filter(_differs(columns)).select(
        *[F.col(f"n.{c}") for c in columns], _differs(fact_inputs).alias("_moved")
    )


def _since(column: str, mark: datetime | None):
    return F.lit(True) if mark is None else F.col(column) > F.lit(mark)


def touched_lines(
    details: DataFrame,
    headers: DataFrame,
    details_since: datetime | None,
    headers_since: datetime | None,
    moved_customers: DataFrame | None = None,
    moved_products: DataFrame | None = None,
) -> DataFrame:
    """The silver order lines whose fct_sales row may change: lines changed since `details_since`, lines of
    orders changed since `headers_since`, lines of customers whose gender moved, of products that moved."""
    orders = headers.select("sales_order_id", "customer_id", _since("_updated_at", headers_since).alias("_order"))
    if moved_customers is not None:
        moved = moved_customers.select("customer_id", F.lit(True).alias("_moved"))
        orders = orders.join(F.broadcast(moved), "customer_id", "left")
        orders = orders.withColumn("_order", F.col("_order") | F.col("_moved").isNotNull())
    changed_orders = orders.filter("_order").select("sales_order_id", F.lit(True).alias("_changed_order"))
    # the changed orders are few, and only their ids travel: broadcast them
    lines = details.join(F.broadcast(changed_orders), "sales_order_id", "left")
    touched = _since("_updated_at", details_since) | F.col("_changed_order").isNotNull()
    if moved_products is not None:
        products = moved_products.select("product_id", F.lit(True).alias("_moved_product"))
        lines = lines.join(F.broadcast(products), "product_id", "left")
        touched = touched | F.col("_moved_product").isNotNull()
    return lines.filter(touched).select(*details.columns)


def dates_predicate(dates: list[date]) -> str:
    """SQL predicate selecting the given order dates: one literal list, not one py4j call per date."""
    return "order_date IN (" + ", ".join(f"DATE '{d.isoformat()}'" for d in sorted(dates)) + ")"


class GoldJob:
    """One gold run: full build without a state, otherwise only what the silver changes touch."""

    def __init__(self, spark: SparkSession, storage: Storage, root: str, run_id: str,
                 started_at: datetime | None = None, log: Callable[[str], None] = print) -> None:  # fmt: skip
        self.spark, self.storage, self.root, self.run_id, self.log = spark, storage, root, run_id, log
        self.started_at = started_at or datetime.now(UTC)
        self.summary = GoldSummary(run_id)
        self.cached: list[DataFrame] = []  # frames an incremental run reads more than once

    def path(self, table: str) -> str:
        return lake.gold(self.root, table)

    def run(self) -> GoldSummary:
        start = time.perf_counter()
        missing = [t for t in SOURCES if not self.storage.exists(lake.silver(self.root, t))]
        if missing:
            self.log(f"  silver has no {', '.join(missing)} yet: nothing to build")
            self.summary.mode = "skipped"
            return self.summary
        silver = {t: self.storage.read(lake.silver(self.root, t)) for t in SOURCES}
        now = self._consumed(silver)
        before = self._state()
        complete = all(self.storage.exists(self.path(t)) for t in GOLD_TABLES)
        rebuild = before is None or before.writing or not complete
        if rebuild or now != before:
            if before is not None and not before.writing:
                self._write_state(before, writing=True)
            if rebuild:
                self.summary.mode = "full"
                self._full(silver, now)
            else:
                self._incremental(silver, before, now)
            self._write_state(now)
        self.summary.seconds = time.perf_counter() - start
        return self.summary

    # ------------------------------------------------------------------------------------------ state
    def _consumed(self, silver: dict[str, DataFrame]) -> Consumed:
        """Highest `_updated_at` per silver table and the order-date range of this run's snapshot (one query)."""
        no_date = F.lit(None).cast("date")
        rows = functools.reduce(
            DataFrame.unionByName,
            [
                df.select(
                    F.lit(t).alias("t"),
                    "_updated_at",
                    (F.to_date("order_date") if t == "sales_order_header" else no_date).alias("order_date"),
                )
                for t, df in silver.items()
            ],
        )
        found = rows.groupBy("t").agg(
            F.max("_updated_at").alias("mark"), F.min("order_date").alias("first"), F.max("order_date").alias("last")
        )
        by_table = {row.t: row for row in found.collect()}  # an empty table has no row: no mark, no dates
        header = by_table.get("sales_order_header")
        return Consumed(
            {t: by_table[t].mark if t in by_table else None for t in SOURCES},
            (header.first, header.last) if header else (None, None),
        )

    def _state(self) -> Consumed | None:
        path = lake.gold_state(self.root)
        if not self.storage.exists(path):
            return None
        rows = {row.silver_table: row for row in self.storage.read(path).collect()}
        header = rows.get("sales_order_header")
        dates = (header.first_order_date, header.last_order_date) if header else (None, None)
        writing = any(row.asDict().get("writing") for row in rows.values())  # (a state older than the column: no)
        return Consumed({t: rows[t].consumed_until if t in rows else None for t in SOURCES}, dates, writing)

    def _write_state(self, consumed: Consumed, writing: bool = False) -> None:
        first, last = consumed.order_dates
        rows = [
            (t, consumed.marks[t], *((first, last) if t == "sales_order_header" else (None, None)),
             self.run_id, self.started_at, writing)
            for t in SOURCES
        ]  # fmt: skip
        self.storage.overwrite(lake.gold_state(self.root), small_frame(self.spark, rows, STATE_SCHEMA))

    # ----------------------------------------------------------------------------------------- builds
    def _write(self, table: str, rows: int) -> None:
        self.summary.written[table] = self.summary.written.get(table, 0) + rows

    def _rebuild_dim_date(self, consumed: Consumed) -> None:
        """dim_date over the years of the order dates the marks query found (no second scan of the orders)."""
        bounds = small_frame(self.spark, [(d,) for d in consumed.order_dates], "order_date date")
        self._write("dim_date", self.storage.overwrite(self.path("dim_date"), dim_date.dim_date(bounds)))

    def _full(self, silver: dict[str, DataFrame], now: Consumed) -> None:
        customers = dim_customer.dim_customer(silver["customer"])
        products = dim_product.dim_product(silver["product"], silver["product_category"])
        fct = fct_sales.fct_sales(
            silver["sales_order_detail"], silver["sales_order_header"], customers, products, self.started_at
        ).cache()
        try:
            self._write("fct_sales", self.storage.overwrite(self.path("fct_sales"), fct))
            self.summary.touched_lines = self.summary.written["fct_sales"]
            agg = agg_daily_sales.agg_daily_sales(fct)
            self._write("agg_daily_sales", self.storage.overwrite(self.path("agg_daily_sales"), agg))
        finally:
            fct.unpersist()
        self._write("dim_customer", self.storage.overwrite(self.path("dim_customer"), customers))
        self._write("dim_product", self.storage.overwrite(self.path("dim_product"), products))
        self._rebuild_dim_date(now)

    def _incremental(self, silver: dict[str, DataFrame], before: Consumed, now: Consumed) -> None:
        """Rewrite what the silver changes since `before` touch, in the crash-safe order of the module doc."""
        marks = before.marks
        details, headers = silver["sales_order_detail"], silver["sales_order_header"]
        products = dim_product.dim_product(silver["product"], silver["product_category"])

        def changes(table: str, new: DataFrame, *sources: str) -> DataFrame | None:
            if all(marks[t] == now.marks[t] for t in sources):
                return None  # its silver tables did not change: neither did the dimension
            keys, columns = DIMENSIONS[table]
            old = self.storage.read(self.path(table))
            return self._keep(dimension_changes(new, old, keys, columns, FACT_INPUTS[table]))

        try:
            customers_since = silver["customer"].filter(_since("_updated_at", marks["customer"]))
            dims = {
                "dim_customer": changes("dim_customer", dim_customer.dim_customer(customers_since), "customer"),
                "dim_product": changes("dim_product", products, "product", "product_category"),
            }
            moved = {t: None if df is None else df.filter("_moved") for t, df in dims.items()}
            touched = self._keep(
                touched_lines(
                    details, headers, marks["sales_order_detail"], marks["sales_order_header"],
                    moved["dim_customer"], moved["dim_product"],
                )
            )  # fmt: skip
            # the count also fills the cache first, so the joins below plan with its real size and broadcast it
            self.summary.touched_lines = touched.count()
            if self.summary.touched_lines:
                # semi joins take the (small, repeated) keys as they are: no distinct, no extra shuffle
                orders = self._keep(headers.join(touched.select("sales_order_id"), "sales_order_id", "left_semi"))
                customers = dim_customer.dim_customer(silver["customer"]).join(
                    orders.select("customer_id"), "customer_id", "left_semi"
                )
                new_fct = self._keep(fct_sales.fct_sales(touched, orders, customers, products, self.started_at))
                self._rewrite_facts(touched, new_fct)
            for table, rows in dims.items():
                if rows is not None:
                    keys, columns = DIMENSIONS[table]
                    self._write(table, self.storage.upsert(self.path(table), rows.select(*columns), list(keys)))
        finally:
            for df in self.cached:
                df.unpersist()
        if now.years != before.years:
            self._rebuild_dim_date(now)

    def _keep(self, df: DataFrame) -> DataFrame:
        self.cached.append(df.cache())
        return self.cached[-1]

    def _rewrite_facts(self, touched: DataFrame, new_fct: DataFrame) -> None:
        """agg_daily_sales adjusted by the customer days the touched lines had and have, then the touched
        fct_sales lines."""
        key = list(fct_sales.KEY)
        touched_keys = touched.select(*key)
        old_fct = self.storage.read(self.path("fct_sales"))
        sales = old_fct.join(touched_keys, key, "left_semi").unionByName(new_fct).filter("is_sale")
        days = self._keep(sales.select("order_date", "customer_id").distinct())
        dates = [row.order_date for row in days.select("order_date").distinct().collect()]
        self.summary.touched_dates = len(dates)
        if dates:
            # the dates filter first: it is cheaper than the join's lookup, and prunes most lines on a usual day
            # (a silver order always has a customer: a NULL customer_id breaks the unknown_customer rule)
            same_days = old_fct.filter(dates_predicate(dates)).join(
                F.broadcast(days), ["order_date", "customer_id"], "left_semi"
            )
            # each line of those customer days as it was (-1) and, unless touched, as it stays (+1): one scan
            same_days = same_days.join(F.broadcast(touched_keys.withColumn("_touched", F.lit(True))), key, "left")
            signs = F.when(F.col("_touched"), F.array(F.lit(-1))).otherwise(F.array(F.lit(-1), F.lit(1)))
            signed = same_days.withColumn("_sign", F.explode(signs)).drop("_touched")
            changes = agg_daily_sales.differences(signed.unionByName(new_fct.withColumn("_sign", F.lit(1))))
            table, measures = self.path("agg_daily_sales"), list(agg_daily_sales.MEASURES)
            self._write(
                "agg_daily_sales", self.storage.accumulate(table, changes, agg_daily_sales.KEY, measures, "order_lines")
            )
        self._write("fct_sales", self.storage.upsert(self.path("fct_sales"), new_fct, key))


def run_gold(spark: SparkSession, storage: Storage, root: str, run_id: str, *,
             started_at: datetime | None = None, log: Callable[[str], None] = print) -> GoldSummary:  # fmt: skip
    """Silver changes since the last gold run -> gold."""
    return GoldJob(spark, storage, root, run_id, started_at, log).run()
