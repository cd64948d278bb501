"""The Synapse serverless source, tested at its seam (Azure is not reachable from here): the connection
it opens (endpoint, database, encryption, the Entra token) and the SQL it sends, which is the very T-SQL
the local views run. A fake driver connection hands each query to the local DuckDB views, so the whole
KPI document and dashboard state computed "through Synapse" can be compared with the local ones."""

from __future__ import annotations

import struct
import time
from datetime import date
from pathlib import Path

import pytest

from dashboard.data import state
from insights.serving.config import ServingConfig, open_source
from insights.serving.kpis import KpiError, KpiFilter, compute_kpis, kpi_document
from insights.serving.local import LocalViews, ServingError
from insights.serving.synapse import SynapseViews, connection_string, endpoint

WORKSPACE = "syn-cip-dev-k3x9q"
SERVER = "syn-cip-dev-k3x9q-ondemand.sql.azuresynapse.net"


class Token:
    def __init__(self, token: str, expires_on: float):
        self.token, self.expires_on = token, expires_on


class Credential:
    """Stands in for azure-identity's DefaultAzureCredential."""

    def __init__(self, lifetime: float = 3600):
        self.scopes: list[str] = []
        self.lifetime = lifetime

    def get_token(self, scope: str) -> Token:
        self.scopes.append(scope)
        return Token(f"eyJ.token{len(self.scopes)}", time.time() + self.lifetime)


class Driver:
    """Stands in for mssql_python.connect: records each connection and runs its SQL on `backend`."""

    def __init__(self, backend: LocalViews | None = None):
        self.backend = backend
        self.connections: list[dict] = []
        self.sent: list[tuple[str, tuple]] = []

    def __call__(self, connection_str: str, **kwargs):
        record = {"connection_str": connection_str, "kwargs": kwargs, "closed": False}
        self.connections.append(record)
        driver = self

        class Cursor:
            def __init__(self):
                self.rows: list[tuple] = []

            def execute(self, sql: str, params: tuple = ()) -> None:
                driver.sent.append((sql, params))
                self.rows = driver.backend.execute(sql, params) if driver.backend else []

            def fetchall(self) -> list[tuple]:
                return self.rows

        class Connection:
            def cursor(self):
                return Cursor()

            def close(self):
                record["closed"] = True

        return Connection()


def expected_token(token: str) -> bytes:
    raw = token.encode("utf-16-le")
    return struct.pack("<I", len(raw)) + raw


def test_it_connects_to_the_workspace_serverless_endpoint_with_an_entra_token() -> None:
    driver, credential = Driver(), Credential()
    synapse = SynapseViews(WORKSPACE, "insights", credential=credential, connect=driver)
    assert synapse.execute("SELECT 1 AS one") == []
    [connection] = driver.connections
    assert connection["connection_str"] == (
        f"Server=tcp:{SERVER},1433;Database={{insights}};Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30;"
    )
    assert connection["kwargs"] == {"attrs_before": {1256: expected_token("eyJ.token1")}}
    assert connection["closed"]
    assert credential.scopes == ["https://database.windows.net/.default"]
    assert synapse.label == f"Synapse serverless {SERVER}/insights"


def test_the_token_is_reused_until_five_minutes_before_it_expires() -> None:
    credential = Credential(lifetime=3600)
    synapse = SynapseViews(WORKSPACE, "insights", credential=credential, connect=Driver())
    synapse.execute("SELECT 1 AS one")
    synapse.execute("SELECT 1 AS one")
    assert len(credential.scopes) == 1
    short = Credential(lifetime=120)
    synapse = SynapseViews(WORKSPACE, "insights", credential=short, connect=Driver())
    synapse.execute("SELECT 1 AS one")
    synapse.execute("SELECT 1 AS one")
    assert len(short.scopes) == 2


def test_workspace_and_database_cannot_inject_into_the_connection() -> None:
    assert endpoint("syn-a1") == "syn-a1-ondemand.sql.azuresynapse.net"
    for bad in ("", "Upper", "a;b", "x.evil.com", "-lead", "a" * 51):
        with pytest.raises(ServingError, match="is not a Synapse workspace name"):
            endpoint(bad)
    assert "Database={ins}};Encrypt=no}" in connection_string(SERVER, "ins};Encrypt=no")


def test_errors_name_the_endpoint() -> None:
    def refuse(*args, **kwargs):
        raise RuntimeError("login failed for token-identified principal")

    synapse = SynapseViews(WORKSPACE, "insights", credential=Credential(), connect=refuse)
    with pytest.raises(ServingError, match=f"cannot connect to {SERVER} \\(database insights\\): login failed"):
        synapse.execute("SELECT 1 AS one")


class RecordingViews(LocalViews):
    def __init__(self, lake: Path):
        super().__init__(lake)
        self.received: list[tuple[str, tuple]] = []

    def execute(self, tsql, params=()):
        self.received.append((tsql, tuple(params)))
        return super().execute(tsql, params)


