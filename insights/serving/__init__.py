"""The serving layer on both platforms: the views of `synapse_views/` and the KPI queries over them.

- `local.LocalViews(lake)`: the views on DuckDB over the local gold Delta tables;
- `synapse.SynapseViews(workspace, database)`: the same views on the Synapse serverless endpoint;
- `queries`: the one set of KPI queries (T-SQL) both run;
- `config.open_source(config)`: the one a `ServingConfig` names.

The package itself imports nothing: a kept KPI summary (`kpis`) needs neither DuckDB nor sqlglot.
"""
