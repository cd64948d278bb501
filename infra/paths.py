"""Where the program finds the artifacts it deploys (the repository's folders, unchanged)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# Point the program at another checkout of the artifacts (tests use a copy in a temporary folder).
ROOT_ENV = "INSIGHTS_ARTIFACTS_ROOT"


@dataclass(frozen=True)
class ArtifactPaths:
    root: Path

    @classmethod
    def from_env(cls) -> ArtifactPaths:
        return cls(Path(os.environ.get(ROOT_ENV) or REPO_ROOT).resolve())

    @property
    def adf(self) -> Path:
        return self.root / "adf_pipelines"

    @property
    def jobs(self) -> Path:
        return self.root / "databricks_jobs"

    @property
    def views(self) -> Path:
        return self.root / "synapse_views"

    @property
    def wheel_cache(self) -> Path:
        return self.root / "build" / "wheels"
