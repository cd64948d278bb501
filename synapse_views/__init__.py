"""The serving layer's T-SQL, and the one place its deploy-time parameters are substituted.

Layout (applied in this order, each folder in file-name order):

- `setup/*.sql`: the database (UTF-8 BIN2 collation), the credential (the workspace's managed identity),
  the external data source of the gold container, the `gold` schema;
- `views/*.sql`: one `CREATE OR ALTER VIEW gold.<table>` per file, over `OPENROWSET(BULK '<table>/',
  DATA_SOURCE = 'gold_lake', FORMAT = 'DELTA') WITH (<typed columns>)`;
- `grants/*.sql`: what the analysts' Entra group may do (read the views, nothing else).

A script is T-SQL; a line holding only `GO` ends a batch (as in sqlcmd and SSMS). Scripts are re-run on
every deploy, so each is idempotent. A script whose first line is `-- database: master` runs on `master`;
the others run in the serving database.

Deploy-time values are sqlcmd-style placeholders, `$(name)`, standing alone (never inside quotes or
brackets). Each parameter has a kind: an *identifier* becomes a bracket-quoted name (`[sg-analysts]`,
with `]` doubled), a *literal* an `N'...'` string (with `'` doubled), so no value can change the shape of
a statement. A placeholder without a parameter, or one written inside quotes, is an error naming the file.

Both platforms use this module: the Pulumi program (`infra/`) to apply the scripts to the serverless
endpoint, the local platform (`insights.serving`) to read the views and run them on DuckDB.
It depends on nothing but the standard library. `synapse_views.connection` is how all of them reach the
serverless endpoint (Entra token, connection string; the driver is imported only to connect).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
FOLDERS = ("setup", "views", "grants")
COLLATION = "Latin1_General_100_BIN2_UTF8"
SCHEMA = "gold"
DATA_SOURCE = "gold_lake"
CREDENTIAL = "workspace_identity"
MASTER = "master"
DATABASE = "database"  # the target of scripts without a `-- database: master` header

_PLACEHOLDER = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_TARGET = re.compile(r"\A\s*--\s*database:\s*(\w+)\s*$", re.IGNORECASE | re.MULTILINE)
_GO = re.compile(r"^[ \t]*GO[ \t]*(?:--.*)?$", re.IGNORECASE | re.MULTILINE)
_NAME_PART = r"(?:\[(?:[^\]]|\]\])+\]|[A-Za-z_][A-Za-z0-9_@$#]*)"
_VIEW = re.compile(rf"\bCREATE\s+(?:OR\s+ALTER\s+)?VIEW\s+({_NAME_PART}(?:\s*\.\s*{_NAME_PART})?)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SqlScriptError(ValueError):
    """A script or a parameter of synapse_views/ cannot be used as given; the message says which."""


# --- parameters --------------------------------------------------------------------------------------


def identifier(value: Any) -> dict[str, Any]:
    """A parameter rendered as a bracket-quoted identifier (a database, a user)."""
    return {"kind": "identifier", "value": value}


def literal(value: Any) -> dict[str, Any]:
    """A parameter rendered as an N'...' string literal (a URL, a name compared in a catalog view)."""
    return {"kind": "literal", "value": value}


def serving_parameters(
    *, database: Any, gold_url: Any, analysts_group: Any, master_key_password: Any
) -> dict[str, dict[str, Any]]:
    """Every parameter the scripts use. Values may be Pulumi outputs: they are quoted when applied."""
    return {
        "database": identifier(database),
        "databaseName": literal(database),
        "goldUrl": literal(gold_url),
        "analystsGroup": identifier(analysts_group),
        "analystsGroupName": literal(analysts_group),
        "masterKeyPassword": literal(master_key_password),
    }


def quote_identifier(value: str) -> str:
    """`[value]` with `]` doubled; 1 to 128 characters, no control characters."""
    if not isinstance(value, str) or not value or len(value) > 128 or _CONTROL.search(value):
        raise SqlScriptError(f"{value!r} is not a valid SQL identifier (1 to 128 printable characters)")
    return "[" + value.replace("]", "]]") + "]"


def quote_literal(value: str) -> str:
    """`N'value'` with `'` doubled; no NUL character (T-SQL would end the string there)."""
    if not isinstance(value, str) or "\x00" in value:
        raise SqlScriptError(f"{value!r} cannot be a SQL string literal")
    return "N'" + value.replace("'", "''") + "'"


def render(parameter: Mapping[str, Any]) -> str:
    kind, value = parameter.get("kind"), parameter.get("value")
    if kind == "identifier":
        return quote_identifier(value)
    if kind == "literal":
        return quote_literal(value)
    raise SqlScriptError(f"unknown parameter kind {kind!r} (identifier or literal)")


# --- scripts -----------------------------------------------------------------------------------------


def target_of(sql: str) -> str:
    """`master` for a script whose first line is `-- database: master`, else the serving database."""
    match = _TARGET.match(sql)
    return MASTER if match and match.group(1).lower() == MASTER else DATABASE


def load_scripts(root: Path = ROOT) -> list[dict[str, str]]:
    """`[{"path": "setup/00_database.sql", "sql": ..., "target": "master"}, ...]` in the order they apply."""
    scripts = []
    for folder in FOLDERS:
        for path in sorted((root / folder).glob("*.sql")):
            sql = path.read_text(encoding="utf-8")
            scripts.append({"path": f"{folder}/{path.name}", "sql": sql, "target": target_of(sql)})
    return scripts


def placeholders(sql: str) -> list[str]:
    return _PLACEHOLDER.findall(sql)


def check_placeholders(scripts: Iterable[Mapping[str, str]], parameters: Iterable[str]) -> None:
    """Fail early (before any deploy step) on a placeholder without a parameter or inside quotes."""
    known = set(parameters)
    for script in scripts:
        for match in _PLACEHOLDER.finditer(script["sql"]):
            _check_standing_alone(script["sql"], match, script["path"])
            if match.group(1) not in known:
                raise SqlScriptError(
                    f"synapse_views/{script['path']}: placeholder $({match.group(1)}) has no parameter "
                    f"(known: {', '.join(sorted(known)) or 'none'})"
                )


def _check_standing_alone(sql: str, match: re.Match[str], where: str) -> None:
    before = sql[match.start() - 1 : match.start()]
    after = sql[match.end() : match.end() + 1]
    if (before and before in "'\"[") or (after and after in "'\"]"):
        raise SqlScriptError(
            f"{where}: placeholder {match.group(0)} is written inside quotes or brackets; write it alone, "
            "the parameter's kind decides how its value is quoted"
        )


def substitute(sql: str, parameters: Mapping[str, Mapping[str, Any]], where: str) -> str:
    """Replace each `$(name)` by its quoted value, in one pass (a value is never substituted again)."""

    def replace(match: re.Match[str]) -> str:
        _check_standing_alone(sql, match, where)
        name = match.group(1)
        if name not in parameters:
            raise SqlScriptError(
                f"{where}: placeholder $({name}) has no parameter (known: {', '.join(sorted(parameters)) or 'none'})"
            )
        try:
            return render(parameters[name])
        except SqlScriptError as error:
            raise SqlScriptError(f"{where}: parameter {name}: {error}") from None

    return _PLACEHOLDER.sub(replace, sql)


def split_batches(sql: str) -> list[str]:
    """The batches of a script: the text between lines holding only `GO`; blank batches dropped."""
    return [batch.strip() for batch in _GO.split(sql) if _meaningful(batch)]


def _meaningful(batch: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in batch.splitlines())


def batches(scripts: Iterable[Mapping[str, str]], parameters: Mapping[str, Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every batch to send, in order: `[{"path", "target" (master | database), "sql"}, ...]`."""
    out = []
    for script in scripts:
        sql = substitute(script["sql"], parameters, f"synapse_views/{script['path']}")
        target = script.get("target") or target_of(script["sql"])
        out.extend({"path": script["path"], "target": target, "sql": batch} for batch in split_batches(sql))
    return out


def statements(
    scripts: Iterable[Mapping[str, str]], parameters: Mapping[str, Mapping[str, Any]], database: str
) -> list[str]:
    """The batches as one sequence for a single connection opened on `master` (`USE` between targets)."""
    out, current = [], MASTER
    for batch in batches(scripts, parameters):
        if batch["target"] != current:
            out.append(f"USE {quote_identifier(MASTER if batch['target'] == MASTER else database)}")
            current = batch["target"]
        out.append(batch["sql"])
    return out


def view_names(scripts: Iterable[Mapping[str, str]]) -> list[str]:
    """The views the `views/` scripts create, as written (`gold.fct_sales`), sorted."""
    names = set()
    for script in scripts:
        if script["path"].startswith("views/"):
            for match in _VIEW.finditer(script["sql"]):
                names.add(re.sub(r"\s+", "", match.group(1)))
    return sorted(names)
