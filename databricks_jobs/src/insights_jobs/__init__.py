"""PySpark medallion jobs: bronze Parquet -> silver Delta -> gold Delta."""

# The wheel's console scripts (pyproject.toml [project.scripts]) by the layer each builds: Databricks runs
# them as python_wheel_task entry points, the local platform in its own process.
ENTRY_POINTS = {"silver": "insights-silver", "gold": "insights-gold"}
