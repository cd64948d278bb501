"""Diagnostic settings Azure accepts: on each resource, only the categories its type documents on Microsoft
Learn's supported-categories pages. Storage services take the metric categories `Transaction` and
`Capacity`; `AllMetrics` there is refused."""

from __future__ import annotations

import re

from infra.offline import Run

# Written from the pages by hand: the metric categories a diagnostic setting may export for each type
# (supported-metrics pages, "DS Export"); Databricks workspaces have no platform metrics, and no metric of
# a Synapse workspace is exportable.
DOCUMENTED_METRICS = {
    "Microsoft.DataFactory/factories": {"AllMetrics"},
    "Microsoft.KeyVault/vaults": {"AllMetrics"},
    "Microsoft.Storage/storageAccounts/blobServices": {"Transaction", "Capacity"},
    "Microsoft.Databricks/workspaces": set(),
    "Microsoft.Synapse/workspaces": set(),
}


def resource_type(resource_id: str) -> str:
    """`Microsoft.Storage/storageAccounts/blobServices` from `/subscriptions/../providers/Microsoft.Storage/
    storageAccounts/<name>/blobServices/default`."""
    provider, rest = re.search(r"/providers/([^/]+)/(.+)$", resource_id).groups()
    return "/".join([provider, *rest.split("/")[::2]])


def test_the_table_holds_what_the_pages_document() -> None:
    from infra.monitoring import DIAGNOSTICS

    assert {t: set(d.metrics) for t, d in DIAGNOSTICS.items()} == DOCUMENTED_METRICS
    for typ, diagnostics in DIAGNOSTICS.items():
        assert diagnostics.logs == ("allLogs",), typ
        assert all(url.startswith("https://learn.microsoft.com/azure/azure-monitor/reference/supported-")
                   for url in diagnostics.sources), typ  # fmt: skip
        if typ.startswith("Microsoft.Storage/"):
            assert "AllMetrics" not in diagnostics.metrics


def test_every_diagnostic_setting_sends_only_its_types_categories(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    settings = run.of_type("azure-native:monitor:DiagnosticSetting")
    types = {resource_type(s.inputs["resourceUri"]): s.inputs for s in settings}
    assert len(types) == len(settings)  # one setting per resource
    assert set(types) == set(DOCUMENTED_METRICS)  # every table row is used, every setting has a row
    for typ, inputs in types.items():
        assert inputs["logs"] == [{"categoryGroup": "allLogs", "enabled": True}], typ
        sent = [m["category"] for m in inputs.get("metrics") or []]
        assert sorted(sent) == sorted(DOCUMENTED_METRICS[typ]), typ
        assert all(m["enabled"] is True for m in inputs.get("metrics") or []), typ


def test_resource_type_reads_nested_ids() -> None:
    lake = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/blobServices/default"
    assert resource_type(lake) == "Microsoft.Storage/storageAccounts/blobServices"
    assert resource_type("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv") == (
        "Microsoft.KeyVault/vaults"
    )
