"""The product side of the source: the real category hierarchy and a catalogue built from it.

Both come from `data/catalog.json`, shipped inside the package, so a generated source never depends
on files outside it. Products expand each family (one ProductModel) over its colours and sizes, as the
AdventureWorks catalogue does. The catalogue does not grow with the scale: a shop with more orders
does not sell more kinds of bikes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source.db import insert_arrow, timestamps, uuids

TOP_CATEGORIES = ("Bikes", "Components", "Clothing", "Accessories")
FIRST_PRODUCT_ID = 680  # where AdventureWorksLT's ProductIDs start
CULTURES = ("en", "fr")

# Share of order lines per top-level category: accessories and clothing sell most often, bikes bring
# the revenue (as in AdventureWorks).
_CATEGORY_SHARE = {"Bikes": 0.18, "Components": 0.22, "Clothing": 0.25, "Accessories": 0.35}
_PRICE_ELASTICITY = 0.35  # cheaper products sell more often: weight ~ price ** -0.35

# A 1x1 transparent GIF: products carry a (tiny) thumbnail, as the real ones carry theirs.
THUMBNAIL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
THUMBNAIL_FILE = "no_image_available_small.gif"

_CATALOG_DATE = np.datetime64("2022-06-01T00:00:00")
_SELL_START = np.datetime64("2022-07-01T00:00:00")


@cache
def load_data(name: str) -> dict:
    """A JSON data file shipped in `insights/local/source/data/`."""
    return json.loads(resources.files("insights.local.source").joinpath("data", name).read_text("utf-8"))


@dataclass(frozen=True)
class ProductPicker:
    """What order generation needs to know about the products on sale."""

    product_id: np.ndarray  # int32
    list_price: np.ndarray  # int64, 10**-4 units
    top: np.ndarray  # int8, index into TOP_CATEGORIES
    weight: np.ndarray  # float64, sums to 1

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Indices of n products drawn by popularity."""
        cdf = np.cumsum(self.weight)
        return np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right").clip(0, len(cdf) - 1)


def popularity(prices: np.ndarray, top: np.ndarray, variants: np.ndarray) -> np.ndarray:
    """Share of order lines per product: each top category gets its share, shared among its products
    with cheaper ones selling more and a family's variants (colours, sizes) splitting its sales."""
    w = np.maximum(prices / 10_000, 1.0) ** -_PRICE_ELASTICITY / variants
    for t, name in enumerate(TOP_CATEGORIES):
        in_cat = top == t
        if in_cat.any():
            w[in_cat] *= _CATEGORY_SHARE[name] / w[in_cat].sum()
    return w / w.sum()


@dataclass(frozen=True)
class Catalog:
    """The five catalogue tables as Arrow tables, plus a picker for order lines."""

    categories: pa.Table
    models: pa.Table
    descriptions: pa.Table
    model_descriptions: pa.Table
    products: pa.Table
    picker: ProductPicker


def _top_of(categories: list[list]) -> dict[int, int]:
    parent = {cid: pid for cid, pid, _ in categories}
    name = {cid: n for cid, _, n in categories}
    out = {}
    for cid in parent:
        root = cid
        while parent[root] is not None:
            root = parent[root]
        out[cid] = TOP_CATEGORIES.index(name[root])
    return out


