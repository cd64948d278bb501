"""The functions of ADF's expression language, with the semantics Microsoft documents.

Each function is registered by its documented name in ``FUNCTIONS``; names are matched
case-insensitively (``utcnow()`` and ``utcNow()`` are the same function, as in ADF). Values are
plain JSON values: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list`` and ``dict``.

References: "Expressions and functions in Azure Data Factory and Azure Synapse Analytics" and,
where that page is terse, the Workflow Definition Language function reference (Logic Apps), whose
runtime ADF shares.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from insights.local.adf import dotnet_datetime as dt
from insights.local.adf.dotnet_datetime import DateTimeError, DotNetDateTime, Kind

# ----------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------


class ExpressionError(Exception):
    """An expression that cannot be parsed or evaluated.

    ``expression`` is the text that failed and ``position`` (0-based) the character where it failed,
    when known; ``str()`` shows both, with a caret under the position.
    """

    def __init__(self, message: str, *, expression: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.position = position

    def located(self, expression: str, position: int | None) -> ExpressionError:
        """Attach the expression text and position, unless an inner frame already did."""
        if self.expression is None:
            self.expression = expression
            self.position = position
        return self

    def __str__(self) -> str:
        if self.expression is None:
            return self.message
        shown = re.sub(r"\s", " ", self.expression)
        if self.position is None:
            return f"{self.message}\n  in expression: {shown}"
        return (
            f"{self.message} (at character {self.position + 1})\n"
            f"  in expression: {shown}\n"
            f"                 {' ' * self.position}^"
        )


class UnsupportedFunctionError(ExpressionError):
    """A function that ADF does not have, or that this executor does not implement."""

    def __init__(self, function: str, reason: str | None = None, **kwargs: Any):
        message = reason or f"Unknown function '{function}': ADF's expression language has no such function"
        super().__init__(message, **kwargs)
        self.function = function


# ----------------------------------------------------------------------------------------------------
# Values: type names, lookups, string conversion
# ----------------------------------------------------------------------------------------------------


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def preview(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def lookup(mapping: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """Find ``key``: an exact match first, then a case-insensitive one (as ADF's JSON lookups do)."""
    if key in mapping:
        return True, mapping[key]
    lowered = key.lower()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.lower() == lowered:
            return True, value
    return False, None


def format_float(value: float) -> str:
    """``double.ToString()`` in .NET: shortest round-trip digits, "10" for 10.0, "1E+15" for 1e15."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    point = len(text) + int(exponent)  # position of the decimal point within the digit string
    prefix = "-" if sign else ""
    if -4 < point <= 15:  # fixed notation for decimal exponents -5 < e < 15, as .NET
        if point <= 0:
            return f"{prefix}0.{'0' * -point}{text}"
        if point >= len(text):
            return f"{prefix}{text}{'0' * (point - len(text))}"
        return f"{prefix}{text[:point]}.{text[point:]}"
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    exp = point - 1
    return f"{prefix}{mantissa}E{'+' if exp >= 0 else '-'}{abs(exp):02d}"


def to_json_text(value: Any) -> str:
    """Compact JSON, as ADF writes objects and arrays that end up in a string."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_string(value: Any) -> str:
    """How ADF turns a value into text, in ``string()``, ``concat()``, ``join()`` and ``@{...}``.

    null becomes "", booleans "True"/"False" (.NET's ``Boolean.ToString``), floats .NET's shortest
    round-trip form, objects and arrays compact JSON.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, list | dict):
        return to_json_text(value)
    raise ExpressionError(f"A value of type {type(value).__name__} cannot be converted to a string")


# ----------------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call being evaluated: the function's documented name and the scope it runs in."""

    name: str
    scope: Any

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"The function '{self.name}' {message}")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: no upper bound
    lazy: bool = False  # the implementation receives thunks (and, or, if evaluate only what they need)

    def check_arity(self, count: int) -> None:
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            if self.max_args is None:
                expected = f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
            elif self.min_args == self.max_args:
                expected = f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
            else:
                expected = f"{self.min_args} to {self.max_args} arguments"
            raise ExpressionError(f"The function '{self.name}' expects {expected}, but got {count}")


FUNCTIONS: dict[str, FunctionSpec] = {}

