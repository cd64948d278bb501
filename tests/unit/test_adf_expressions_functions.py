"""ADF expression functions against the examples in Microsoft's documentation.

ADF: "Expressions and functions in Azure Data Factory and Azure Synapse Analytics",
https://learn.microsoft.com/azure/data-factory/control-flow-expression-language-functions
WDL: "Reference guide to workflow expression functions" (Logic Apps, the same runtime), used where the
ADF page is terse or its example is a typo,
https://learn.microsoft.com/azure/logic-apps/workflow-definition-language-functions-reference

Each row is an example from those pages, with the result they state (notes mark where a page is
wrong and the other page, or arithmetic, gives the right value).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from insights.local.adf.expressions import ExpressionError, Scope, UnsupportedFunctionError, evaluate
from insights.local.adf.functions import format_float


def ev(expression: str, scope: Scope | None = None) -> Any:
    return evaluate("@" + expression, scope or Scope())


DOC_EXAMPLES = [
    # --- string functions (ADF) ---
    ("concat('Hello', 'World')", "HelloWorld"),
    ("endsWith('hello world', 'world')", True),
    ("endsWith('hello world', 'universe')", False),
    ("endsWith('hello world', 'WORLD')", True),  # documented: not case-sensitive
    ("indexOf('hello world', 'world')", 6),
    ("indexOf('hello world', 'WORLD')", 6),  # documented: not case-sensitive
    ("indexOf('hello world', 'universe')", -1),  # documented: -1 when not found
    ("lastIndexOf('hello world', 'world')", 6),
    ("lastIndexOf('hello world hello world', 'world')", 18),  # WDL
    ("lastIndexOf('hello world hello world', '')", 22),  # WDL: length - 1 for an empty substring
    ("lastIndexOf('', '')", 0),  # WDL: both empty
    ("lastIndexOf('', 'a')", -1),  # WDL: only the string empty
    ("replace('the old string', 'old', 'new')", "the new string"),
    ("split('a_b_c', '_')", ["a", "b", "c"]),
    ("split('a_b_c', ' ')", ["a_b_c"]),  # WDL example 2
    ("startsWith('hello world', 'hello')", True),
    ("startsWith('hello world', 'greetings')", False),
    ("substring('hello world', 6, 5)", "world"),
    ("substring('hello world', 6)", "world"),  # WDL: the length is optional
    ("toLower('Hello World')", "hello world"),
    ("toUpper('Hello World')", "HELLO WORLD"),
    ("trim(' Hello World  ')", "Hello World"),
    # --- collection functions ---
    ("contains('hello world', 'world')", True),
    ("contains('hello world', 'universe')", False),
    ("contains('hello world', 'World')", False),  # documented: case-sensitive
    ("contains(createArray('a', 'b'), 'b')", True),  # an array: a value
    ("contains(json('{\"a\": 1}'), 'a')", True),  # a dictionary: a key
    ("empty('')", True),
    ("empty('abc')", False),
    ("first('hello')", "h"),
    ("first(createArray(0, 1, 2))", 0),
    ("intersection(createArray(1, 2, 3), createArray(101, 2, 1, 10), createArray(6, 8, 1, 2))", [1, 2]),
    ("join(createArray('a', 'b', 'c'), '.')", "a.b.c"),
    ("last('abcd')", "d"),
    ("last(createArray(0, 1, 2, 3))", 3),
    ("length('abcd')", 4),
    ("length(createArray(0, 1, 2, 3))", 4),
    ("skip(createArray(0, 1, 2, 3), 1)", [1, 2, 3]),
    ("take('abcde', 3)", "abc"),
    ("take(createArray(0, 1, 2, 3, 4), 3)", [0, 1, 2]),
    ("union(createArray(1, 2, 3), createArray(1, 2, 10, 101))", [1, 2, 3, 10, 101]),
    # --- logical functions ---
    ("and(true, true)", True),
    ("and(false, true)", False),
    ("and(false, false)", False),
    ("and(equals(1, 1), equals(2, 2))", True),
    ("and(equals(1, 1), equals(1, 2))", False),
    ("and(equals(1, 2), equals(1, 3))", False),
    ("equals(true, 1)", True),
    ("equals('abc', 'abcd')", False),
    ("greater(10, 5)", True),
    ("greater('apple', 'banana')", False),
    ("greaterOrEquals(5, 5)", True),
    ("greaterOrEquals('apple', 'banana')", False),
    ("if(equals(1, 1), 'yes', 'no')", "yes"),
    ("less(5, 10)", True),
    ("less('banana', 'apple')", False),
    ("lessOrEquals(10, 10)", True),
    ("lessOrEquals('apply', 'apple')", False),
    ("not(false)", True),
    ("not(true)", False),
    ("not(equals(1, 2))", True),
    ("not(equals(1, 1))", False),
    ("or(true, false)", True),
    ("or(false, false)", False),
    ("or(equals(1, 1), equals(1, 2))", True),
    ("or(equals(1, 2), equals(1, 3))", False),
    # --- conversion functions ---
    ("array('hello')", ["hello"]),
    ("base64('hello')", "aGVsbG8="),
    ("base64ToString('aGVsbG8=')", "hello"),
    ("bool(1)", True),
    ("bool(0)", False),
    ("bool(-1)", True),  # WDL
    ("bool('true')", True),  # WDL
    ("bool('false')", False),  # WDL
    ("coalesce(null, true, false)", True),
    ("coalesce(null, 'hello', 'world')", "hello"),
    ("coalesce(null, null, null)", None),
    ("createArray('h', 'e', 'l', 'l', 'o')", ["h", "e", "l", "l", "o"]),
    ("dataUri('hello')", "data:text/plain;charset=utf-8;base64,aGVsbG8="),
    ("dataUriToString('data:text/plain;charset=utf-8;base64,aGVsbG8=')", "hello"),
    ("decodeBase64('aGVsbG8=')", "hello"),
    # ADF's page decodes 'http%3A...' to "https://..." (a typo); WDL's example is consistent:
    ("decodeUriComponent('https%3A%2F%2Fcontoso.com')", "https://contoso.com"),
    ("encodeUriComponent('https://contoso.com')", "https%3A%2F%2Fcontoso.com"),  # WDL (ADF: typo "http%3A")
    ("float('10.333')", 10.333),
    ("int('10')", 10),
    ("json('[1, 2, 3]')", [1, 2, 3]),
    ('json(\'{"fullName": "Sophia Owen"}\')', {"fullName": "Sophia Owen"}),
    ("string(10)", "10"),
    # The page writes the object as a literal (not valid syntax) and shows it spaced; ADF writes compact JSON.
    ('string(json(\'{ "name": "Sophie Owen" }\'))', '{"name":"Sophie Owen"}'),
    ("uriComponent('https://contoso.com')", "https%3A%2F%2Fcontoso.com"),  # WDL (ADF: typo "http%3A")
    ("uriComponentToString('https%3A%2F%2Fcontoso.com')", "https://contoso.com"),
    # --- math functions ---
    ("add(1, 1.5)", 2.5),
    ("div(10, 5)", 2),
    ("div(11, 5)", 2),
    ("div(11, 5.0)", 2.2),  # WDL: a float operand gives a float result
    ("div(11.0, 5)", 2.2),  # WDL
    ("max(1, 2, 3)", 3),
    ("max(createArray(1, 2, 3))", 3),
    ("min(1, 2, 3)", 1),
    ("min(createArray(1, 2, 3))", 1),
    ("mod(3, 2)", 1),
    ("mul(1, 2)", 2),
    ("mul(1.5, 2)", 3),
    ("range(1, 4)", [1, 2, 3, 4]),
    ("sub(10.3, .3)", 10),
]


@pytest.mark.parametrize(("expression", "expected"), DOC_EXAMPLES, ids=[e for e, _ in DOC_EXAMPLES])
def test_documented_example(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected_type"),
    [
        ("div(11, 5)", int),
        ("div(11, 5.0)", float),
        ("add(1, 2)", int),
        ("add(1, 1.5)", float),
        ("mod(7, 2)", int),
        ("int('10')", int),
        ("float('10')", float),
    ],
)
def test_integer_and_float_results_keep_their_type(expression: str, expected_type: type) -> None:
    assert type(ev(expression)) is expected_type


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("div(-7, 2)", -3),  # C# truncates toward zero
        ("mod(-7, 2)", -1),  # C#: the remainder has the dividend's sign
        ("mod(7.5, 2)", 1.5),
    ],
)
def test_integer_division_follows_csharp(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


def test_rand_returns_a_number_from_the_documented_range() -> None:
    # ADF: rand(1, 5) "returns one of these numbers as the result: 1, 2, 3, or 4"
    assert {ev("rand(1, 5)") for _ in range(200)} <= {1, 2, 3, 4}


@pytest.mark.parametrize(
    ("fmt", "pattern"),
    [
        ("", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),  # default "D"
        ("'N'", r"[0-9a-f]{32}"),
        ("'D'", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("'B'", r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}"),
        # ADF: guid('P') -> "(c2ecc88d-88c8-4096-912c-d6f2e2b138ce)"
        ("'P'", r"\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)"),
        ("'X'", r"\{0x[0-9a-f]{8},0x[0-9a-f]{4},0x[0-9a-f]{4},\{(0x[0-9a-f]{2},){7}0x[0-9a-f]{2}\}\}"),
    ],
)
def test_guid_formats(fmt: str, pattern: str) -> None:
    assert re.fullmatch(pattern, ev(f"guid({fmt})"))


def test_guids_are_unique() -> None:
    assert ev("guid()") != ev("guid()")


def test_escaping_single_quotes_example() -> None:
    # ADF, "Escaping single quote character"
    assert ev("concat('Baba', '''s ', 'book store')") == "Baba's book store"


def test_replacing_special_characters_example() -> None:
    # ADF, "Replacing special characters": remove a newline through URL encoding.
    scope = Scope(variables={"companyName": "Contoso-\nCorporation"})
    expression = "uriComponentToString(replace(uriComponent(variables('companyName')), '%0A', ''))"
    assert ev(expression, scope) == "Contoso-Corporation"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("string(true)", "True"),  # .NET Boolean.ToString
        ("string(null)", ""),  # WDL: null becomes an empty string
        ("string(2.5)", "2.5"),
        ("string(mul(1.5, 2))", "3"),  # .NET prints the double 3.0 as "3"
        ("string(createArray(1, 'a', true, null))", '[1,"a",true,null]'),
        ("concat('n=', 1, ' ok=', true)", "n=1 ok=True"),
        ("concat(0.016666666666666666, 'test')", "0.016666666666666666test"),
        ("join(createArray(1, 2.5, 'x'), '-')", "1-2.5-x"),
    ],
)
def test_values_become_text_as_in_adf(expression: str, expected: str) -> None:
    assert ev(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('union(json(\'{"a": 1, "b": 2}\'), json(\'{"b": 3, "c": 4}\'))', {"a": 1, "b": 3, "c": 4}),
        ('intersection(json(\'{"a": 1, "b": 2}\'), json(\'{"b": 3, "c": 4}\'))', {"b": 3}),
        ("union(createArray(json('{\"a\": 1}')), createArray(json('{\"a\": 1}')))", [{"a": 1}]),
        ("empty(json('{}'))", True),
        ("empty(null)", True),
        ("first(createArray())", None),
        ("take(createArray(1, 2), 5)", [1, 2]),
        ("skip('abcd', 2)", "cd"),
        ("length(json('{\"a\": 1}'))", 1),
    ],
)
def test_collections_of_objects_and_edges(expression: str, expected: Any) -> None:
    assert ev(expression) == expected


def test_and_or_if_evaluate_lazily_left_to_right() -> None:
    # WDL: "Parameters are evaluated from left to right"; ADF short-circuits and/or and evaluates
    # only the branch if() takes, so a missing parameter in the other branch is no error.
    scope = Scope(parameters={"a": "x"})
    assert ev("or(equals(pipeline().parameters.a, 'x'), equals(pipeline().parameters.b, 'y'))", scope) is True
    assert ev("and(equals(pipeline().parameters.a, 'z'), equals(pipeline().parameters.b, 'y'))", scope) is False
    assert ev("if(equals(1, 1), 'left', pipeline().parameters.b)", scope) == "left"
    with pytest.raises(ExpressionError, match="'b' does not exist"):
        ev("if(equals(1, 2), 'left', pipeline().parameters.b)", scope)


def test_function_names_are_case_insensitive() -> None:
    assert ev("toupper('a')") == ev("TOUPPER('a')") == "A"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("substring('hello', 1, 10)", "The function 'substring' got start index 1 and length 10"),
        ("substring('hello')", "The function 'substring' expects 2 to 3 arguments, but got 1"),
        ("add(1)", "The function 'add' expects 2 arguments, but got 1"),
        ("add(1, 'a')", "The function 'add' expects numbers, but got string 'a'"),
        ("toLower(1)", "The function 'toLower' expects a string, but got integer 1"),
        ("int('ten')", "The function 'int' cannot convert 'ten' to an integer"),
        ("json('{oops')", "The function 'json' cannot parse '{oops' as JSON"),
        ("not('yes')", "The function 'not' expects boolean values, but got string 'yes'"),
        ("div(1, 0)", "The function 'div' cannot divide by zero"),
        ("greater(1, 'a')", "The function 'greater' compares two numbers or two strings"),
        ("base64ToString('***')", "The function 'base64ToString' got '\\*\\*\\*', which is not base64"),
        ("concat('a', createArray(1))", "The function 'concat' combines strings, but got array"),
        ("union(createArray(1), json('{}'))", "The function 'union' takes arrays or objects, but not both"),
        ("range(0, -1)", "The function 'range' needs a count from 0 to 100,000"),
        ("guid('Q')", "The function 'guid' takes the format 'N', 'D', 'B', 'P' or 'X'"),
    ],
)
def test_wrong_arguments_name_the_function(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        ev(expression)


@pytest.mark.parametrize("name", ["xml", "xpath", "binary", "base64ToBinary", "dataUriToBinary", "decodeDataUri"])
def test_documented_functions_left_out_say_so(name: str) -> None:
    # ADF's json() example 3 converts XML: json(xml('<?xml version="1.0"?> <root> ...')).
    with pytest.raises(UnsupportedFunctionError, match=f"The function '{name}' is not supported") as info:
        ev(f"{name}('x')")
    assert info.value.function == name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # .NET Core 3.0+ double.ToString(): shortest round-trip digits, scientific below 1E-05 and from 1E+15.
        (10.0, "10"),
        (2.5, "2.5"),
        (-0.5, "-0.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (0.0001, "0.0001"),
        (0.00001, "1E-05"),
        (1.5e-7, "1.5E-07"),
        (123456789012345.0, "123456789012345"),
        (1e15, "1E+15"),
        (1.25e20, "1.25E+20"),
        (0.0, "0"),
    ],
)
def test_floats_print_as_dotnet_doubles(value: float, expected: str) -> None:
    assert format_float(value) == expected
