"""A few rows of Python values as a DataFrame, built from literals in the JVM.

`createDataFrame(rows)` pickles the rows for a Python worker to read back, and starting that worker costs
a new JVM's run two to three seconds (docs/benchmarks.md): the jobs build their small frames (a run's gold
state, the order-date bounds, the category tree's top levels) from literals instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType, _parse_datatype_string

_REAL = "_real"  # False on the row of NULLs that types every column nullable, as a DDL schema declares it


def struct_type(ddl: str) -> StructType:
    """A DDL schema (`"a int, b string"`) as a StructType, on the Databricks runtime's Spark 3.5 as on
    Spark 4 (`StructType.fromDDL` is Spark 4's)."""
    return _parse_datatype_string(ddl)


def small_frame(spark: SparkSession, rows: Sequence[Sequence[Any]], ddl: str) -> DataFrame:
    """`rows` (tuples of values of the columns' types, in the schema's order: cast, not checked) with the
    schema `createDataFrame(rows, ddl)` gives."""
    struct = struct_type(ddl)

    def row(values: Sequence[Any], real: bool) -> Any:
        columns = [F.lit(v).cast(f.dataType).alias(f.name) for v, f in zip(values, struct.fields, strict=True)]
        return F.struct(F.lit(real).alias(_REAL), *columns)

    literals = [row([None] * len(struct.fields), real=False), *(row(values, real=True) for values in rows)]
    return spark.range(1).select(F.inline(F.array(*literals))).filter(_REAL).drop(_REAL)
