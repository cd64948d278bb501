"""The local stand-in for the on-prem SQL Server: a DuckDB file with schema `SalesLT`.

Get one with `generate` (synthetic, any scale, deterministic for a seed) or `import_csv` (the real
AdventureWorksLT rows); make time pass with `advance`. The CLI (`cli.app`) wraps the three.
"""

from local_platform.source.csv_import import CsvImportError, import_csv
from local_platform.source.db import SourceError, SourceStats
from local_platform.source.dirty import DIRTY_KINDS
from local_platform.source.generator import generate
from local_platform.source.schema import KEYS, SCHEMA, TABLE_NAMES, TABLES, create_schema, ddl
from local_platform.source.simulation import AdvanceResult, advance

__all__ = [
    "DIRTY_KINDS",
    "KEYS",
    "SCHEMA",
    "TABLES",
    "TABLE_NAMES",
    "AdvanceResult",
    "CsvImportError",
    "SourceError",
    "SourceStats",
    "advance",
    "create_schema",
    "ddl",
    "generate",
    "import_csv",
]
