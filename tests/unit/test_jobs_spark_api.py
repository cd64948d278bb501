"""The jobs wheel runs on the Databricks runtime's Spark 3.5 (`sparkVersion: 15.4.x` in the stack files) and is
tested here on PySpark 4: no call in `insights_jobs` may name a PySpark API that PySpark's own docstrings say
arrived after 3.5 (`.. versionadded:: 4.0.0`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyspark
import yaml

from tests.support.paths import REPO_ROOT

JOBS = REPO_ROOT / "databricks_jobs" / "src" / "insights_jobs"
RUNTIME_SPARK = {"15.4": (3, 5)}  # Databricks runtime -> its Spark (the runtime's release notes)
PYSPARK_MODULES = ["sql/functions/builtin.py", "sql/column.py", "sql/dataframe.py", "sql/session.py",
                   "sql/readwriter.py", "sql/types.py", "sql/window.py", "sql/group.py"]  # fmt: skip
ALLOWED = {
    *[(module, "exists") for module in ("storage.py", "gold/job.py", "silver/job.py")],  # Storage.exists: ours
    ("storage.py", "toArrow"),  # LocalDelta's hand-over to delta-rs: on Databricks the seam is NativeDelta
}


def newer_than(version: tuple[int, int]) -> dict[str, str]:
    """PySpark's functions and methods added after `version`, with the version that added them."""
    found = {}
    for module in PYSPARK_MODULES:
        for node in ast.walk(ast.parse((Path(pyspark.__file__).parent / module).read_text(encoding="utf-8"))):
            added = re.search(r"versionadded:: (\d+)\.(\d+)", ast.get_docstring(node) or "") if isinstance(
                node, ast.FunctionDef) else None  # fmt: skip
            if added and (int(added[1]), int(added[2])) > version:
                found[node.name] = f"{added[1]}.{added[2]}"
    return found


def test_the_jobs_call_no_pyspark_api_newer_than_the_runtimes_spark() -> None:
    runtimes = {yaml.safe_load(stack.read_text())["config"]["customer-insights:jobCluster"]["sparkVersion"][:4]
                for stack in REPO_ROOT.glob("Pulumi.*.yaml")}  # fmt: skip
    oldest = min(RUNTIME_SPARK[runtime] for runtime in runtimes)
    newer = newer_than(oldest)
    assert "try_cast" in newer and "fromDDL" in newer  # the docstrings are read (both arrived in 4.0)
    calls = [
        f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.attr} (PySpark {newer[node.attr]})"
        for path in sorted(JOBS.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr in newer
        and (path.relative_to(JOBS).as_posix(), node.attr) not in ALLOWED
    ]
    assert calls == []
