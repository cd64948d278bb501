"""PySpark medallion jobs: bronze Parquet -> silver Delta -> gold Delta."""
