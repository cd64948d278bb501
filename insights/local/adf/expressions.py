"""ADF's expression language: ``@expressions``, ``@{interpolation}`` and the values they produce.

The executor calls ``evaluate(value, scope)`` on any piece of pipeline JSON. Strings are where
expressions live (the rules of Microsoft's "Expressions and functions" page):

- ``"@pipeline().parameters.n"``: the whole string is one expression; its value keeps its type
  (number, boolean, object, array, string or null).
- ``"Count: @{variables('n')}"``: string interpolation; every ``@{...}`` is evaluated and converted to
  text (``functions.to_string``: null -> "", booleans "True"/"False", objects and arrays as JSON).
- ``"@@..."``: a literal string starting with ``@``; ``"@@{"`` anywhere gives a literal ``"@{"``.
- anything else is returned unchanged (``" @"``, ``"user@example.com"``).

Dicts and lists are walked recursively, and ``{"value": "...", "type": "Expression"}`` (how ADF's
JSON wraps dynamic content) becomes the value of its expression.

The expression grammar is LALR(1) for lark: literals (``'text'`` with ``''`` for a quote, integers,
floats, ``true``, ``false``, ``null``), function calls, ``.property``, ``['key']``, ``[0]`` and the
null-safe ``?.property`` and ``?['key']``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from insights.local.adf import dotnet_datetime
from insights.local.adf.functions import (
    Call,
    ExpressionError,
    UnsupportedFunctionError,
    lookup,
    preview,
    resolve,
    to_string,
    type_name,
)

__all__ = [
    "NO_ITEM",
    "ExpressionError",
    "Scope",
    "UnsupportedFunctionError",
    "evaluate",
    "fixed_clock",
]


# ----------------------------------------------------------------------------------------------------
# Scope
# ----------------------------------------------------------------------------------------------------


class _NoItem:
    def __repr__(self) -> str:
        return "NO_ITEM"


NO_ITEM: Any = _NoItem()


def _system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(when: datetime | str) -> Callable[[], datetime]:
    """A clock that always reads ``when`` (an aware datetime or an ISO 8601 string), for ``utcNow()``."""
    if isinstance(when, str):
        when = dotnet_datetime.parse_timestamp(when).with_kind(dotnet_datetime.Kind.UTC).to_datetime()
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    fixed = when.astimezone(UTC)
    return lambda: fixed


@dataclass
class Scope:
    """What an expression can see while one activity of a pipeline run is evaluated.

    ``variables`` and ``activities`` are shared (not copied) with child scopes, as in ADF, where a
    ForEach iteration sees the pipeline's variables and the activities that ran before it.
    """

    parameters: dict[str, Any] = field(default_factory=dict)  # pipeline().parameters
    global_parameters: dict[str, Any] = field(default_factory=dict)  # pipeline().globalParameters
    system: dict[str, Any] = field(default_factory=dict)  # pipeline().RunId, .TriggerTime, ...
    variables: dict[str, Any] = field(default_factory=dict)  # variables('x')
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)  # activity('x').output...
    item: Any = NO_ITEM  # item() inside a ForEach
    dataset: dict[str, Any] | None = None  # dataset(), while a dataset is resolved
    linked_service: dict[str, Any] | None = None  # linkedService()
    clock: Callable[[], datetime] = _system_clock  # utcNow(), getFutureTime(), getPastTime()

    def with_item(self, item: Any) -> Scope:
        """The scope of one ForEach iteration: the same state, with ``item()`` bound to ``item``."""
        return replace(self, item=item)

    @property
    def has_item(self) -> bool:
        return self.item is not NO_ITEM

    def utc_now(self) -> datetime:
        now = self.clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# ----------------------------------------------------------------------------------------------------
# Grammar and syntax tree
# ----------------------------------------------------------------------------------------------------

_GRAMMAR = r"""
?start: expr

?expr: atom
     | expr "." NAME          -> member
     | expr "?." NAME         -> safe_member
     | expr "[" expr "]"      -> index
     | expr "?[" expr "]"     -> safe_index

?atom: NAME "(" [args] ")"    -> call
     | NAME                   -> name
     | STRING                 -> string
     | FLOAT                  -> float
     | INT                    -> int

args: expr ("," expr)*

NAME: /[A-Za-z_][A-Za-z0-9_]*/
STRING: /'(?:[^']|'')*'/
FLOAT.2: /-?(?:\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)/
INT: /-?\d+/

