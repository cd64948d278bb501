"""The TMDL reader on Microsoft's own examples (learn.microsoft.com/analysis-services/tmdl/tmdl-overview) and
on what it must refuse rather than misread."""

from __future__ import annotations

import pytest

from tests.support.tmdl import TmdlError, dax_references, parse, split_reference

# The overview's first example, tab-indented as TMDL writes it.
OVERVIEW = """\
table Sales

\tpartition 'Sales-Partition' = m
\t\tmode: import
\t\tsource =
\t\t\t\tlet
\t\t\t\t    Source = Sql.Database(Server, Database)
\t\t\t\tin
\t\t\t\t    Source

\t/// This is the Measure Description
\t/// One more line
\tmeasure 'Sales Amount' = SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])
\t\tformatString: $ #,##0

\tmeasure 'Sales (ly)' =
\t\t\tvar ly = [Sales Amount]
\t\t\treturn ly
\t\tformatString: $ #,##0

\tcolumn 'Net Price'
\t\tdataType: int64
\t\tisHidden
\t\tsourceColumn: "Net Price"
\t\tdisplayFolder: " My ""Amazing"" Measures"

relationship cdb6e6a9-c9d1-42b9-b9e0-484a1bc7e123
\tfromColumn: Sales.'Product Key'
\ttoColumn: Product.'Product Key'

expression Server = "localhost" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]
"""


def test_microsofts_example_reads_as_its_object_tree():
    sales, relationship, server = parse(OVERVIEW)
    assert (sales.kind, sales.name) == ("table", "Sales")
    partition, amount, last_year, price = sales.children
    assert (partition.kind, partition.name, partition.default) == ("partition", "Sales-Partition", "m")
    assert partition.properties["mode"] == "import"
    assert partition.properties["source"] == "let\n    Source = Sql.Database(Server, Database)\nin\n    Source"
    assert (amount.name, amount.default) == ("Sales Amount", "SUMX('Sales', 'Sales'[Quantity] * 'Sales'[Net Price])")
    assert amount.description == "This is the Measure Description One more line"
    assert amount.properties == {"formatString": "$ #,##0"}
    assert last_year.default == "var ly = [Sales Amount]\nreturn ly"
    assert last_year.properties == {"formatString": "$ #,##0"}
    assert price.properties == {
        "dataType": "int64",
        "isHidden": True,
        "sourceColumn": "Net Price",
        "displayFolder": ' My "Amazing" Measures',
    }
    assert split_reference(str(relationship.properties["fromColumn"])) == ("Sales", "Product Key")
    assert server.default.startswith('"localhost" meta [IsParameterQuery=true')


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("table Sales\n    column Quantity\n", "indentation must be tabs"),
        ("table Sales\n\t\tdataType: int64\n", "is not indented one level under an object"),
        ("/// Sales\n\ntable Sales\n", "must stand right above an object"),
        ("table Sales\n\t/// hidden\n\tisHidden\n", "must stand right above an object"),
        ("table Sales\n\tmeasure Total =\n", "`=` without an expression"),
        ("table Sales\n\tmeasure Total = ```\n\t\tSUM(x)\n", "``` expression is not closed"),
        ("table Sales extra\n", "unexpected 'extra'"),
    ],
)
def test_what_it_cannot_read_is_an_error_naming_the_line(text: str, error: str):
    with pytest.raises(TmdlError, match=error):
        parse(text, "model.tmdl")


def test_dax_references_skip_string_literals_and_tell_columns_from_measures():
    dax = "CALCULATE ( [Customers], KEEPFILTERS ( 'dim customer'[gender] = \"[not a column]\" ), sales[qty] )"
    assert dax_references(dax) == ({("dim customer", "gender"), ("sales", "qty")}, {"Customers"})
