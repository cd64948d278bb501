"""import-csv: the real AdventureWorksLT rows land unchanged (checked against the CSV text, read with the
csv module and Decimal), computed columns added, and a folder that is not an export is refused clearly."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from insights.local.source import TABLE_NAMES, CsvImportError, SourceError, import_csv


def read_csv(csv_dir: Path, table: str) -> list[dict[str, str]]:
    with (csv_dir / f"SalesLT.{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def value(text: str) -> str | None:
    return None if text == "NULL" else text


@pytest.fixture(scope="module")
def imported(adventureworks_csv_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imported") / "aw.duckdb"
    import_csv(adventureworks_csv_dir, out)
    return out


@pytest.fixture(scope="module")
def con(imported) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(imported), read_only=True)
    yield c
    c.close()


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_row_counts_equal_the_csv_data_rows(con, adventureworks_csv_dir, table):
    assert fetch(con, f"SELECT count(*) FROM SalesLT.{table}")[0][0] == len(read_csv(adventureworks_csv_dir, table))


def test_an_order_header_matches_the_csv_text(con, adventureworks_csv_dir):
    text = next(r for r in read_csv(adventureworks_csv_dir, "SalesOrderHeader") if r["SalesOrderID"] == "71774")
    row = fetch(
        con,
        """SELECT SubTotal, TaxAmt, Freight, TotalDue, OrderDate, ShipDate, ModifiedDate, Comment,
                  CreditCardApprovalCode, PurchaseOrderNumber, SalesOrderNumber, OnlineOrderFlag, Status, rowguid
           FROM SalesLT.SalesOrderHeader WHERE SalesOrderID = 71774""",
    )[0]
    assert row[:3] == (Decimal(text["SubTotal"]), Decimal(text["TaxAmt"]), Decimal(text["Freight"]))
    assert row[3] == Decimal("972.7850")  # 880.3484 + 70.4279 + 22.0087, by hand
    assert row[4] == dt.datetime(2008, 6, 1) and text["OrderDate"] == "2008-06-01 00:00:00.000"
    assert row[5] == dt.datetime(2008, 6, 8) and row[6] == dt.datetime(2008, 6, 8)
    assert row[7] is None and row[8] is None  # NULL text -> SQL NULL
    assert row[9] == text["PurchaseOrderNumber"] == "PO348186287"
    assert row[10] == "SO71774"
    assert row[11] is False and row[12] == 5
    assert row[13] == uuid.UUID(text["rowguid"])


def test_line_totals_match_a_hand_computation_from_the_csv(con, adventureworks_csv_dir):
    expected = {}
    for r in read_csv(adventureworks_csv_dir, "SalesOrderDetail"):
        unit = (Decimal(r["UnitPrice"]) * (1 - Decimal(r["UnitPriceDiscount"]))).quantize(
            Decimal("0.000001"), ROUND_HALF_UP
        )
        expected[int(r["SalesOrderDetailID"])] = unit * int(r["OrderQty"])
    got = dict(fetch(con, "SELECT SalesOrderDetailID, LineTotal FROM SalesLT.SalesOrderDetail"))
    assert got == expected
    # one by hand: 6 x 112.998 with a 40 % discount = 406.7928
    assert got[110618] == Decimal("406.792800")


def test_money_keeps_its_digits(con, adventureworks_csv_dir):
    text = {int(r["ProductID"]): r for r in read_csv(adventureworks_csv_dir, "Product")}
    for product_id, cost, price, weight in fetch(
        con, "SELECT ProductID, StandardCost, ListPrice, Weight FROM SalesLT.Product"
    ):
        assert cost == Decimal(text[product_id]["StandardCost"])
        assert price == Decimal(text[product_id]["ListPrice"])
        assert weight == (None if text[product_id]["Weight"] == "NULL" else Decimal(text[product_id]["Weight"]))


def test_nulls_and_titles(con, adventureworks_csv_dir):
    text = read_csv(adventureworks_csv_dir, "Customer")
    titles = dict(fetch(con, "SELECT CustomerID, Title FROM SalesLT.Customer"))
    assert titles == {int(r["CustomerID"]): value(r["Title"]) for r in text}
    assert sum(t is None for t in titles.values()) == sum(r["Title"] == "NULL" for r in text) == 7
    first = fetch(con, "SELECT NameStyle, MiddleName, Suffix, SalesPerson FROM SalesLT.Customer WHERE CustomerID = 1")
    assert first == [(False, "N.", None, "adventure-works\\pamela0")]


def test_timestamps_keep_milliseconds(con):
    latest = fetch(con, "SELECT max(ModifiedDate) FROM SalesLT.Customer")[0][0]
    assert latest == dt.datetime(2009, 5, 16, 16, 33, 33, 123000)  # '2009-05-16 16:33:33.123' in the CSV


def test_nchar_padding_is_kept(con):
    cultures = {r[0] for r in fetch(con, "SELECT DISTINCT Culture FROM SalesLT.ProductModelProductDescription")}
    assert cultures == {"en    ", "ar    ", "fr    ", "th    ", "he    ", "zh-cht"}


def test_thumbnail_hex_becomes_bytes(con, adventureworks_csv_dir):
    text = next(r for r in read_csv(adventureworks_csv_dir, "Product") if r["ProductID"] == "680")
    photo = fetch(con, "SELECT ThumbNailPhoto FROM SalesLT.Product WHERE ProductID = 680")[0][0]
    assert photo == bytes.fromhex(text["ThumbNailPhoto"][2:])
    assert photo[:6] == b"GIF89a"


def test_xml_and_unicode_text_survive(con, adventureworks_csv_dir):
    models = {
        int(r["ProductModelID"]): value(r["CatalogDescription"])
        for r in read_csv(adventureworks_csv_dir, "ProductModel")
    }
    assert dict(fetch(con, "SELECT ProductModelID, CatalogDescription FROM SalesLT.ProductModel")) == models
    descriptions = {
        int(r["ProductDescriptionID"]): r["Description"] for r in read_csv(adventureworks_csv_dir, "ProductDescription")
    }
    assert dict(fetch(con, "SELECT ProductDescriptionID, Description FROM SalesLT.ProductDescription")) == descriptions
    assert any(not d.isascii() for d in descriptions.values())


def copy_export(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.glob("SalesLT.*.csv"):
        shutil.copy(f, dst / f.name)
    return dst


def rewrite(path: Path, change) -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows = change(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_a_missing_file_is_named(adventureworks_csv_dir, tmp_path):
    export = copy_export(adventureworks_csv_dir, tmp_path / "export")
    (export / "SalesLT.SalesOrderDetail.csv").unlink()
    with pytest.raises(CsvImportError, match=r"missing SalesLT\.SalesOrderDetail\.csv"):
        import_csv(export, tmp_path / "out.duckdb")
    assert not (tmp_path / "out.duckdb").exists()


def test_a_missing_column_is_named(adventureworks_csv_dir, tmp_path):
    export = copy_export(adventureworks_csv_dir, tmp_path / "export")
    rewrite(export / "SalesLT.SalesOrderDetail.csv", lambda rows: [r[:5] + r[6:] for r in rows])  # drop the discount
    with pytest.raises(CsvImportError, match=r"SalesLT\.SalesOrderDetail\.csv lacks column\(s\) UnitPriceDiscount"):
        import_csv(export, tmp_path / "out.duckdb")


def test_a_value_that_does_not_fit_is_named_and_nothing_is_written(adventureworks_csv_dir, tmp_path):
    export = copy_export(adventureworks_csv_dir, tmp_path / "export")
    rewrite(
        export / "SalesLT.SalesOrderHeader.csv", lambda rows: [rows[0], [*rows[1][:1], "two", *rows[1][2:]], *rows[2:]]
    )
    with pytest.raises(CsvImportError, match=r"SalesOrderHeader\.csv: column RevisionNumber: 'two'"):
        import_csv(export, tmp_path / "out.duckdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no file, no temporary left behind


def test_not_a_folder(tmp_path):
    with pytest.raises(CsvImportError, match="not a folder"):
        import_csv(tmp_path / "nowhere", tmp_path / "out.duckdb")


def test_refuses_to_overwrite(adventureworks_csv_dir, imported):
    with pytest.raises(SourceError, match="already exists"):
        import_csv(adventureworks_csv_dir, imported)