# Functions ADF documents that this executor deliberately leaves out, with the reason shown to users.
_BINARY = (
    "returns binary content, which has no JSON representation outside ADF's runtime; "
    "use the string variants (base64ToString, dataUriToString, uriComponentToString) instead"
)
UNSUPPORTED: dict[str, str] = {
    "base64ToBinary": _BINARY,
    "binary": _BINARY,
    "dataUriToBinary": _BINARY,
    "decodeDataUri": _BINARY,
    "uriComponentToBinary": _BINARY,
    "xml": "works on XML documents, which the local executor does not support",
    "xpath": "works on XML documents, which the local executor does not support",
}


def function(name: str, min_args: int, max_args: int | None = -1, *, lazy: bool = False):
    """Register an implementation under its documented name (``max_args=-1``: same as ``min_args``)."""

    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        upper = min_args if max_args == -1 else max_args
        FUNCTIONS[name.lower()] = FunctionSpec(name, impl, min_args, upper, lazy)
        return impl

    return register


def resolve(name: str) -> FunctionSpec:
    """The function called ``name`` (any case), or an ``UnsupportedFunctionError`` naming it."""
    spec = FUNCTIONS.get(name.lower())
    if spec is not None:
        return spec
    for documented, reason in UNSUPPORTED.items():
        if documented.lower() == name.lower():
            raise UnsupportedFunctionError(
                documented, f"The function '{documented}' is not supported by the local executor: it {reason}"
            )
    raise UnsupportedFunctionError(name)


# -- argument helpers --------------------------------------------------------------------------------


