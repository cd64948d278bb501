"""The KPIs of DESIGN.md for one filter, read through the serving views (`synapse_views/`).

One definition: a sale is a line of an order whose status is not 4 or 6 (the view `gold.sales`);
products sold = sum of quantities; revenue = exact sum of line totals, rounded half-up only for display
(both summed from the daily sums of those lines, `gold.agg_daily_sales`); orders and customers are
distinct counts over the whole filter's lines, never sums of daily figures. The queries are
`insights.serving.queries`, the same T-SQL the dashboard sends to DuckDB or Synapse serverless.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib.metadata import version
from pathlib import Path

import synapse_views
from insights.local.atomic import write_atomically
from insights.serving import queries
from insights.serving.queries import ServingSource
from insights.serving.versions import gold_versions
from insights_jobs import plain_delta

GENDERS = ("Female", "Male", "Unknown")
ENGINES = ("duckdb", "sqlglot", "deltalake", "pyarrow")  # a kept document is only as current as these
KEPT_DOCUMENTS = Path("control") / "kpis.json"


class KpiError(ValueError):
    """A filter or lake the KPIs cannot be computed for."""


@dataclass(frozen=True)
class KpiFilter:
    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    genders: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        unknown = [g for g in self.genders if g not in GENDERS]
        if unknown:
            raise KpiError(f"unknown gender(s) {', '.join(unknown)}: use {', '.join(GENDERS)}")
        if self.start and self.end and self.start > self.end:
            raise KpiError(f"start {self.start} is after end {self.end}")

    def as_json(self) -> dict:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "categories": list(self.categories),
            "genders": list(self.genders),
        }


def money(value: Decimal | None) -> str:
    """Revenue for display: rounded half-up to cents from the exact sum."""
    return str((value or Decimal(0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Figures:
    """What the KPI queries return for one filter: sums and distinct counts at every level.

    Levels: `total`, `gender`, `category` and `cell` (category x gender); a group without sales is absent.
    """

    sums: dict[tuple[str, str | None, str | None], tuple[int, Decimal]]
    counts: dict[tuple[str, str, str | None, str | None], int]

    @classmethod
    def from_rows(cls, sum_rows: list[tuple], count_rows: list[tuple]) -> Figures:
        """From the rows of `queries.sums` and `queries.distinct_counts`."""
        return cls(
            sums={(level, c, g): (int(sold or 0), revenue) for level, c, g, sold, revenue in sum_rows},
            counts={(measure, level, c, g): int(n or 0) for measure, level, c, g, n in count_rows},
        )

    def products_sold(self, level: str = "total", category: str | None = None, gender: str | None = None) -> int:
        return self.sums.get((level, category, gender), (0, None))[0]

    def revenue(self, level: str = "total", category: str | None = None, gender: str | None = None):
        return self.sums.get((level, category, gender), (0, None))[1]

    def customers(self, level: str = "total", category: str | None = None, gender: str | None = None) -> int:
        return self.counts.get(("customers", level, category, gender), 0)

    @property
    def orders(self) -> int:
        return self.counts.get(("orders", "total", None, None), 0)


def check_categories(filters: KpiFilter, known: list[str]) -> None:
    unknown = [c for c in filters.categories if c not in known]
    if unknown:
        raise KpiError(
            f"unknown categor{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}: use {', '.join(known)}"
        )


def document(filters: KpiFilter, known: list[str], figures: Figures) -> dict:
    """The KPI document (the JSON of `insights kpis --json`) from the figures of one filter."""
    check_categories(filters, known)
    return {
        "filters": filters.as_json(),
        "products_sold": figures.products_sold(),
        "revenue": money(figures.revenue()),
        "orders": figures.orders,
        "customers": figures.customers(),
        "customers_by_gender": {g: figures.customers("gender", gender=g) for g in GENDERS},
        "revenue_by_gender": {g: money(figures.revenue("gender", gender=g)) for g in GENDERS},
        "products_sold_by_gender": {g: figures.products_sold("gender", gender=g) for g in GENDERS},
        "by_category": [
            {
                "category": c,
                "products_sold": figures.products_sold("category", category=c),
                "revenue": money(figures.revenue("category", category=c)),
                "customers": figures.customers("category", category=c),
            }
            for c in sorted(filters.categories or known)
        ],
    }


def kpi_document(source: ServingSource, filters: KpiFilter) -> dict:
    """The KPI document for one filter, from the serving views of `source` (local DuckDB or Synapse)."""
    known, sum_rows, customer_rows, order_rows = queries.run_all(
        source, [queries.categories(), queries.sums(filters), *queries.distinct_counts(filters)]
    )
    return document(filters, [row[0] for row in known], Figures.from_rows(sum_rows, customer_rows + order_rows))


def compute_kpis(lake: Path, filters: KpiFilter) -> dict:
    """The KPI document of `insights kpis --json` for one filter, through the views on the local gold.

    The documents of the current gold are kept in `<lake>/control/kpis.json` with the id and version of
    each gold table and a digest of the views, the code that reads them and the engines' versions
    (`_code_digest`): until either changes, a filter asked again (the summary of a rerun with nothing to
    extract) is answered from there, without loading gold into DuckDB or even parsing the views.
    """
    basis = {"tables": gold_versions(lake), "code": _code_digest()}
    kept = _kept_documents(lake, basis)
    key = json.dumps(filters.as_json(), sort_keys=True)
    if key not in kept:
        document = _computed(lake, filters)
        if gold_versions(lake) != basis["tables"]:
            return document  # gold changed while it loaded: keep nothing
        kept[key] = document
        _keep_documents(lake, basis, kept)
    return kept[key]


def _computed(lake: Path, filters: KpiFilter) -> dict:
    from insights.serving.local import LocalViews, ServingError  # DuckDB and sqlglot: only to compute

    try:
        source = LocalViews(lake, prepare=False, refresh_seconds=math.inf)  # one snapshot, each view read once
        try:
            return kpi_document(source, filters)
        finally:
            source.close()
    except ServingError as error:
        raise KpiError(str(error)) from None


def _kept_documents(lake: Path, basis: dict) -> dict[str, dict]:
    """The kept documents by filter, if they were computed from this basis (otherwise none)."""
    try:
        kept = json.loads((lake / KEPT_DOCUMENTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or unreadable: computed again and rewritten
    if not isinstance(kept, dict) or kept.get("basis") != basis or not isinstance(kept.get("documents"), dict):
        return {}
    return kept["documents"]


@functools.cache
def _code_digest() -> str:
    """What a document depends on besides gold: the view files, the code that reads them (this package,
    `synapse_views`, the Delta reader) and the engines' versions."""
    digest = hashlib.sha256()
    views = sorted((synapse_views.ROOT / "views").glob("*.sql"))
    code = [*sorted(Path(__file__).parent.glob("*.py")), *sorted(synapse_views.ROOT.glob("*.py"))]
    for path in [*views, *code, Path(plain_delta.__file__)]:
        digest.update(path.read_bytes())
    digest.update(" ".join(version(name) for name in ENGINES).encode())
    return digest.hexdigest()


def _keep_documents(lake: Path, basis: dict, documents: dict[str, dict]) -> None:
    text = json.dumps({"basis": basis, "documents": documents}, indent=1)
    with suppress(OSError):  # a lake this user cannot write to: the next call computes the document again
        write_atomically(lake / KEPT_DOCUMENTS, lambda path: path.write_text(text, encoding="utf-8"))
