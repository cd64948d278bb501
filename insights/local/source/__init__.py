"""The local stand-in for the on-prem SQL Server: a DuckDB file with schema `SalesLT`.

Get one with `generate` (synthetic, any scale, deterministic for a seed) or `import_csv` (the real
AdventureWorksLT rows); make time pass with `advance`. The CLI (`cli.app`) wraps the three.
"""

from insights.local.source.csv_import import CsvImportError, import_csv
from insights.local.source.db import SourceError, SourceStats
from insights.local.source.dirty import DIRTY_KINDS
from insights.local.source.generator import generate
from insights.local.source.schema import KEYS, SCHEMA, TABLE_NAMES, TABLES, create_schema, ddl
from insights.local.source.simulation import AdvanceResult, advance

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
