"""The Pulumi program of the Customer Insights Platform (run by `pulumi up` from the repository root).

`__main__.py` wires the components; each concern has its module: settings, naming, lake, vault,
databricks (+ wheel), factory (+ adf_artifacts), synapse (+ synapse_sql), access, monitoring.
`triggers.py` is the deploy step that stops and starts the factory's triggers; `offline.py` runs the
program under Pulumi's mocks (tests, reviews without cloud access). See docs/infra.md.
"""
