"""The first deploy creates the serving views before any gold Delta folder exists: a view serverless cannot bind
yet waits (`pending`) instead of failing the deploy, and `insights deploy` creates it once the pipeline has written
gold (tests/ops/test_prerequisites.py). The connection is a fake that answers as serverless does for a folder it
cannot list (the real thing is the Synapse endpoint)."""

from __future__ import annotations

import pytest

from infra import synapse_sql
from infra.synapse_sql import SynapseSqlProvider
from synapse_views import load_scripts
from tests.infra.test_synapse_sql import FIXTURE_VIEWS, props

# Serverless's answer for a Delta folder that holds nothing yet (Microsoft Learn, "Troubleshoot serverless SQL pool").
MISSING = (
    "Content of directory on path 'https://lake.dfs.core.windows.net/gold/fct_sales/_delta_log/*.*' cannot be listed."
)


class Connection:
    def __init__(self, missing: set[str], error: str = MISSING) -> None:
        self.missing, self.error, self.sent = missing, error, []

    def cursor(self):
        return self

    def execute(self, statement: str) -> None:
        if any(f"VIEW {view}" in statement for view in self.missing):
            raise RuntimeError(self.error)
        self.sent.append(statement)

    def close(self) -> None:
        pass


def test_a_view_over_a_missing_gold_folder_waits_and_the_rest_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = Connection({"[gold].[fct_sales]"})
    monkeypatch.setattr(synapse_sql, "open_connection", lambda server, database: connection)
    result = SynapseSqlProvider().create(props(load_scripts(FIXTURE_VIEWS)))
    assert result.outs["pending"] == ["[gold].[fct_sales]"]
    assert any("VIEW gold.dim_customer" in statement for statement in connection.sent)
    assert result.outs["views"] == ["[gold].[fct_sales]", "gold.dim_customer"]  # every view, as written
    # while a view waits, the resource shows a change, so the next `pulumi up` applies the scripts again
    unchanged = props(load_scripts(FIXTURE_VIEWS))
    assert SynapseSqlProvider().diff("id", result.outs, unchanged).changes is True
    assert SynapseSqlProvider().diff("id", {**result.outs, "pending": []}, unchanged).changes is False


def test_any_other_error_of_a_view_still_fails_the_deploy(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = Connection({"[gold].[fct_sales]"}, error="Incorrect syntax near 'SELCT'.")
    monkeypatch.setattr(synapse_sql, "open_connection", lambda server, database: connection)
    with pytest.raises(RuntimeError, match="Incorrect syntax"):
        SynapseSqlProvider().create(props(load_scripts(FIXTURE_VIEWS)))
