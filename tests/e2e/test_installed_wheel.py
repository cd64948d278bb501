"""The two wheels (`customer-insights`, `insights-jobs`) built with `uv build`, installed (not editable) into
a fresh virtual environment and run from a folder outside the checkout: generate a source, run the pipeline,
print the KPIs, serve the dashboard. Without an extra, a command that needs it says which one, in one line.

Versions are pinned to the lock (`uv export` as constraints), so the test installs what CI installs. The
expected KPIs are computed here from the generated source rows, by DESIGN.md's definitions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support.paths import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.spark]


class Installed:
    """A fresh virtual environment holding the wheels, and a working folder outside the checkout."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.work = root / "work"
        self.work.mkdir()
        self.uv = shutil.which("uv")
        assert self.uv, "uv is needed to build and install the wheels"
        path = os.pathsep.join([str(self.venv / "bin"), os.environ.get("PATH", "")])
        drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
        self.env = {**{k: v for k, v in os.environ.items() if k not in drop}, "PATH": path, "COLUMNS": "200"}

    def build(self) -> None:
        dist = self.root / "dist"
        self._uv("build", "--all-packages", "--wheel", "--out-dir", str(dist), cwd=REPO_ROOT)
        self.wheels = {w.name.split("-")[0]: w for w in dist.glob("*.whl")}
        assert set(self.wheels) == {"customer_insights", "insights_jobs"}, self.wheels
        self.constraints = self.root / "constraints.txt"
        self._uv(
            "export", "--frozen", "--all-extras", "--no-dev", "--no-hashes", "--no-emit-workspace",
            "--output-file", str(self.constraints), cwd=REPO_ROOT,
        )  # fmt: skip
        self._uv("venv", "--quiet", "--python", sys.executable, str(self.venv), cwd=self.root)

    def install(self, extra: str | None = None) -> None:
        app = str(self.wheels["customer_insights"]) + (f"[{extra}]" if extra else "")
        self._uv(
            "pip", "install", "--quiet", "--python", str(self.venv / "bin" / "python"),
            "--constraint", str(self.constraints), app, str(self.wheels["insights_jobs"]), cwd=self.root,
        )  # fmt: skip

    def _uv(self, *args: str, cwd: Path) -> None:
        done = subprocess.run([self.uv, *args], cwd=cwd, env=self.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stderr}"

    def insights(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.venv / "bin" / "insights"), *args],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code], cwd=self.work, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    env = Installed(tmp_path_factory.mktemp("installed"))
    env.build()
    env.install()
    return env


def expected_kpis(source: Path) -> dict:
    """Products sold, revenue, orders and customers of the sales (orders not rejected or cancelled)."""
    with duckdb.connect(str(source), read_only=True) as db:
        rows = db.execute(
            """SELECT d.SalesOrderID, h.CustomerID, d.OrderQty, d.UnitPrice, d.UnitPriceDiscount
               FROM SalesLT.SalesOrderDetail d JOIN SalesLT.SalesOrderHeader h USING (SalesOrderID)
               WHERE h.Status NOT IN (4, 6)"""
        ).fetchall()
    revenue = sum(Decimal(price) * (1 - Decimal(discount)) * qty for _, _, qty, price, discount in rows)
    return {
        "products_sold": sum(qty for _, _, qty, _, _ in rows),
        "revenue": str(Decimal(revenue).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
        "orders": len({order for order, *_ in rows}),
        "customers": len({customer for _, customer, *_ in rows}),
    }


def test_the_installed_wheel_runs_from_another_folder(installed: Installed) -> None:
    # the code comes from the environment, not from the checkout
    where = installed.python("import insights, adf_pipelines, synapse_views, insights_jobs; print(insights.__file__)")
    assert str(installed.venv) in where and str(REPO_ROOT) not in where

    generated = installed.insights("source", "generate", "--scale", "0.01", "--out", "source.duckdb")
    assert generated.returncode == 0, generated.stderr
    run = installed.insights("run", "--source", "source.duckdb", "--lake", "lake")
    assert run.returncode == 0, run.stderr
    kpis = installed.insights("kpis", "--lake", "lake", "--json")
    assert kpis.returncode == 0, kpis.stderr
    document = json.loads(kpis.stdout)
    expected = expected_kpis(installed.work / "source.duckdb")
    assert {key: document[key] for key in expected} == expected


def test_a_command_without_its_extra_names_the_extra(installed: Installed) -> None:
    dashboard = installed.insights("dashboard", "--lake", "lake", "--port", "0", timeout=120)
    assert dashboard.returncode == 1
    assert dashboard.stderr.strip().splitlines() == [
        "error: `insights dashboard` needs the [dashboard] extra (dash is not installed): "
        "pip install 'customer-insights[dashboard]'"
    ]
    plan = installed.insights("plan", "--stack", "dev", timeout=120)
    assert plan.returncode == 1
    [line] = plan.stderr.strip().splitlines()
    assert line.startswith("error: `insights plan` runs the Pulumi program in infra/") and "[azure]" in line


def test_the_installed_dashboard_serves_the_kpis(installed: Installed) -> None:
    installed.install("dashboard")
    server = subprocess.Popen(
        [str(installed.venv / "bin" / "insights"), "dashboard", "--lake", "lake", "--port", "0"],
        cwd=installed.work,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()  # the command prints the URL on stdout once it listens
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url), (url, server.stderr.read() if not url else "")
        with urllib.request.urlopen(url + "assets/style.css", timeout=60) as response:
            assert response.read().decode() == (REPO_ROOT / "dashboard" / "assets" / "style.css").read_text()
        document = json.loads(_dashboard_kpis(url))
    finally:
        server.terminate()
        server.wait(timeout=30)
    expected = expected_kpis(installed.work / "source.duckdb")
    assert {key: document[key] for key in expected} == expected


def _dashboard_kpis(url: str) -> str:
    """The KPI document of the dashboard's first render (no filter), as its callback returns it; the callback's
    outputs and inputs are read from the app's own dependency list."""
    with urllib.request.urlopen(url + "_dash-dependencies", timeout=120) as response:
        callbacks = json.loads(response.read())
    [callback] = [c for c in callbacks if "kpi-document.children" in c["output"]]
    outputs = [
        dict(zip(("id", "property"), o.rsplit(".", 1), strict=True)) for o in callback["output"].strip(".").split("...")
    ]
    first_render = {
        ("filter-categories", "value"): [],
        ("filter-genders", "value"): [],
        ("filter-grain", "value"): "month",
    }
    body = {
        "output": callback["output"],
        "outputs": outputs,
        "inputs": [{**i, "value": first_render.get((i["id"], i["property"]))} for i in callback["inputs"]],
        "changedPropIds": [],
        "state": [{**s, "value": None} for s in callback.get("state", [])],
    }
    request = urllib.request.Request(
        url + "_dash-update-component",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read())
    return answer["response"]["kpi-document"]["children"]
