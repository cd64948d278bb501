"""The Power BI project under `powerbi/`, and the serving views' real columns from DuckDB."""

from __future__ import annotations

import pytest

from insights.serving.local import LocalViews
from tests.support.gold import write_gold

# The same catalog query answers on Synapse serverless and on the local views.
VIEW_COLUMNS_SQL = (
    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS "
    "WHERE TABLE_SCHEMA = 'gold' ORDER BY TABLE_NAME, ORDINAL_POSITION"
)


@pytest.fixture(scope="session")
def view_columns(tmp_path_factory) -> dict[str, dict[str, str]]:
    """`{view: {column: DuckDB type}}` of the `gold` views, as DuckDB runs `synapse_views/` over gold Delta tables."""
    lake = write_gold(tmp_path_factory.mktemp("powerbi") / "lake")
    views = LocalViews(lake)
    try:
        rows = views.execute(VIEW_COLUMNS_SQL)
    finally:
        views.close()
    columns: dict[str, dict[str, str]] = {}
    for view, column, data_type in rows:
        columns.setdefault(view, {})[column] = data_type
    return columns
