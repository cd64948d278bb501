"""Which serving views the dashboard reads: local DuckDB over a lake folder, or Synapse serverless.

Chosen by options (`insights dashboard --serving synapse --workspace W --database D`) or by environment
variables, so a deployed dashboard is configured without code:

    INSIGHTS_SERVING=local|synapse   (default local)
    INSIGHTS_LAKE=<lake folder>      (local; default data/lake)
    INSIGHTS_SYNAPSE_WORKSPACE=<workspace name>, INSIGHTS_SYNAPSE_DATABASE=<database> (default insights)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from insights.serving.local import LocalViews, ServingError
from insights.serving.queries import ServingSource
from insights.serving.synapse import SynapseViews

KINDS = ("local", "synapse")


@dataclass(frozen=True)
class ServingConfig:
    kind: str = "local"
    lake: Path = Path("data/lake")
    workspace: str | None = None
    database: str = "insights"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ServingError(f"serving source must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "synapse" and not self.workspace:
            raise ServingError(
                "the synapse serving source needs a workspace (--workspace or INSIGHTS_SYNAPSE_WORKSPACE)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> ServingConfig:
        """From INSIGHTS_* variables; explicit (non-None) overrides win."""
        env = os.environ if env is None else env
        values: dict[str, object] = {
            "kind": env.get("INSIGHTS_SERVING", "local"),
            "lake": Path(env.get("INSIGHTS_LAKE", "data/lake")),
            "workspace": env.get("INSIGHTS_SYNAPSE_WORKSPACE") or None,
            "database": env.get("INSIGHTS_SYNAPSE_DATABASE", "insights"),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]


def open_source(config: ServingConfig) -> ServingSource:
    if config.kind == "synapse":
        return SynapseViews(str(config.workspace), config.database)
    return LocalViews(config.lake)
