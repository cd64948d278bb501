"""The serving layer on both platforms: the views of `synapse_views/` and the KPI queries over them.

- `LocalViews(lake)`: the views on DuckDB over the local gold Delta tables;
- `SynapseViews(workspace, database)`: the same views on the Synapse serverless endpoint;
- `queries`: the one set of KPI queries (T-SQL) both run;
- `open_source(config)`: the one a `ServingConfig` names.
"""

from insights.serving.config import ServingConfig, open_source
from insights.serving.local import LocalViews, ServingError
from insights.serving.synapse import SynapseViews

__all__ = ["LocalViews", "ServingConfig", "ServingError", "SynapseViews", "open_source"]