%import common.WS
%ignore WS
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)

_TOKEN_NAMES = {
    "RPAR": "')'",
    "LPAR": "'('",
    "COMMA": "','",
    "RSQB": "']'",
    "NAME": "a name",
    "STRING": "a string",
    "INT": "a number",
    "FLOAT": "a number",
    "$END": "the end of the expression",
}


@dataclass(frozen=True)
class Literal:
    value: Any
    pos: int


@dataclass(frozen=True)
class FunctionCall:
    name: str
    args: tuple[Any, ...]
    pos: int


@dataclass(frozen=True)
class Access:
    """``target.name``, ``target['key']``, ``target[0]`` and their null-safe ``?`` forms."""

    target: Any
    key: Any  # a Literal for .name, any node for [...]
    safe: bool
    pos: int
    dotted: bool


class _ToAst(Transformer):
    @v_args(inline=True)
    def string(self, token: Token) -> Literal:
        return Literal(token[1:-1].replace("''", "'"), token.start_pos)

    @v_args(inline=True)
    def int(self, token: Token) -> Literal:
        return Literal(int(token), token.start_pos)

    @v_args(inline=True)
    def float(self, token: Token) -> Literal:
        return Literal(float(token), token.start_pos)

    @v_args(inline=True)
    def name(self, token: Token) -> Literal:
        keywords = {"true": True, "false": False, "null": None}
        if str(token) in keywords:
            return Literal(keywords[str(token)], token.start_pos)
        hint = (
            f"; the literals are lowercase: {str(token).lower()}"
            if str(token).lower() in keywords
            else f"; a function is called with parentheses: {token}()"
        )
        raise ExpressionError(f"'{token}' is not a value{hint}", position=token.start_pos)

    def call(self, children: list[Any]) -> FunctionCall:
        token, args = children
        return FunctionCall(str(token), tuple(args.children) if args is not None else (), token.start_pos)

    def _access(self, children: list[Any], *, safe: bool, dotted: bool) -> Access:
        target, key = children
        if dotted:
            return Access(target, Literal(str(key), key.start_pos), safe, key.start_pos, True)
        return Access(target, key, safe, key.pos, False)

    def member(self, children: list[Any]) -> Access:
        return self._access(children, safe=False, dotted=True)

    def safe_member(self, children: list[Any]) -> Access:
        return self._access(children, safe=True, dotted=True)

    def index(self, children: list[Any]) -> Access:
        return self._access(children, safe=False, dotted=False)

    def safe_index(self, children: list[Any]) -> Access:
        return self._access(children, safe=True, dotted=False)


def _expected(exc: UnexpectedInput) -> str:
    """What the parser would have accepted: closing brackets, commas, values or the end (not '.' or '[')."""
    parser = getattr(exc, "interactive_parser", None)
    accepted = parser.accepts() if parser is not None else getattr(exc, "expected", set())
    names = sorted({_TOKEN_NAMES[t] for t in accepted if t in _TOKEN_NAMES})
    return f", expected {' or '.join(names)}" if names else ""


def _syntax_error(text: str, exc: UnexpectedInput) -> ExpressionError:
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream]
        message = "unterminated string literal" if char == "'" else f"unexpected character {char!r}"
        return ExpressionError(f"Syntax error: {message}", position=exc.pos_in_stream)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return ExpressionError(
            f"Syntax error: unexpected {exc.token.value!r}{_expected(exc)}", position=exc.token.start_pos
        )
    return ExpressionError(f"Syntax error: unexpected end of expression{_expected(exc)}", position=len(text))


@lru_cache(maxsize=2048)
def _parse(text: str) -> Any:
    """The syntax tree of one expression (the text after ``@`` or inside ``@{...}``)."""
    if not text.strip():
        raise ExpressionError("Syntax error: empty expression", position=0)
    try:
        tree: Tree = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        return _ToAst().transform(tree)
    except Exception as exc:  # lark wraps errors raised in transformer callbacks
        inner = getattr(exc, "orig_exc", exc)
        if isinstance(inner, ExpressionError):
            raise inner from None
        raise


# ----------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------


