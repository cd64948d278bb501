"""A small reader of TMDL (Tabular Model Definition Language), enough to check the model in `powerbi/`.

It follows Microsoft's TMDL rules (learn.microsoft.com/analysis-services/tmdl/tmdl-overview): tab
indentation gives the tree; an object is `<type> <name>` with an optional default property after `=`
(a DAX or M expression, on the same line or indented on the lines below); a property is `name: value`,
or a bare name for `true`; `///` lines describe the object declared on the next line; names with spaces
or `.=:'` are single-quoted with `''` for a quote. Anything else is a `TmdlError` naming file and line,
so a file this reader misunderstands fails the tests instead of passing silently.

No maintained Python TMDL parser exists on PyPI (Microsoft's is the .NET `TmdlSerializer`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Object types that may appear in this model's files (TOM's names in TMDL's camelCase).
OBJECT_TYPES = {
    "database", "model", "table", "column", "measure", "partition", "relationship", "expression",
    "annotation", "hierarchy", "level", "role", "ref", "culture", "perspective", "calculationGroup",
    "calculationItem", "dataSource", "queryGroup", "tablePermission", "member", "extendedProperty",
}  # fmt: skip
_NAME = re.compile(r"'(?:[^']|'')*'|[^\s=:'.]+")
_PROPERTY = re.compile(r"^([A-Za-z][A-Za-z0-9]*)\s*(?::\s*(.*)|(=)\s*(.*))?$")


class TmdlError(ValueError):
    """A TMDL file cannot be read; the message names the file and the line."""


@dataclass
class TmdlObject:
    kind: str  # table, column, measure, ...
    name: str
    default: str | None = None  # the expression after `=` (DAX for a measure, M for a partition or expression)
    description: str | None = None
    properties: dict[str, str | bool | dict] = field(default_factory=dict)
    children: list[TmdlObject] = field(default_factory=list)
    where: str = ""

    def all(self, kind: str) -> list[TmdlObject]:
        return [child for child in self.children if child.kind == kind]


def unquote(name: str) -> str:
    if name.startswith("'") and name.endswith("'") and len(name) >= 2:
        return name[1:-1].replace("''", "'")
    return name


def split_reference(text: str) -> tuple[str, str]:
    """`sales.customer_id` or `'My table'.'My column'` as (table, column)."""
    parts = _NAME.findall(text.strip())
    if len(parts) != 2 or text.strip() != f"{parts[0]}.{parts[1]}":
        raise TmdlError(f"{text!r} is not a Table.Column reference")
    return unquote(parts[0]), unquote(parts[1])


def _tabs(line: str) -> int:
    return len(line) - len(line.lstrip("\t"))


def _indent(line: str, where: str) -> int:
    """The depth of a structural line (inside an expression, spaces after the tabs are the expression's own)."""
    if line.lstrip("\t").startswith(" ") and line.strip():
        raise TmdlError(f"{where}: indentation must be tabs (TMDL's default), found spaces")
    return _tabs(line)


def parse(text: str, source: str = "<tmdl>") -> list[TmdlObject]:
    """The top-level objects of one TMDL document."""
    lines = text.splitlines()
    roots: list[TmdlObject] = []
    stack: list[tuple[int, TmdlObject]] = []  # (indent of the object's declaration, object)
    description: list[str] = []
    i = 0
    while i < len(lines):
        line, where = lines[i], f"{source}:{i + 1}"
        i += 1
        if not line.strip():
            if description:
                raise TmdlError(f"{where}: a /// description must stand right above an object declaration")
            continue
        depth = _indent(line, where)
        content = line.strip()
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if content.startswith("///"):
            description.append(content[3:].strip())
            continue
        keyword = content.split(None, 1)[0]
        if keyword in OBJECT_TYPES and (keyword != "ref" or content.startswith("ref ")):
            obj, i = _object(content, lines, i, depth, where)
            obj.description = " ".join(description) or None
            description = []
            (stack[-1][1].children if stack else roots).append(obj)
            stack.append((depth, obj))
            continue
        if description:
            raise TmdlError(f"{where}: a /// description must stand right above an object declaration")
        if not stack or depth != stack[-1][0] + 1:
            raise TmdlError(f"{where}: property {content!r} is not indented one level under an object")
        owner = stack[-1][1]
        match = _PROPERTY.match(content)
        if not match:
            raise TmdlError(f"{where}: cannot read {content!r} as a property")
        name, value, equals, expression = match.groups()
        if equals:
            owner.properties[name], i = _expression(expression, lines, i, depth, where)  # deeper than the property
        elif value is not None:
            owner.properties[name] = _text(value)
        else:
            nested, i = _block(lines, i, depth)
            owner.properties[name] = nested or True
    return roots


def _object(content: str, lines: list[str], i: int, depth: int, where: str) -> tuple[TmdlObject, int]:
    kind, _, rest = content.partition(" ")
    if kind == "ref":
        kind, _, rest = rest.partition(" ")
        kind = f"ref {kind}"
    rest = rest.strip()
    name_match = _NAME.match(rest) if rest and not rest.startswith("=") else None
    name = unquote(name_match.group(0)) if name_match else ""
    rest = rest[name_match.end() :].strip() if name_match else rest
    obj = TmdlObject(kind=kind, name=name, where=where)
    if rest.startswith("="):
        obj.default, i = _expression(rest[1:].strip(), lines, i, depth + 1, where)  # deeper than the properties
    elif rest:
        raise TmdlError(f"{where}: unexpected {rest!r} after {kind} {name!r}")
    return obj, i


def _expression(first: str, lines: list[str], i: int, floor: int, where: str) -> tuple[str, int]:
    """An expression after `=`: the rest of the line, or the following lines indented deeper than `floor`."""
    if first.startswith("```"):
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise TmdlError(f"{where}: ``` expression is not closed")
        return "\n".join(body).strip("\n"), i + 1
    if first:
        return first, i
    body = []
    while i < len(lines) and (not lines[i].strip() or _tabs(lines[i]) > floor):
        body.append(lines[i].strip("\t") if lines[i].strip() else "")
        i += 1
    if not any(body):
        raise TmdlError(f"{where}: `=` without an expression")
    return "\n".join(body).strip("\n"), i


def _block(lines: list[str], i: int, depth: int) -> tuple[dict[str, str | bool], int]:
    """The bare nested properties of a property such as `dataAccessOptions`."""
    nested: dict[str, str | bool] = {}
    while i < len(lines) and lines[i].strip() and _tabs(lines[i]) > depth:
        key, _, value = lines[i].strip().partition(":")
        nested[key.strip()] = _text(value) if value else True
        i += 1
    return nested, i


def _text(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1].replace('""', '"')
    return value


@dataclass
class Model:
    """A semantic model's `definition/` folder, read."""

    database: TmdlObject
    model: TmdlObject
    tables: dict[str, TmdlObject]
    relationships: list[TmdlObject]
    expressions: dict[str, TmdlObject]


def read_model(definition: Path) -> Model:
    def objects(path: Path) -> list[TmdlObject]:
        return parse(path.read_text(encoding="utf-8"), str(path)) if path.exists() else []

    database = objects(definition / "database.tmdl")
    model = objects(definition / "model.tmdl")
    if len(database) != 1 or database[0].kind != "database":
        raise TmdlError(f"{definition}/database.tmdl must declare one database")
    models = [o for o in model if o.kind == "model"]
    if len(models) != 1:
        raise TmdlError(f"{definition}/model.tmdl must declare one model")
    tables: dict[str, TmdlObject] = {}
    for path in sorted((definition / "tables").glob("*.tmdl")):
        for table in objects(path):
            if table.kind != "table" or table.name in tables:
                raise TmdlError(f"{path}: expected one new table, found {table.kind} {table.name!r}")
            tables[table.name] = table
    relationships = objects(definition / "relationships.tmdl")
    expressions = objects(definition / "expressions.tmdl")
    for obj, kind in [*((r, "relationship") for r in relationships), *((e, "expression") for e in expressions)]:
        if obj.kind != kind:
            raise TmdlError(f"{obj.where}: expected a {kind}, found {obj.kind}")
    return Model(database[0], models[0], tables, relationships, {e.name: e for e in expressions})


_DAX_STRING = re.compile(r'"(?:[^"]|"")*"')
_DAX_REF = re.compile(r"(?:'((?:[^']|'')+)'|([A-Za-z_][A-Za-z0-9_]*))?\[([^\]]+)\]")


def dax_references(dax: str) -> tuple[set[tuple[str, str]], set[str]]:
    """The `table[column]` and the bare `[measure]` references of a DAX expression (string literals skipped)."""
    columns, measures = set(), set()
    for quoted, bare, inner in _DAX_REF.findall(_DAX_STRING.sub('""', dax)):
        table = quoted.replace("''", "'") if quoted else bare
        if table:
            columns.add((table, inner))
        else:
            measures.add(inner)
    return columns, measures
