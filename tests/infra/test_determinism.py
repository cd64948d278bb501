"""A second `pulumi up` with nothing changed changes nothing: two runs give byte-identical inputs, and
a change to one job source file changes the wheel's name and what uses it, nothing else."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from infra.offline import Run, run_program
from infra.wheel import build_wheel, source_hash
from tests.support.stacks import SECRETS, snapshot_artifacts


def changed_resources(before: Run, after: Run) -> set[str]:
    old = {r.urn: json.dumps(r.wire, sort_keys=True) for r in before.resources}
    new = {r.urn: json.dumps(r.wire, sort_keys=True) for r in after.resources}
    assert set(old) == set(new)
    return {urn.rsplit("::", 1)[1] for urn in old if old[urn] != new[urn]}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_two_runs_give_byte_identical_inputs(stack: str, artifacts: Path) -> None:
    first = run_program(stack, secrets=SECRETS, artifacts_root=artifacts)
    second = run_program(stack, secrets=SECRETS, artifacts_root=artifacts)
    assert first.canonical() == second.canonical()
    assert first.outputs == second.outputs
    assert len(first.resources) > 60


def test_changing_one_job_source_changes_the_wheel_name_and_nothing_unrelated(tmp_path: Path) -> None:
    root = snapshot_artifacts(tmp_path / "artifacts")
    before = run_program("dev", secrets=SECRETS, artifacts_root=root)

    source = root / "databricks_jobs" / "src" / "insights_jobs" / "__init__.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# a change to one job source file\n", encoding="utf-8")
    after = run_program("dev", secrets=SECRETS, artifacts_root=root)

    assert before.outputs["jobsWheel"] != after.outputs["jobsWheel"]
    assert changed_resources(before, after) == {"databricks-wheel", "databricks-job-silver", "databricks-job-gold"}
    assert {k for k in before.outputs if before.outputs[k] != after.outputs[k]} == {"jobsWheel"}
    for layer in ("silver", "gold"):
        job_before = before.one("databricks:index/job:Job", f"databricks-job-{layer}").inputs
        job_after = after.one("databricks:index/job:Job", f"databricks-job-{layer}").inputs
        [task] = job_after["tasks"]
        assert task["libraries"] == [
            {"whl": f"/Workspace/Shared/customer-insights/wheels/{after.outputs['jobsWheel']}"}
        ]
        job_before["tasks"][0]["libraries"] = task["libraries"]
        assert job_before == job_after  # the library path is the only difference


def test_the_wheel_is_reproducible_and_named_after_its_sources(tmp_path: Path, artifacts: Path) -> None:
    jobs = artifacts / "databricks_jobs"
    first = build_wheel(jobs, tmp_path / "cache-1")
    second = build_wheel(jobs, tmp_path / "cache-2")
    assert first.filename == second.filename
    assert hashlib.sha256(first.path.read_bytes()).digest() == hashlib.sha256(second.path.read_bytes()).digest()
    digest = source_hash(jobs)
    assert first.filename == f"insights_jobs-0.1.0+g{digest}-py3-none-any.whl"
    with zipfile.ZipFile(first.path) as wheel:
        names = wheel.namelist()
        assert "insights_jobs/__init__.py" in names
        entry_points = wheel.read(f"insights_jobs-0.1.0+g{digest}.dist-info/entry_points.txt").decode()
        assert {info.date_time for info in wheel.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "insights-silver = insights_jobs." in entry_points
    assert "insights-gold = insights_jobs." in entry_points


def test_only_the_wheels_inputs_move_its_hash(tmp_path: Path, artifacts: Path) -> None:
    import shutil

    jobs = Path(shutil.copytree(artifacts / "databricks_jobs", tmp_path / "databricks_jobs"))
    digest = source_hash(jobs)
    (jobs / "src" / "insights_jobs" / "__pycache__").mkdir(exist_ok=True)
    (jobs / "src" / "insights_jobs" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (jobs / "notes.txt").write_text("not packaged")
    assert source_hash(jobs) == digest
    module = jobs / "src" / "insights_jobs" / "__init__.py"
    module.write_text(module.read_text() + "\n")
    assert source_hash(jobs) != digest


def test_the_wheel_declares_the_jobs_entry_points(tmp_path: Path, artifacts: Path) -> None:
    wheel = build_wheel(artifacts / "databricks_jobs", tmp_path)
    scripts = wheel.console_scripts()
    for entry_point in ("insights-silver", "insights-gold"):
        assert scripts[entry_point].startswith("insights_jobs.") and ":" in scripts[entry_point]


def test_a_wheel_without_a_job_entry_point_stops_the_deploy(tmp_path: Path) -> None:
    from infra.wheel import WheelBuildError

    root = snapshot_artifacts(tmp_path / "artifacts")
    pyproject = root / "databricks_jobs" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("insights-gold =", "insights-golden ="))
    with pytest.raises(WheelBuildError, match="has no entry point 'insights-gold'"):
        run_program("dev", secrets=SECRETS, artifacts_root=root)