class _Evaluator:
    def __init__(self, scope: Scope, source: str, offset: int):
        self.scope = scope
        self.source = source  # the whole JSON string, shown in error messages
        self.offset = offset  # where the expression starts within it

    def fail(self, exc: ExpressionError, pos: int) -> ExpressionError:
        return exc.located(self.source, self.offset + pos)

    def eval(self, node: Any) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, FunctionCall):
            return self.call(node)
        return self.access(node)

    def call(self, node: FunctionCall) -> Any:
        try:
            spec = resolve(node.name)
            spec.check_arity(len(node.args))
        except ExpressionError as exc:
            raise self.fail(exc, node.pos) from None
        if spec.lazy:
            args: list[Any] = [lambda arg=arg: self.eval(arg) for arg in node.args]
        else:
            args = [self.eval(arg) for arg in node.args]
        try:
            return spec.impl(Call(spec.name, self.scope), *args)
        except ExpressionError as exc:
            raise self.fail(exc, node.pos) from None
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise self.fail(ExpressionError(f"The function '{spec.name}' failed: {exc}"), node.pos) from exc

    def access(self, node: Access) -> Any:
        target = self.eval(node.target)
        key = self.eval(node.key)
        shown = f".{key}" if node.dotted else f"[{preview(key)}]"
        if target is None:
            if node.safe:
                return None
            safe_form = f"?.{key}" if node.dotted else f"?{shown}"
            raise self.fail(
                ExpressionError(f"Cannot select '{shown}' on null (write '{safe_form}' if it may be null)"), node.pos
            )
        if isinstance(target, dict):
            if not isinstance(key, str):
                raise self.fail(
                    ExpressionError(f"An object's properties are selected by name, not by {type_name(key)} {shown}"),
                    node.pos,
                )
            found, value = lookup(target, key)
            if found:
                return value
            if node.safe:
                return None
            available = ", ".join(f"'{k}'" for k in target) or "none"
            raise self.fail(
                ExpressionError(f"The property '{key}' does not exist; available properties: {available}"), node.pos
            )
        if isinstance(target, list):
            if isinstance(key, bool) or not isinstance(key, int):
                raise self.fail(
                    ExpressionError(f"An array's items are selected by an integer index, not by {shown}"), node.pos
                )
            if 0 <= key < len(target):
                return target[key]
            if node.safe:
                return None
            raise self.fail(
                ExpressionError(f"The index {key} is outside the array's bounds (it has {len(target)} items)"),
                node.pos,
            )
        raise self.fail(ExpressionError(f"Cannot select '{shown}' on {type_name(target)} {preview(target)}"), node.pos)


def _evaluate_expression(text: str, scope: Scope, source: str, offset: int) -> Any:
    try:
        tree = _parse(text)
    except ExpressionError as exc:
        raise ExpressionError(exc.message, expression=source, position=offset + (exc.position or 0)) from None
    return _Evaluator(scope, source, offset).eval(tree)


def _closing_brace(text: str, start: int) -> int:
    """The index of the ``}`` that closes the ``@{`` at ``start`` (braces in quoted strings don't count)."""
    in_string = False
    for i in range(start + 2, len(text)):
        ch = text[i]
        if ch == "'":
            in_string = not in_string  # '' (an escaped quote) toggles twice
        elif ch == "}" and not in_string:
            return i
    raise ExpressionError("Syntax error: '@{' is not closed by '}'", expression=text, position=start)


def _evaluate_string(text: str, scope: Scope) -> Any:
    if text.startswith("@") and not text.startswith(("@@", "@{")):
        return _evaluate_expression(text[1:], scope, text, 1)
    if "@" not in text:
        return text
    parts: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("@@", i) and (i == 0 or text.startswith("@@{", i)):
            parts.append("@")  # escape: a leading "@@" and any "@@{" lose one "@"
            i += 2
        elif text.startswith("@{", i):
            end = _closing_brace(text, i)
            parts.append(to_string(_evaluate_expression(text[i + 2 : end], scope, text, i + 2)))
            i = end + 1
        else:
            parts.append(text[i])
            i += 1
    return "".join(parts)


def evaluate(value: Any, scope: Scope) -> Any:
    """Evaluate every expression in ``value`` (a JSON value), as ADF does before running an activity."""
    if isinstance(value, str):
        return _evaluate_string(value, scope)
    if isinstance(value, dict):
        if set(value) == {"value", "type"} and value["type"] == "Expression":
            return evaluate(value["value"], scope)
        return {key: evaluate(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, scope) for item in value]
    return value
