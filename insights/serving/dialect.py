"""T-SQL as Synapse serverless reads it: sqlglot's T-SQL dialect plus `OPENROWSET(BULK ...) WITH (...)`.

sqlglot parses T-SQL but not the serverless rowset function that reads files from the lake:

    OPENROWSET(BULK 'fct_sales/', DATA_SOURCE = 'gold_lake', FORMAT = 'DELTA')
    WITH (sales_order_id INT, category VARCHAR(100) COLLATE Latin1_General_100_BIN2_UTF8, ...) AS fct

`SynapseServerless` adds it as an expression of its own (`OpenRowset`: the BULK path, the options and
the typed column list), so a view file parses into one tree that the local platform can bind to a local
Delta table and write out for DuckDB, and that still writes back as T-SQL.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.tsql import TSQL
from sqlglot.generators.tsql import TSQLGenerator
from sqlglot.parsers.tsql import TSQLParser
from sqlglot.tokens import TokenType


class OpenRowset(exp.Expression):
    """`OPENROWSET(BULK <path>, <option> = <value>, ...) WITH (<column definitions>)`."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "options": False, "columns": False}

    @property
    def bulk(self) -> str:
        return self.this.name

    def option(self, name: str) -> str | None:
        for option in self.args.get("options") or []:
            if option.this.name.upper() == name.upper():
                return option.expression.name
        return None

    @property
    def columns(self) -> list[exp.ColumnDef]:
        return list(self.args.get("columns") or [])


class SynapseServerlessParser(TSQLParser):
    FUNCTION_PARSERS: ClassVar[dict] = {
        **TSQLParser.FUNCTION_PARSERS,
        "OPENROWSET": lambda self: self._parse_openrowset(),
    }

    def _parse_openrowset(self) -> OpenRowset:
        if not self._match_text_seq("BULK"):
            self.raise_error("Expected BULK '<path>' (only the BULK form of OPENROWSET is supported)")
        path = self._parse_string()
        options = []
        while self._match(TokenType.COMMA):
            key = self._parse_var(any_token=True)
            self._match(TokenType.EQ)
            options.append(self.expression(exp.EQ(this=key, expression=self._parse_primary())))
        columns = None
        # Like OPENJSON: the function's own `)` is followed by WITH (...); the caller matches the last `)`.
        if self._match_pair(TokenType.R_PAREN, TokenType.WITH):
            self._match_l_paren()
            columns = self._parse_csv(self._parse_openrowset_column)
        return self.expression(OpenRowset(this=path, options=options, columns=columns))

    def _parse_openrowset_column(self) -> exp.ColumnDef:
        name = self._parse_id_var(any_token=True)
        kind = self._parse_types(check_func=False, allow_identifiers=False)
        constraints = []
        if self._match(TokenType.COLLATE):
            constraints.append(exp.CollateColumnConstraint(this=self._parse_var(any_token=True)))
        return self.expression(exp.ColumnDef(this=name, kind=kind, constraints=constraints))


def _openrowset_sql(generator: TSQLGenerator, expression: OpenRowset) -> str:
    options = "".join(f", {generator.sql(option)}" for option in expression.args.get("options") or [])
    columns = expression.columns
    with_ = f" WITH ({', '.join(generator.sql(column) for column in columns)})" if columns else ""
    return f"OPENROWSET(BULK {generator.sql(expression.this)}{options}){with_}"


class SynapseServerlessGenerator(TSQLGenerator):
    TRANSFORMS: ClassVar[dict] = {**TSQLGenerator.TRANSFORMS, OpenRowset: _openrowset_sql}


class SynapseServerless(TSQL):
    """sqlglot's T-SQL, reading (and writing) serverless `OPENROWSET(BULK ...) WITH (...)`."""

    Parser = SynapseServerlessParser
    Generator = SynapseServerlessGenerator