def build_catalog(seed: int) -> Catalog:
    """The catalogue tables (row content is fixed; only rowguids depend on the seed)."""
    data = load_data("catalog.json")
    rng = np.random.default_rng([seed, 0xCA7])
    cats = data["categories"]
    cat_id = {name: cid for cid, _, name in cats}
    top_of = _top_of(cats)
    codes = data["color_codes"]

    categories = pa.table(
        {
            "ProductCategoryID": pa.array([c[0] for c in cats], pa.int32()),
            "ParentProductCategoryID": pa.array([c[1] for c in cats], pa.int32()),
            "Name": [c[2] for c in cats],
            "rowguid": uuids(rng, len(cats)),
            "ModifiedDate": timestamps(np.full(len(cats), _CATALOG_DATE)),
        }
    )

    fams = data["families"]
    model_ids = list(range(1, len(fams) + 1))
    catalog_xml = [
        (
            '<?xml-stylesheet href="ProductDescription.xsl" type="text/xsl"?>'
            '<p1:ProductDescription xmlns:p1="http://schemas.microsoft.com/sqlserver/2004/07/adventure-works/'
            f'ProductModelDescription" ProductModelID="{mid}" ProductModelName="{f["model"]}"><p1:Summary>'
            f'<html:p xmlns:html="http://www.w3.org/1999/xhtml">{data["descriptions"]["en"]["Bikes"]}</html:p>'
            "</p1:Summary></p1:ProductDescription>"
        )
        if top_of[cat_id[f["sub"]]] == 0
        else None
        for mid, f in zip(model_ids, fams, strict=True)
    ]
    models = pa.table(
        {
            "ProductModelID": pa.array(model_ids, pa.int32()),
            "Name": [f["model"] for f in fams],
            "CatalogDescription": catalog_xml,
            "rowguid": uuids(rng, len(fams)),
            "ModifiedDate": timestamps(np.full(len(fams), _CATALOG_DATE)),
        }
    )

    desc_rows = []  # (description id, model id, culture, text)
    for mid, f in zip(model_ids, fams, strict=True):
        top = TOP_CATEGORIES[top_of[cat_id[f["sub"]]]]
        for culture in CULTURES:
            text = f"{f['model']}: {data['descriptions'][culture][top]}"
            desc_rows.append((len(desc_rows) + 1, mid, culture, text))
    n_desc = len(desc_rows)
    descriptions = pa.table(
        {
            "ProductDescriptionID": pa.array([r[0] for r in desc_rows], pa.int32()),
            "Description": [r[3] for r in desc_rows],
            "rowguid": uuids(rng, n_desc),
            "ModifiedDate": timestamps(np.full(n_desc, _CATALOG_DATE)),
        }
    )
    model_descriptions = pa.table(
        {
            "ProductModelID": pa.array([r[1] for r in desc_rows], pa.int32()),
            "ProductDescriptionID": pa.array([r[0] for r in desc_rows], pa.int32()),
            "Culture": [r[2].ljust(6) for r in desc_rows],  # nchar(6): SQL Server pads with spaces
            "rowguid": uuids(rng, n_desc),
            "ModifiedDate": timestamps(np.full(n_desc, _CATALOG_DATE)),
        }
    )

    rows = []
    for mid, f in zip(model_ids, fams, strict=True):
        variants = [(c, s) for c in f["colors"] for s in f["sizes"]]
        for color, size in variants:
            fill = {"color": color or "", "size": size or "", "c": codes.get(color or "", "")}
            rows.append(
                {
                    "ProductID": FIRST_PRODUCT_ID + len(rows),
                    "Name": f["name"].format(**fill),
                    "ProductNumber": f["number"].format(**fill),
                    "Color": color,
                    "StandardCost": Decimal(f["cost"]),
                    "ListPrice": Decimal(f["price"]),
                    "Size": size,
                    "Weight": None if f["weight"] is None else Decimal(f["weight"]),
                    "ProductCategoryID": cat_id[f["sub"]],
                    "ProductModelID": mid,
                    "_top": top_of[cat_id[f["sub"]]],
                    "_variants": len(variants),
                }
            )
    n = len(rows)
    products = pa.table(
        {
            "ProductID": pa.array([r["ProductID"] for r in rows], pa.int32()),
            "Name": [r["Name"] for r in rows],
            "ProductNumber": [r["ProductNumber"] for r in rows],
            "Color": [r["Color"] for r in rows],
            "StandardCost": pa.array([r["StandardCost"] for r in rows], pa.decimal128(19, 4)),
            "ListPrice": pa.array([r["ListPrice"] for r in rows], pa.decimal128(19, 4)),
            "Size": [r["Size"] for r in rows],
            "Weight": pa.array([r["Weight"] for r in rows], pa.decimal128(8, 2)),
            "ProductCategoryID": pa.array([r["ProductCategoryID"] for r in rows], pa.int32()),
            "ProductModelID": pa.array([r["ProductModelID"] for r in rows], pa.int32()),
            "SellStartDate": timestamps(np.full(n, _SELL_START)),
            "SellEndDate": pa.nulls(n, pa.timestamp("us")),
            "DiscontinuedDate": pa.nulls(n, pa.timestamp("us")),
            "ThumbNailPhoto": pa.array([THUMBNAIL] * n, pa.binary()),
            "ThumbnailPhotoFileName": [THUMBNAIL_FILE] * n,
            "rowguid": uuids(rng, n),
            "ModifiedDate": timestamps(np.full(n, _CATALOG_DATE + np.timedelta64(14, "D"))),
        }
    )
    price = np.array([int(r["ListPrice"] * 10_000) for r in rows], dtype=np.int64)
    top = np.array([r["_top"] for r in rows], dtype=np.int8)
    picker = ProductPicker(
        product_id=np.array([r["ProductID"] for r in rows], dtype=np.int32),
        list_price=price,
        top=top,
        weight=popularity(price, top, np.array([r["_variants"] for r in rows], dtype=np.float64)),
    )
    return Catalog(categories, models, descriptions, model_descriptions, products, picker)


def insert_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, int]:
    """Write the five catalogue tables; returns their row counts."""
    parts = {
        "ProductCategory": catalog.categories,
        "ProductModel": catalog.models,
        "ProductDescription": catalog.descriptions,
        "ProductModelProductDescription": catalog.model_descriptions,
        "Product": catalog.products,
    }
    for table, data in parts.items():
        insert_arrow(con, table, data)
    return {t: d.num_rows for t, d in parts.items()}
