"""ADF's expression language: where expressions live in JSON, interpolation, escapes, property access,
scopes (pipeline, variables, activities, ForEach items, datasets) and error messages.

The rules and the examples come from Microsoft's "Expressions and functions in Azure Data Factory and
Azure Synapse Analytics" (https://learn.microsoft.com/azure/data-factory/control-flow-expression-language-functions),
sections "Expressions" and "Examples".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from insights.local.adf.expressions import (
    NO_ITEM,
    ExpressionError,
    Scope,
    UnsupportedFunctionError,
    evaluate,
)

DOC_SCOPE = Scope(
    parameters={"myNumber": 42, "myString": "foo", "firstName": "Sophia", "lastName": "Owen"},
)


@pytest.mark.parametrize(
    ("json_value", "expected"),
    [
        # "Expressions": literal strings and the @@ escape
        ("parameters", "parameters"),
        ("parameters[1]", "parameters[1]"),
        ("@@", "@"),
        (" @", " @"),
        # "Using string interpolation, the result is always a string"
        ("@pipeline().parameters.myString", "foo"),
        ("@{pipeline().parameters.myString}", "foo"),
        ("@pipeline().parameters.myNumber", 42),
        ("@{pipeline().parameters.myNumber}", "42"),
        ("Answer is: @{pipeline().parameters.myNumber}", "Answer is: 42"),
        ("@concat('Answer is: ', string(pipeline().parameters.myNumber))", "Answer is: 42"),
        ("Answer is: @@{pipeline().parameters.myNumber}", "Answer is: @{pipeline().parameters.myNumber}"),
        (
            "First Name: @{pipeline().parameters.firstName} Last Name: @{pipeline().parameters.lastName}",
            "First Name: Sophia Last Name: Owen",
        ),
    ],
)
def test_documented_expression_rules(json_value: str, expected: Any) -> None:
    result = evaluate(json_value, DOC_SCOPE)
    assert result == expected
    assert type(result) is type(expected)


def test_dynamic_content_editor_example() -> None:
    # "Dynamic content editor": a JSON document as a string with two interpolations.
    value = '{ \n  "type": "@{if(equals(1, 2), \'Blob\', \'Table\' )}",\n  "name": "@{toUpper(\'myData\')}"\n}'
    assert json.loads(evaluate(value, Scope())) == {"type": "Table", "name": "MYDATA"}


@pytest.mark.parametrize(
    ("json_value", "expected"),
    [
        ("@@concat('a')", "@concat('a')"),  # a literal string that starts with @
        ("user@example.com", "user@example.com"),  # an @ inside text is not an expression
        ("a @ b @@ c", "a @ b @@ c"),  # only a leading @@ and @@{ are escapes
        ("@{'a'}@{'b'}", "ab"),
        ("x=@{1} y=@{2.5} z=@{null}|", "x=1 y=2.5 z=|"),  # null interpolates as ""
        ("flag=@{equals(1, 1)}", "flag=True"),  # .NET's Boolean.ToString
        ("list=@{createArray(1, 'two')}", 'list=[1,"two"]'),  # arrays and objects as compact JSON
        ('obj=@{json(\'{"a": {"b": true}}\')}', 'obj={"a":{"b":true}}'),
        ("@{concat('}', '{')}", "}{"),  # braces inside quoted strings do not close the interpolation
        ("@{concat('it''s', ' ok')}!", "it's ok!"),  # nested quotes
        ("path/@{string(add(1, 1))}/@@{literal}/end", "path/2/@{literal}/end"),
        ("@concat('@{', 'x', '}')", "@{x}"),  # inside an expression, '@{' is just text
        ("no expressions here", "no expressions here"),
        ("", ""),
    ],
)
def test_interpolation_and_escapes(json_value: str, expected: Any) -> None:
    assert evaluate(json_value, Scope()) == expected


def test_whole_string_expressions_keep_their_type() -> None:
    scope = Scope(variables={"obj": {"a": [1, 2]}, "flag": True, "nothing": None, "ratio": 0.5})
    assert evaluate("@variables('obj')", scope) == {"a": [1, 2]}
    assert evaluate("@variables('flag')", scope) is True
    assert evaluate("@variables('nothing')", scope) is None
    assert evaluate("@variables('ratio')", scope) == 0.5
    assert evaluate("@createArray(1, 2)", scope) == [1, 2]


def test_evaluate_walks_json_and_unwraps_expression_objects() -> None:
    scope = Scope(parameters={"table": "Customer", "n": 3})
    activity = {
        "name": "Copy @{pipeline().parameters.table}",
        "typeProperties": {
            "source": {
                "sqlReaderQuery": {
                    "value": "SELECT TOP @{pipeline().parameters.n} * FROM SalesLT.@{pipeline().parameters.table}",
                    "type": "Expression",
                },
                "limit": {"value": "@pipeline().parameters.n", "type": "Expression"},
                "flags": [True, 1, None, "@pipeline().parameters.n"],
            },
            "other": {"type": "Other", "value": "@add(1, 1)"},
        },
    }
    result = evaluate(activity, scope)
    assert result["name"] == "Copy Customer"
    assert result["typeProperties"]["other"] == {"type": "Other", "value": 2}  # only type "Expression" unwraps
    assert result["typeProperties"]["source"] == {
        "sqlReaderQuery": "SELECT TOP 3 * FROM SalesLT.Customer",
        "limit": 3,
        "flags": [True, 1, None, 3],
    }
    assert activity["typeProperties"]["source"]["limit"] == {"value": "@pipeline().parameters.n", "type": "Expression"}


# ----------------------------------------------------------------------------------------------------
# Property access and indexers on activity outputs
# ----------------------------------------------------------------------------------------------------

LOOKUP = {
    "output": {
        "firstRow": {"Col": 7, "Watermark": "2024-01-01T00:00:00Z", "Column With Space": "x"},
        "value": [{"TableName": "Customer"}, {"TableName": "Product"}],
        "count": 2,
        "nested": {"a": {"b": ["zero", {"c": "deep"}]}},
    },
    "status": "Succeeded",
    "error": None,
}
ACTIVITY_SCOPE = Scope(
    parameters={"sub": "b", "i": 1},
    activities={"Lookup Watermark": LOOKUP},
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("activity('Lookup Watermark').output.firstRow.Col", 7),
        ("activity('Lookup Watermark').output['firstRow']['Watermark']", "2024-01-01T00:00:00Z"),
        ("activity('Lookup Watermark').output.firstRow['Column With Space']", "x"),
        ("activity('Lookup Watermark').output.value[1].TableName", "Product"),
        ("activity('Lookup Watermark').output.value[pipeline().parameters.i]['TableName']", "Product"),
        ("activity('Lookup Watermark').output.count", 2),
        ("activity('Lookup Watermark').status", "Succeeded"),
        ("activity('Lookup Watermark').error", None),
        # ADF's "Complex expression example": a parameter in [] selects a sub-field.
        ("activity('Lookup Watermark').output.nested.a[pipeline().parameters.sub][1].c", "deep"),
        ("length(activity('Lookup Watermark').output.value)", 2),
        ("activity('lookup watermark').output.FIRSTROW.col", 7),  # names match case-insensitively
        ("first(activity('Lookup Watermark').output.value).TableName", "Customer"),
        ("createArray('a', createArray('b', 'c'))[1][0]", "b"),
        ("json('{\"a b\": 1}')['a b']", 1),
    ],
)
def test_property_access_and_indexers(expression: str, expected: Any) -> None:
    assert evaluate("@" + expression, ACTIVITY_SCOPE) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("activity('Lookup Watermark').output?.missing", None),
        ("activity('Lookup Watermark').output?['missing']", None),
        ("activity('Lookup Watermark').error?.message", None),
        ("activity('Lookup Watermark').output.value?[5]", None),
        ("activity('Lookup Watermark').output?.missing?.deeper", None),
        ("coalesce(activity('Lookup Watermark').output?.missing, 'default')", "default"),
        ("activity('Lookup Watermark').output?.firstRow?.Col", 7),
    ],
)
def test_safe_navigation(expression: str, expected: Any) -> None:
    assert evaluate("@" + expression, ACTIVITY_SCOPE) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "activity('Lookup Watermark').output.firstRow.Missing",
            "The property 'Missing' does not exist; available properties: 'Col', 'Watermark', 'Column With Space'",
        ),
        ("activity('Lookup Watermark').error.message", r"Cannot select '.message' on null \(write '\?.message'"),
        ("activity('Lookup Watermark').output.value[2]", "The index 2 is outside the array's bounds"),
        ("activity('Lookup Watermark').output.value['x']", "An array's items are selected by an integer index"),
        ("activity('Lookup Watermark').output[0]", "An object's properties are selected by name"),
        ("activity('Lookup Watermark').output.count.x", "Cannot select '.x' on integer 2"),
        ("activity('Nope').output", "The activity 'Nope' does not exist \\(known: Lookup Watermark\\)"),
        ("variables('nope')", "The variable 'nope' does not exist"),
        ("pipeline().parameters.nope", "The property 'nope' does not exist"),
    ],
)
def test_access_errors_explain_what_is_there(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate("@" + expression, ACTIVITY_SCOPE)


# ----------------------------------------------------------------------------------------------------
# pipeline(), variables(), item(), dataset(), linkedService()
# ----------------------------------------------------------------------------------------------------


def test_pipeline_system_variables_and_global_parameters() -> None:
    scope = Scope(
        parameters={"p": 1},
        global_parameters={"lakeUrl": "abfss://lake@acct.dfs.core.windows.net"},
        system={
            "RunId": "run-1",
            "Pipeline": "pl_ingest",
            "DataFactory": "adf-dev",
            "TriggerTime": "2024-01-01T02:00:00Z",
            "TriggerType": "ScheduleTrigger",
            "TriggerName": "daily",
            "TriggerId": "t-1",
            "GroupId": "g-1",
            "TriggeredByPipelineName": "parent",
            "TriggeredByPipelineRunId": "run-0",
        },
    )
    assert evaluate("@pipeline().RunId", scope) == "run-1"
    assert evaluate("@pipeline().globalParameters.lakeUrl", scope) == "abfss://lake@acct.dfs.core.windows.net"
    assert evaluate("@{pipeline().Pipeline}/@{pipeline().TriggeredByPipelineName}", scope) == "pl_ingest/parent"
    assert evaluate("@concat('Test_', pipeline().TriggerTime)", scope) == "Test_2024-01-01T02:00:00Z"  # ADF example 3
    assert evaluate("@formatDateTime(pipeline().TriggerTime, 'yyyy-MM-dd')", scope) == "2024-01-01"


def test_item_inside_and_outside_for_each() -> None:
    scope = Scope(variables={"seen": []})
    with pytest.raises(ExpressionError, match=r"item\(\) is only available inside a ForEach"):
        evaluate("@item()", scope)
    assert scope.item is NO_ITEM

    # ADF: "if items is an array: [1, 2, 3], @item() returns 1 in the first iteration, 2 in the second..."
    assert [evaluate("@item()", scope.with_item(i)) for i in evaluate("@range(1, 3)", scope)] == [1, 2, 3]

    row = {"TableName": "Customer", "Columns": ["CustomerID"]}
    child = scope.with_item(row)
    assert evaluate("SalesLT.@{item().TableName}", child) == "SalesLT.Customer"
    assert evaluate("@item().Columns[0]", child) == "CustomerID"
    assert evaluate("@item()", child.with_item(None)) is None  # null is a valid item
    # The iteration shares the pipeline's variables (a child scope is not a copy).
    child.variables["seen"].append("Customer")
    assert evaluate("@variables('seen')", scope) == ["Customer"]
    assert scope.item is NO_ITEM


def test_dataset_and_linked_service_parameters() -> None:
    # ADF's "A dataset with a parameter" example: "folderPath": "@dataset().path"
    dataset = {"typeProperties": {"folderPath": "@dataset().path"}}
    assert evaluate(dataset, Scope(dataset={"path": "bronze/Customer"})) == {
        "typeProperties": {"folderPath": "bronze/Customer"}
    }
    with pytest.raises(ExpressionError, match=r"dataset\(\) is only available in a dataset"):
        evaluate("@dataset().path", Scope())
    assert evaluate("@linkedService().host", Scope(linked_service={"host": "db"})) == "db"
    with pytest.raises(ExpressionError, match=r"linkedService\(\) is only available"):
        evaluate("@linkedService().host", Scope())


# ----------------------------------------------------------------------------------------------------
# Syntax and error messages
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("concat(  'x1'  , \n 'x2','x3'  )", "x1x2x3"),  # whitespace and newlines between tokens
        ("add(-1, -2.5)", -3.5),
        ("add(1e3, 0)", 1000.0),
        ("createArray(true, false, null)", [True, False, None]),
        ("concat('')", ""),
        ("concat('line1\nline2')", "line1\nline2"),
        ("length('''')", 1),
    ],
)
def test_literals_and_whitespace(expression: str, expected: Any) -> None:
    assert evaluate("@" + expression, Scope()) == expected


@pytest.mark.parametrize(
    ("json_value", "message", "caret"),
    [
        ("@concat('a',)", "Syntax error: unexpected ')', expected a name or a number or a string", 12),
        ("@concat('a'", "Syntax error: unexpected end of expression, expected ')' or ','", 11),
        ("@concat('a') extra", "Syntax error: unexpected 'extra', expected the end of the expression", 13),
        ("@concat('it''s)", "Syntax error: unterminated string literal", 12),
        ("@concat(#)", "Syntax error: unexpected character '#'", 8),
        ("@", "Syntax error: empty expression", 1),
        ("Value: @{}", "Syntax error: empty expression", 9),
        ("Value: @{concat('a')", "Syntax error: '@{' is not closed by '}'", 7),
        ("Value: @{concat('a',)} end", "Syntax error: unexpected ')'", 20),
        ("@activity('x').", "Syntax error: unexpected end of expression, expected a name", 15),
        ("@pipeline", "'pipeline' is not a value; a function is called with parentheses: pipeline()", 1),
        ("@True", "'True' is not a value; the literals are lowercase: true", 1),
    ],
)
def test_syntax_errors_show_the_expression_and_position(json_value: str, message: str, caret: int) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(json_value, Scope())
    error = info.value
    assert error.message.startswith(message)
    assert error.expression == json_value
    assert error.position == caret
    lines = str(error).splitlines()
    assert lines[0] == f"{error.message} (at character {caret + 1})"
    assert lines[1] == f"  in expression: {json_value}"
    assert lines[2].index("^") == len("  in expression: ") + caret


def test_unknown_function_names_the_function() -> None:
    with pytest.raises(UnsupportedFunctionError) as info:
        evaluate("Name: @{toUpper(frobnicate('x'))}", Scope())
    error = info.value
    assert error.function == "frobnicate"
    assert "Unknown function 'frobnicate'" in str(error)
    assert error.position == len("Name: @{toUpper(")


def test_runtime_errors_point_at_the_failing_call() -> None:
    expression = "@concat('a', substring('abc', 5, 1))"
    with pytest.raises(ExpressionError) as info:
        evaluate(expression, Scope())
    assert info.value.position == expression.index("substring")
    assert "The function 'substring' got start index 5" in str(info.value)


def test_errors_inside_nested_json_keep_their_own_string() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate({"a": ["ok", {"b": "x @{nope()} y"}]}, Scope())
    assert info.value.expression == "x @{nope()} y"
