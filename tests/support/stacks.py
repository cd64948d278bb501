"""Stacks for the Pulumi program's and the operator commands' tests: the secrets the mocks get, a snapshot
of the artifacts the program deploys, and stack files written from the committed ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.support.paths import REPO_ROOT

# A password with the characters that break naive quoting, to show it only travels as a secret.
SOURCE_PASSWORD = "Src-Pa55'word;--"
SECRETS = {"sourcePassword": SOURCE_PASSWORD}
# As `pulumi config set --secret` stores a value: only the Pulumi CLI can read it.
ENCRYPTED = {"secure": "v1:c2VjcmV0:ZW5jcnlwdGVk"}
ARTIFACT_FOLDERS = ("adf_pipelines", "databricks_jobs", "synapse_views")


def snapshot_artifacts(target: Path, synapse_views: Path | None = None) -> Path:
    """Copy the artifacts the program deploys into `target` (caches and build output left out), so that
    edits made elsewhere while the tests run cannot make two runs differ."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")
    for folder in ARTIFACT_FOLDERS:
        source = REPO_ROOT / folder
        if folder == "synapse_views" and synapse_views is not None:
            source = synapse_views
        if source.is_dir():
            shutil.copytree(source, target / folder, ignore=ignore)
    return target


def write_stack(root: Path, stack: str, edit=None, like: str = "dev") -> Path:
    """`Pulumi.<stack>.yaml` in `root`: a copy of the repository's `Pulumi.<like>.yaml`, edited by `edit`."""
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{like}.yaml").read_text(encoding="utf-8"))
    if edit:
        edit(document["config"])
    path = root / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path