def _str(call: Call, value: Any, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise call.error(f"expects {what}, but got {type_name(value)} {preview(value)}")
    return value


def _int(call: Call, value: Any, what: str = "an integer") -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise call.error(f"expects {what}, but got {type_name(value)} {preview(value)}")
    return value


def _number(call: Call, value: Any) -> int | float:
    if not is_number(value):
        raise call.error(f"expects numbers, but got {type_name(value)} {preview(value)}")
    return value


def _bool(call: Call, value: Any) -> bool:
    if not isinstance(value, bool):
        raise call.error(f"expects boolean values, but got {type_name(value)} {preview(value)}")
    return value


def _collection(call: Call, value: Any, kinds: tuple[type, ...] = (str, list)) -> Any:
    if not isinstance(value, kinds):
        names = " or ".join({str: "a string", list: "an array", dict: "an object"}[k] for k in kinds)
        raise call.error(f"expects {names}, but got {type_name(value)} {preview(value)}")
    return value


def _timestamp(call: Call, value: Any) -> DotNetDateTime:
    try:
        return dt.parse_timestamp(_str(call, value, "a timestamp string"))
    except DateTimeError as exc:
        raise call.error(f"cannot read its timestamp: {exc}") from exc


def _format(call: Call, value: DotNetDateTime, fmt: Any = None) -> str:
    if fmt is not None:
        _str(call, fmt, "a format string")
    try:
        return dt.format_datetime(value, fmt)
    except DateTimeError as exc:
        raise call.error(f"cannot format the timestamp: {exc}") from exc


def _now(call: Call) -> DotNetDateTime:
    return DotNetDateTime.from_datetime(call.scope.utc_now())


def _apply(call: Call, action: Callable[[], DotNetDateTime]) -> DotNetDateTime:
    try:
        return action()
    except DateTimeError as exc:
        raise call.error(str(exc)) from exc


# ----------------------------------------------------------------------------------------------------
# String functions
# ----------------------------------------------------------------------------------------------------


@function("concat", 1, None)
def _concat(call: Call, *values: Any) -> str:
    for value in values:
        if isinstance(value, list | dict):
            raise call.error(
                f"combines strings, but got {type_name(value)} {preview(value)}; "
                "use string() to embed it as JSON, or union() to combine arrays"
            )
    return "".join(to_string(v) for v in values)


@function("endsWith", 2)
def _ends_with(call: Call, text: Any, search: Any) -> bool:
    return _str(call, text).lower().endswith(_str(call, search).lower())  # not case-sensitive


@function("startsWith", 2)
def _starts_with(call: Call, text: Any, search: Any) -> bool:
    return _str(call, text).lower().startswith(_str(call, search).lower())  # not case-sensitive


@function("guid", 0, 1)
def _guid(call: Call, fmt: Any = "D") -> str:
    value = uuid.uuid4()
    spec = _str(call, fmt, "a GUID format ('N', 'D', 'B', 'P' or 'X')").upper() or "D"
    text = str(value)
    if spec == "D":
        return text
    if spec == "N":
        return value.hex
    if spec == "B":
        return "{" + text + "}"
    if spec == "P":
        return "(" + text + ")"
    if spec == "X":
        h = value.hex
        tail = ",".join(f"0x{h[i : i + 2]}" for i in range(16, 32, 2))
        return f"{{0x{h[0:8]},0x{h[8:12]},0x{h[12:16]},{{{tail}}}}}"
    raise call.error(f"takes the format 'N', 'D', 'B', 'P' or 'X', but got {fmt!r}")


@function("indexOf", 2)
def _index_of(call: Call, text: Any, search: Any) -> int:
    text, search = _str(call, text), _str(call, search)
    match = re.search(re.escape(search), text, re.IGNORECASE)  # not case-sensitive
    return match.start() if match else -1


@function("lastIndexOf", 2)
def _last_index_of(call: Call, text: Any, search: Any) -> int:
    text, search = _str(call, text), _str(call, search)
    if search == "":
        # Documented: both empty -> 0; only the string empty -> -1; only the substring empty -> length - 1.
        return 0 if text == "" else len(text) - 1
    starts = [m.start() for m in re.finditer(f"(?={re.escape(search)})", text, re.IGNORECASE)]
    return starts[-1] if starts else -1


@function("replace", 3)
def _replace(call: Call, text: Any, old: Any, new: Any) -> str:
    text, old, new = _str(call, text), _str(call, old), _str(call, new)
    if old == "":
        raise call.error("cannot replace an empty string")
    return text.replace(old, new)  # case-sensitive


@function("split", 2)
def _split(call: Call, text: Any, delimiter: Any) -> list[str]:
    text, delimiter = _str(call, text), _str(call, delimiter)
    return text.split(delimiter) if delimiter else [text]


@function("substring", 2, 3)
def _substring(call: Call, text: Any, start: Any, length: Any = None) -> str:
    text = _str(call, text)
    start = _int(call, start, "an integer start index")
    if not 0 <= start <= len(text):
        raise call.error(f"got start index {start}, outside the string of length {len(text)}")
    if length is None:
        return text[start:]
    length = _int(call, length, "an integer length")
    if length < 0 or start + length > len(text):
        raise call.error(
            f"got start index {start} and length {length}, which run past the end of the string "
            f"(length {len(text)}); the sum must not exceed the string's length"
        )
    return text[start : start + length]


@function("toLower", 1)
def _to_lower(call: Call, text: Any) -> str:
    return _str(call, text).lower()


@function("toUpper", 1)
def _to_upper(call: Call, text: Any) -> str:
    return _str(call, text).upper()


@function("trim", 1)
def _trim(call: Call, text: Any) -> str:
    return _str(call, text).strip()


# ----------------------------------------------------------------------------------------------------
# Collection functions
# ----------------------------------------------------------------------------------------------------


@function("contains", 2)
def _contains(call: Call, collection: Any, value: Any) -> bool:
    collection = _collection(call, collection, (str, list, dict))
    if isinstance(collection, str):
        return _str(call, value, "a string to look for in a string") in collection  # case-sensitive
    if isinstance(collection, dict):
        return _str(call, value, "a key (string) to look for in an object") in collection
    return any(item == value for item in collection)


@function("empty", 1)
def _empty(call: Call, collection: Any) -> bool:
    if collection is None:
        return True
    return len(_collection(call, collection, (str, list, dict))) == 0


@function("first", 1)
def _first(call: Call, collection: Any) -> Any:
    collection = _collection(call, collection)
    return collection[0] if collection else None


@function("last", 1)
def _last(call: Call, collection: Any) -> Any:
    collection = _collection(call, collection)
    return collection[-1] if collection else None


@function("length", 1)
def _length(call: Call, collection: Any) -> int:
    return len(_collection(call, collection, (str, list, dict)))


@function("skip", 2)
def _skip(call: Call, collection: Any, count: Any) -> Any:
    collection = _collection(call, collection)
    return collection[max(_int(call, count, "an integer count"), 0) :]


@function("take", 2)
def _take(call: Call, collection: Any, count: Any) -> Any:
    collection = _collection(call, collection)
    return collection[: max(_int(call, count, "an integer count"), 0)]


@function("join", 2)
def _join(call: Call, collection: Any, delimiter: Any) -> str:
    collection = _collection(call, collection, (list,))
    return _str(call, delimiter, "a string delimiter").join(to_string(item) for item in collection)


def _same_kind(call: Call, collections: tuple[Any, ...]) -> type:
    kinds = {type(_collection(call, c, (list, dict))) for c in collections}
    if len(kinds) > 1:
        raise call.error("takes arrays or objects, but not both")
    return kinds.pop()


def _unique(items: list[Any]) -> list[Any]:
    result: list[Any] = []
    for item in items:
        if not any(item == seen and type_name(item) == type_name(seen) for seen in result):
            result.append(item)
    return result


@function("union", 1, None)
def _union(call: Call, *collections: Any) -> Any:
    if _same_kind(call, collections) is dict:
        merged: dict[str, Any] = {}
        for collection in collections:
            merged.update(collection)  # the last item with a name wins
        return merged
    return _unique([item for collection in collections for item in collection])


@function("intersection", 1, None)
def _intersection(call: Call, *collections: Any) -> Any:
    if _same_kind(call, collections) is dict:
        keys = [k for k in collections[0] if all(k in c for c in collections[1:])]
        return {k: collections[-1][k] for k in keys}  # the last item with a name wins
    first, rest = collections[0], collections[1:]
    return _unique([item for item in first if all(item in other for other in rest)])


# ----------------------------------------------------------------------------------------------------
# Logical functions (and, or and if evaluate their arguments lazily, left to right)
# ----------------------------------------------------------------------------------------------------


@function("and", 1, None, lazy=True)
def _and(call: Call, *thunks: Callable[[], Any]) -> bool:
    return all(_bool(call, thunk()) for thunk in thunks)


@function("or", 1, None, lazy=True)
def _or(call: Call, *thunks: Callable[[], Any]) -> bool:
    return any(_bool(call, thunk()) for thunk in thunks)


@function("if", 3, lazy=True)
def _if(call: Call, condition: Callable[[], Any], if_true: Callable[[], Any], if_false: Callable[[], Any]) -> Any:
    return if_true() if _bool(call, condition()) else if_false()


@function("not", 1)
def _not(call: Call, value: Any) -> bool:
    return not _bool(call, value)


@function("equals", 2)
def _equals(call: Call, left: Any, right: Any) -> bool:
    # Numbers compare by value (1 == 1.0) and, as documented, equals(true, 1) is true.
    return bool(left == right)


def _comparable(call: Call, left: Any, right: Any) -> tuple[Any, Any]:
    if is_number(left) and is_number(right):
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right  # ordinal comparison
    raise call.error(
        f"compares two numbers or two strings, but got {type_name(left)} {preview(left)} "
        f"and {type_name(right)} {preview(right)}"
    )


@function("greater", 2)
def _greater(call: Call, left: Any, right: Any) -> bool:
    a, b = _comparable(call, left, right)
    return a > b


@function("greaterOrEquals", 2)
def _greater_or_equals(call: Call, left: Any, right: Any) -> bool:
    a, b = _comparable(call, left, right)
    return a >= b


@function("less", 2)
def _less(call: Call, left: Any, right: Any) -> bool:
    a, b = _comparable(call, left, right)
    return a < b


@function("lessOrEquals", 2)
def _less_or_equals(call: Call, left: Any, right: Any) -> bool:
    a, b = _comparable(call, left, right)
    return a <= b


# ----------------------------------------------------------------------------------------------------
# Conversion functions
# ----------------------------------------------------------------------------------------------------


@function("array", 1)
def _array(call: Call, value: Any) -> list[Any]:
    return [value]


@function("createArray", 0, None)
def _create_array(call: Call, *values: Any) -> list[Any]:
    return list(values)


@function("coalesce", 1, None)
def _coalesce(call: Call, *values: Any) -> Any:
    return next((v for v in values if v is not None), None)


@function("base64", 1)
def _base64(call: Call, value: Any) -> str:
    return base64.b64encode(_str(call, value).encode("utf-8")).decode("ascii")


def _decode_base64(call: Call, value: Any) -> str:
    try:
        return base64.b64decode(_str(call, value), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise call.error(f"got {preview(value)}, which is not base64-encoded UTF-8 text") from exc


@function("base64ToString", 1)
def _base64_to_string(call: Call, value: Any) -> str:
    return _decode_base64(call, value)


@function("decodeBase64", 1)
def _decode_base64_fn(call: Call, value: Any) -> str:
    return _decode_base64(call, value)


@function("bool", 1)
def _bool_fn(call: Call, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if is_number(value):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise call.error(f"cannot convert {type_name(value)} {preview(value)} to a boolean")


@function("dataUri", 1)
def _data_uri(call: Call, value: Any) -> str:
    return "data:text/plain;charset=utf-8;base64," + _base64(call, value)


@function("dataUriToString", 1)
def _data_uri_to_string(call: Call, value: Any) -> str:
    text = _str(call, value, "a data URI")
    match = re.match(r"^data:([^,]*?)(;base64)?,(.*)$", text, re.DOTALL)
    if not match:
        raise call.error(f"got {preview(text)}, which is not a data URI (data:[<media type>][;base64],<data>)")
    charset = re.search(r"charset=([^;]+)", match.group(1))
    encoding = charset.group(1) if charset else "utf-8"
    try:
        raw = base64.b64decode(match.group(3), validate=True) if match.group(2) else unquote(match.group(3)).encode()
        return raw.decode(encoding)
    except (binascii.Error, UnicodeDecodeError, LookupError) as exc:
        raise call.error(f"cannot decode the data URI {preview(text)}: {exc}") from exc


@function("uriComponent", 1)
def _uri_component(call: Call, value: Any) -> str:
    return quote(_str(call, value), safe="")  # Uri.EscapeDataString: all but A-Z a-z 0-9 - _ . ~


@function("encodeUriComponent", 1)
def _encode_uri_component(call: Call, value: Any) -> str:
    return _uri_component(call, value)


@function("uriComponentToString", 1)
def _uri_component_to_string(call: Call, value: Any) -> str:
    return unquote(_str(call, value))


@function("decodeUriComponent", 1)
def _decode_uri_component(call: Call, value: Any) -> str:
    return unquote(_str(call, value))


@function("float", 1)
def _float(call: Call, value: Any) -> float:
    if is_number(value):
        return float(value)
    text = _str(call, value, "a string holding a floating-point number")
    if not re.fullmatch(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", text):
        raise call.error(f"cannot convert {preview(text)} to a floating-point number")
    return float(text)


@function("int", 1)
def _int_fn(call: Call, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise call.error(f"cannot convert the float {format_float(value)} to an integer")
    text = _str(call, value, "a string holding an integer")
    if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
        raise call.error(f"cannot convert {preview(text)} to an integer")
    return int(text)


@function("json", 1)
def _json(call: Call, value: Any) -> Any:
    if value is None:
        return {}  # documented: "If the string is null, the function returns an empty object"
    if not isinstance(value, str):
        return value  # already a JSON value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise call.error(f"cannot parse {preview(value)} as JSON: {exc.msg} at character {exc.pos + 1}") from exc


@function("string", 1)
def _string(call: Call, value: Any) -> str:
    return to_string(value)


# ----------------------------------------------------------------------------------------------------
# Math functions
# ----------------------------------------------------------------------------------------------------


@function("add", 2)
def _add(call: Call, left: Any, right: Any) -> int | float:
    return _number(call, left) + _number(call, right)


@function("sub", 2)
def _sub(call: Call, left: Any, right: Any) -> int | float:
    return _number(call, left) - _number(call, right)


@function("mul", 2)
def _mul(call: Call, left: Any, right: Any) -> int | float:
    return _number(call, left) * _number(call, right)


@function("div", 2)
def _div(call: Call, dividend: Any, divisor: Any) -> int | float:
    a, b = _number(call, dividend), _number(call, divisor)
    if b == 0:
        raise call.error("cannot divide by zero")
    if isinstance(a, int) and isinstance(b, int):
        quotient = abs(a) // abs(b)  # integer division truncates toward zero, as in C#
        return quotient if (a >= 0) == (b >= 0) else -quotient
    return a / b


@function("mod", 2)
def _mod(call: Call, dividend: Any, divisor: Any) -> int | float:
    a, b = _number(call, dividend), _number(call, divisor)
    if b == 0:
        raise call.error("cannot divide by zero")
    if isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)  # the remainder takes the dividend's sign, as in C#
        return remainder if a >= 0 else -remainder
    return math.fmod(a, b)


def _numbers(call: Call, values: tuple[Any, ...]) -> list[int | float]:
    if len(values) == 1 and isinstance(values[0], list):
        values = tuple(values[0])
    if not values:
        raise call.error("needs at least one number")
    return [_number(call, v) for v in values]


@function("max", 1, None)
def _max(call: Call, *values: Any) -> int | float:
    return max(_numbers(call, values))


@function("min", 1, None)
def _min(call: Call, *values: Any) -> int | float:
    return min(_numbers(call, values))


@function("rand", 2)
def _rand(call: Call, low: Any, high: Any) -> int:
    low, high = _int(call, low), _int(call, high)
    if low > high:
        raise call.error(f"needs minValue <= maxValue, but got {low} and {high}")
    return low if low == high else random.randrange(low, high)  # maxValue is exclusive


@function("range", 2)
def _range(call: Call, start: Any, count: Any) -> list[int]:
    start, count = _int(call, start), _int(call, count)
    if not 0 <= count <= 100_000:
        raise call.error(f"needs a count from 0 to 100,000, but got {count}")
    return list(range(start, start + count))


# ----------------------------------------------------------------------------------------------------
# Date functions
# ----------------------------------------------------------------------------------------------------

_UNIT_TICKS = {
    "second": dt.TICKS_PER_SECOND,
    "minute": dt.TICKS_PER_MINUTE,
    "hour": dt.TICKS_PER_HOUR,
    "day": dt.TICKS_PER_DAY,
    "week": 7 * dt.TICKS_PER_DAY,
}


def _shift(call: Call, value: DotNetDateTime, interval: Any, unit: str) -> DotNetDateTime:
    key = unit.lower()
    if key in ("month", "year"):
        months = _int(call, interval, "an integer interval") * (12 if key == "year" else 1)
        return _apply(call, lambda: value.add_months(months))
    if key not in _UNIT_TICKS:
        raise call.error(
            f"takes the time unit 'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month' or 'Year', but got {unit!r}"
        )
    if not is_number(interval):
        raise call.error(f"expects a number of {key}s, but got {type_name(interval)} {preview(interval)}")
    ticks = round(interval * _UNIT_TICKS[key])
    return _apply(call, lambda: value.add_ticks(ticks))


def _adder(name: str, unit: str) -> None:
    @function(name, 2, 3)
    def add_unit(call: Call, timestamp: Any, interval: Any, fmt: Any = None) -> str:
        return _format(call, _shift(call, _timestamp(call, timestamp), interval, unit), fmt)


for _name, _unit in (("addDays", "day"), ("addHours", "hour"), ("addMinutes", "minute"), ("addSeconds", "second")):
    _adder(_name, _unit)


@function("addToTime", 3, 4)
def _add_to_time(call: Call, timestamp: Any, interval: Any, unit: Any, fmt: Any = None) -> str:
    value = _shift(call, _timestamp(call, timestamp), interval, _str(call, unit, "a time unit"))
    return _format(call, value, fmt)


@function("subtractFromTime", 3, 4)
def _subtract_from_time(call: Call, timestamp: Any, interval: Any, unit: Any, fmt: Any = None) -> str:
    value = _shift(call, _timestamp(call, timestamp), -_number(call, interval), _str(call, unit, "a time unit"))
    return _format(call, value, fmt)


@function("getFutureTime", 2, 3)
def _get_future_time(call: Call, interval: Any, unit: Any, fmt: Any = None) -> str:
    return _format(call, _shift(call, _now(call), interval, _str(call, unit, "a time unit")), fmt)


@function("getPastTime", 2, 3)
def _get_past_time(call: Call, interval: Any, unit: Any, fmt: Any = None) -> str:
    value = _shift(call, _now(call), -_number(call, interval), _str(call, unit, "a time unit"))
    return _format(call, value, fmt)


@function("utcNow", 0, 1)
def _utc_now(call: Call, fmt: Any = None) -> str:
    return _format(call, _now(call), fmt)


@function("formatDateTime", 1, 2)
def _format_date_time(call: Call, timestamp: Any, fmt: Any = None) -> str:
    return _format(call, _timestamp(call, timestamp), fmt)


@function("startOfDay", 1, 2)
def _start_of_day(call: Call, timestamp: Any, fmt: Any = None) -> str:
    return _format(call, _timestamp(call, timestamp).start_of_day(), fmt)


@function("startOfHour", 1, 2)
def _start_of_hour(call: Call, timestamp: Any, fmt: Any = None) -> str:
    return _format(call, _timestamp(call, timestamp).start_of_hour(), fmt)


@function("startOfMonth", 1, 2)
def _start_of_month(call: Call, timestamp: Any, fmt: Any = None) -> str:
    return _format(call, _timestamp(call, timestamp).start_of_month(), fmt)


@function("dayOfMonth", 1)
def _day_of_month(call: Call, timestamp: Any) -> int:
    return _timestamp(call, timestamp).day


@function("dayOfWeek", 1)
def _day_of_week(call: Call, timestamp: Any) -> int:
    return _timestamp(call, timestamp).day_of_week  # Sunday is 0


@function("dayOfYear", 1)
def _day_of_year(call: Call, timestamp: Any) -> int:
    return _timestamp(call, timestamp).day_of_year


@function("ticks", 1)
def _ticks(call: Call, timestamp: Any) -> int:
    return _timestamp(call, timestamp).ticks  # 100-ns intervals since 0001-01-01T00:00:00


def _zoned(call: Call, value: DotNetDateTime, source_zone: str) -> DotNetDateTime:
    """The timestamp as a wall-clock time in ``source_zone``."""
    if value.kind is Kind.UTC and not dt.is_utc_zone(source_zone):
        raise call.error(
            f"got a timestamp that already names its zone (Z or an offset) with the source time zone "
            f"'{source_zone}'; pass the local time without a zone, or use convertFromUtc"
        )
    return value.with_kind(Kind.UNSPECIFIED)


@function("convertFromUtc", 2, 3)
def _convert_from_utc(call: Call, timestamp: Any, zone: Any, fmt: Any = None) -> str:
    value = _timestamp(call, timestamp)  # a timestamp without a zone is read as UTC
    converted = _apply(call, lambda: dt.utc_to_zone(value, _str(call, zone, "a time zone name")))
    return _format(call, converted, fmt)


@function("convertToUtc", 2, 3)
def _convert_to_utc(call: Call, timestamp: Any, zone: Any, fmt: Any = None) -> str:
    zone = _str(call, zone, "a time zone name")
    value = _zoned(call, _timestamp(call, timestamp), zone)
    return _format(call, _apply(call, lambda: dt.zone_to_utc(value, zone)), fmt)


@function("convertTimeZone", 3, 4)
def _convert_time_zone(call: Call, timestamp: Any, source: Any, destination: Any, fmt: Any = None) -> str:
    source = _str(call, source, "a source time zone name")
    destination = _str(call, destination, "a destination time zone name")
    value = _zoned(call, _timestamp(call, timestamp), source)
    utc = _apply(call, lambda: dt.zone_to_utc(value, source))
    return _format(call, _apply(call, lambda: dt.utc_to_zone(utc, destination)), fmt)


# ----------------------------------------------------------------------------------------------------
# Pipeline context: pipeline(), activity(), variables(), item(), dataset(), linkedService()
# ----------------------------------------------------------------------------------------------------


def _named(call: Call, kind: str, mapping: Mapping[str, Any], name: Any) -> Any:
    name = _str(call, name, f"the name of a{'n' if kind[0] in 'aeiou' else ''} {kind}")
    found, value = lookup(mapping, name)
    if not found:
        known = ", ".join(sorted(mapping)) or "none"
        raise ExpressionError(f"The {kind} '{name}' does not exist (known: {known})")
    return value


@function("pipeline", 0)
def _pipeline(call: Call) -> dict[str, Any]:
    scope = call.scope
    return {**scope.system, "parameters": scope.parameters, "globalParameters": scope.global_parameters}


@function("activity", 1)
def _activity(call: Call, name: Any) -> Any:
    return _named(call, "activity", call.scope.activities, name)


@function("variables", 1)
def _variables(call: Call, name: Any) -> Any:
    return _named(call, "variable", call.scope.variables, name)


@function("item", 0)
def _item(call: Call) -> Any:
    if not call.scope.has_item:
        raise ExpressionError("item() is only available inside a ForEach activity's iterations")
    return call.scope.item


@function("dataset", 0)
def _dataset(call: Call) -> Any:
    if call.scope.dataset is None:
        raise ExpressionError("dataset() is only available in a dataset's definition")
    return call.scope.dataset


@function("linkedService", 0)
def _linked_service(call: Call) -> Any:
    if call.scope.linked_service is None:
        raise ExpressionError("linkedService() is only available in a linked service's definition")
    return call.scope.linked_service
