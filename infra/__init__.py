"""The Pulumi program of the Customer Insights Platform (run by `pulumi up` from the repository root).

`__main__.py` wires the components; each concern has its module: settings, naming, lake, vault,
databricks (+ wheel), factory (+ adf_artifacts), synapse (+ synapse_sql), access, monitoring.
`offline.py` runs the program under Pulumi's mocks (tests, reviews without cloud access); `wire.py` checks
every input key against the provider SDKs' types. See docs/infra.md.
"""
