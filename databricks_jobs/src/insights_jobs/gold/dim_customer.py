"""dim_customer: one row per customer (key: customer_id), with the gender silver derived from the title."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from insights_jobs.contract import UNKNOWN

KEY = ("customer_id",)
COLUMNS = ("customer_id", "title", "first_name", "last_name", "company_name", "email_address", "gender")


def dim_customer(customers: DataFrame) -> DataFrame:
    """Silver customers -> one row per customer with name, contact and gender (Unknown, never NULL)."""
    return customers.select(*COLUMNS[:-1], F.coalesce("gender", F.lit(UNKNOWN)).alias("gender"))
