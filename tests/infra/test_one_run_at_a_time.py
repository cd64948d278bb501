"""One run at a time in Azure: the master pipeline queues a second trigger run instead of running it beside
the first (ADF's pipeline `concurrency`), and each Databricks job refuses a second run while one is active
(`max_concurrent_runs`), as the local run lock does on one machine."""

from __future__ import annotations

import pulumi_azure_native.datafactory as adf
import pulumi_databricks as dbx

from infra.databricks import JOBS
from infra.offline import Run


def test_the_master_pipeline_runs_one_at_a_time(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    master = next(
        p for p in run.of_type("azure-native:datafactory:Pipeline") if p.inputs["pipelineName"] == "pl_daily_master"
    )
    assert master.inputs["concurrency"] == 1
    assert "concurrency" in adf.PipelineArgs.__init__.__code__.co_varnames  # a property ADF's SDK sends


def test_each_databricks_job_allows_one_active_run(stack_run: tuple[str, Run]) -> None:
    _, run = stack_run
    jobs = {job.inputs["name"]: job.inputs for job in run.of_type("databricks:index/job:Job")}
    assert set(jobs) == set(JOBS.values())
    assert {name: inputs["maxConcurrentRuns"] for name, inputs in jobs.items()} == dict.fromkeys(JOBS.values(), 1)
    assert "max_concurrent_runs" in dbx.JobArgs.__init__.__code__.co_varnames