FILTERS = [
    KpiFilter(),
    KpiFilter(start=date(2024, 1, 3), categories=("Bikes",)),
    KpiFilter(
        start=date(2024, 1, 1),
        end=date(2024, 2, 29),
        categories=("Clothing", "Accessories"),
        genders=("Female", "Unknown"),
    ),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_synapse_and_local_run_the_same_tsql_and_get_the_same_numbers(gold_lake: Path, filters: KpiFilter) -> None:
    local = RecordingViews(gold_lake)
    driver = Driver(backend=LocalViews(gold_lake))
    synapse = SynapseViews(WORKSPACE, "insights", credential=Credential(), connect=driver)

    through_synapse = state(synapse, filters, "week")
    through_local = state(local, filters, "week")

    assert sorted(driver.sent, key=repr) == sorted(local.received, key=repr)  # same T-SQL, same parameters
    assert through_synapse == through_local
    assert through_synapse.kpis == compute_kpis(gold_lake, filters)
    assert kpi_document(synapse, filters) == kpi_document(local, filters)


def test_the_sql_sent_is_tsql_with_qmark_parameters_and_no_values_inlined(gold_lake: Path) -> None:
    driver = Driver(backend=LocalViews(gold_lake))
    synapse = SynapseViews(WORKSPACE, "insights", credential=Credential(), connect=driver)
    filters = KpiFilter(start=date(2024, 1, 1), categories=("Bikes",), genders=("Male", "Female"))
    state(synapse, filters, "month")
    sent = dict(driver.sent)
    assert len(sent) == len(driver.sent) == 5
    where = "WHERE order_date >= ? AND category IN (?) AND gender IN (?, ?)"
    values = (date(2024, 1, 1), "Bikes", "Male", "Female")
    assert sent["SELECT DISTINCT category FROM gold.dim_product ORDER BY category"] == ()
    no_text = "CAST(NULL AS VARCHAR(100))"
    customers = (
        f"WITH triples AS (SELECT DISTINCT customer_id, gender, category FROM gold.sales {where}) "
        "SELECT 'customers' AS measure, 'cell' AS level, category, gender, COUNT(DISTINCT customer_id) AS n "
        "FROM triples GROUP BY category, gender UNION ALL "
        f"SELECT 'customers', 'category', category, {no_text}, COUNT(DISTINCT customer_id) FROM triples "
        "GROUP BY category UNION ALL "
        f"SELECT 'customers', 'gender', {no_text}, gender, COUNT(DISTINCT customer_id) FROM triples "
        "GROUP BY gender UNION ALL "
        f"SELECT 'customers', 'total', {no_text}, {no_text}, COUNT(DISTINCT customer_id) FROM triples"
    )
    orders = (
        f"SELECT 'orders' AS measure, 'total' AS level, {no_text} AS category, {no_text} AS gender, "
        f"COUNT(DISTINCT sales_order_id) AS n FROM gold.sales {where}"
    )
    assert sent[customers] == values and sent[orders] == values
    [sums] = [sql for sql in sent if sql.startswith("WITH cells AS")]
    assert sums.count(f"FROM gold.agg_daily_sales {where}") == 1 and sent[sums] == values
    trend = (
        "SELECT month_start AS period, gender, SUM(products_sold) AS products_sold, SUM(revenue) AS revenue "
        f"FROM gold.agg_daily_sales {where} GROUP BY month_start, gender ORDER BY period, gender"
    )
    assert sent[trend] == values
    assert all("Bikes" not in sql and "2024" not in sql for sql in sent)


def test_a_hostile_category_is_a_parameter_and_an_unknown_category(gold_lake: Path) -> None:
    driver = Driver(backend=LocalViews(gold_lake))
    synapse = SynapseViews(WORKSPACE, "insights", credential=Credential(), connect=driver)
    hostile = "Bikes') OR 1=1 --"
    with pytest.raises(KpiError, match="unknown category"):
        kpi_document(synapse, KpiFilter(categories=(hostile,)))
    assert all(hostile not in sql for sql, _ in driver.sent)
    assert any(hostile in params for _, params in driver.sent)


def test_the_serving_source_is_chosen_by_config(tmp_path: Path) -> None:
    env = {"INSIGHTS_SERVING": "synapse", "INSIGHTS_SYNAPSE_WORKSPACE": WORKSPACE, "INSIGHTS_SYNAPSE_DATABASE": "kpis"}
    config = ServingConfig.from_env(env)
    assert (config.kind, config.workspace, config.database) == ("synapse", WORKSPACE, "kpis")
    source = open_source(config)
    assert isinstance(source, SynapseViews) and source.server == SERVER and source.database == "kpis"

    local = ServingConfig.from_env({"INSIGHTS_LAKE": str(tmp_path)}, kind=None)
    assert local.kind == "local" and local.lake == tmp_path
    assert isinstance(open_source(local), LocalViews)
    assert ServingConfig.from_env(env, kind="local").kind == "local"  # an option wins over the environment
    with pytest.raises(ServingError, match="needs a workspace"):
        ServingConfig.from_env({"INSIGHTS_SERVING": "synapse"})
    with pytest.raises(ServingError, match="must be one of local, synapse"):
        ServingConfig(kind="fabric")
