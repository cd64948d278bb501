"""The local stand-in for a Databricks job cluster: one Spark session in this process."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from insights.local.jvm_console import filtered_stderr

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# A run whose new bronze is below this spends more CPU compiling Spark's framework and generated code than
# running it (docs/benchmarks.md: the scale-1 first load, 11 MB, and the daily runs); above it, the full
# optimising compiler pays for itself (the scale-10 first load, 114 MB).
LARGE_RUN_BYTES = 32 * 2**20


def is_large(bronze_files: Iterable[Path]) -> bool:
    """Whether a run over these bronze files is large enough for the optimising compiler."""
    return sum(f.stat().st_size for f in bronze_files) > LARGE_RUN_BYTES


class JavaMissingError(RuntimeError):
    """Local Spark needs a Java 17+ runtime on PATH (or JAVA_HOME)."""


def _check_java() -> None:
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else None
    java = java if java and os.path.exists(java) else shutil.which("java")
    if not java:
        raise JavaMissingError(
            "Java was not found. Local Spark needs Java 17 or newer: install it "
            "(Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    version = out.split('"')[1] if '"' in out else ""
    major = int(version.split(".")[0]) if version[:1].isdigit() else 0
    if major < 17:
        raise JavaMissingError(f"Local Spark needs Java 17 or newer; found {version or out.strip()!r} at {java}.")


def java_options(large: bool) -> str:
    """The driver JVM's options: the parallel collector (throughput over pause times, and no concurrent
    marking competing for the two cores); a small run compiles with the quick C1 compiler only."""
    options = [f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}", "-XX:+UseParallelGC"]
    return " ".join(options if large else [*options, "-XX:TieredStopAtLevel=1"])


def local_spark(cores: int = 2, *, large: bool = False) -> SparkSession:
    """Start (or reuse) the local session, configured like a small job cluster; `large` for a run with
    much new data (the JVM's options are fixed when it starts: a reused session keeps its own)."""
    from pyspark.sql import SparkSession  # here, not at the top: a run with nothing to do imports no Spark

    _check_java()
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("customer-insights-local")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", java_options(large))
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.memory", os.environ.get("INSIGHTS_SPARK_DRIVER_MEMORY", "4g"))
        # The storage seam hands whole tables to Arrow through the driver: its heap is the limit, not a share of it.
        .config("spark.driver.maxResultSize", "0")
        .config("spark.sql.adaptive.enabled", "true")
        # One pipeline run compiles more distinct query classes than Spark's default cache keeps, so every
        # later run in this process would compile (and the JVM re-optimise) all of them again.
        .config("spark.sql.codegen.cache.maxEntries", "1000")
        # Lower-casing through the JVM, not ICU: ICU's case tables take seconds to load in every new process,
        # and the only strings lower-cased are titles looked up among the gender mapping's ASCII keys, which
        # both lower-case alike.
        .config("spark.sql.icu.caseMappings.enabled", "false")
    )
    with filtered_stderr():  # the JVM starts here, and keeps the filtered standard error
        return builder.getOrCreate()
