"""Synthetic customers with their addresses: Customer, Address and CustomerAddress rows.

Random choices are made in numpy (indices into the vocabulary of `data/people.json`), the text is
assembled by DuckDB from those indices, so millions of customers never pass through Python strings.
Titles carry gender the way the real data does (Mr./Sr. male; Ms./Mrs./Miss/Sra./Srta. female), with
some NULL and some other titles (Dr., Prof., Mx.), and a few written carelessly (' mr. ', 'MS.').
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from insights.local.source.catalog import load_data
from insights.local.source.db import insert_arrow, timestamps, uuids

SHIPPING_ADDRESS_SHARE = 0.1  # customers with a second, shipping address
N_TITLE_VARIANTS = 4  # lower, UPPER, ' spaced ', 'trailing '


def vocabulary() -> dict:
    return load_data("people.json")


def insert_customers(
    con: duckdb.DuckDBPyConnection,
    rng: np.random.Generator,
    customer_ids: np.ndarray,
    main_address_ids: np.ndarray,
    shipping_address_ids: np.ndarray,
    modified: np.ndarray,
) -> dict[str, int]:
    """Insert customers and their addresses; shipping_address_ids < 0 means none. Returns row counts.

    `modified` (datetime64) is each customer's ModifiedDate, used for its address rows too.
    """
    vocab = vocabulary()
    n = len(customer_ids)
    titles = vocab["titles"]
    shares = np.array([t["share"] for t in titles])
    title_idx = rng.choice(len(titles), size=n, p=shares / shares.sum())
    gender = np.array([t["gender"] for t in titles])[title_idx]
    n_male, n_female = len(vocab["first_names"]["Male"]), len(vocab["first_names"]["Female"])
    first = np.where(
        gender == "Male",
        rng.integers(0, n_male, n),
        np.where(gender == "Female", n_male + rng.integers(0, n_female, n), rng.integers(0, n_male + n_female, n)),
    )
    variant = np.where(rng.random(n) < vocab["title_variant_share"], rng.integers(1, N_TITLE_VARIANTS + 1, n), 0)

    def maybe(share: float, size: int) -> np.ndarray:
        return np.where(rng.random(n) < share, rng.integers(0, size, n), -1)

    customers = pa.table(
        {
            "CustomerID": pa.array(customer_ids.astype(np.int32)),
            "title_idx": pa.array(title_idx.astype(np.int32)),
            "variant": pa.array(variant.astype(np.int8)),
            "first": pa.array(first.astype(np.int32)),
            "middle": pa.array(maybe(0.5, len(vocab["middle_initials"])).astype(np.int32)),
            "last": pa.array(rng.integers(0, len(vocab["last_names"]), n).astype(np.int32)),
            "suffix": pa.array(maybe(0.03, len(vocab["suffixes"])).astype(np.int32)),
            "company": pa.array(maybe(vocab["company_share"], len(vocab["companies"])).astype(np.int32)),
            "sales_person": pa.array(rng.integers(0, len(vocab["sales_people"]), n).astype(np.int32)),
            "phone_area": pa.array(rng.integers(100, 1000, n).astype(np.int32)),
            "phone_line": pa.array(rng.integers(100, 1000, n).astype(np.int32)),
            "rowguid": uuids(rng, n),
            "ModifiedDate": timestamps(modified),
        }
    )
    params = {
        "titles": [t["title"] for t in titles],
        "first_names": vocab["first_names"]["Male"] + vocab["first_names"]["Female"],
        "middles": vocab["middle_initials"],
        "last_names": vocab["last_names"],
        "suffixes": vocab["suffixes"],
        "companies": vocab["companies"],
        "sales_people": vocab["sales_people"],
    }
    first_name = "$first_names[first + 1]"
    insert_arrow(
        con,
        "Customer",
        customers,
        {
            "NameStyle": "false",
            "Title": (
                "CASE variant WHEN 0 THEN $titles[title_idx + 1] WHEN 1 THEN lower($titles[title_idx + 1]) "
                "WHEN 2 THEN upper($titles[title_idx + 1]) WHEN 3 THEN ' ' || lower($titles[title_idx + 1]) || ' ' "
                "ELSE $titles[title_idx + 1] || ' ' END"
            ),
            "FirstName": first_name,
            "MiddleName": "CASE WHEN middle >= 0 THEN $middles[middle + 1] END",
            "LastName": "$last_names[last + 1]",
            "Suffix": "CASE WHEN suffix >= 0 THEN $suffixes[suffix + 1] END",
            "CompanyName": "CASE WHEN company >= 0 THEN $companies[company + 1] END",
            "SalesPerson": "'adventure-works\\' || $sales_people[sales_person + 1]",
            "EmailAddress": f"lower({first_name}) || (CustomerID % 10)::VARCHAR || '@adventure-works.com'",
            "Phone": "phone_area::VARCHAR || '-555-0' || phone_line::VARCHAR",
            "PasswordHash": "to_base64(unhex(md5(rowguid::VARCHAR) || md5(rowguid::VARCHAR || 'pw')))",
            "PasswordSalt": "to_base64(unhex(left(md5(rowguid::VARCHAR || 'salt'), 10)))",
        },
        params,
    )

    has_ship = shipping_address_ids >= 0
    addr_ids = np.concatenate([main_address_ids, shipping_address_ids[has_ship]])
    addr_modified = np.concatenate([modified, modified[has_ship]])
    m = len(addr_ids)
    addresses = pa.table(
        {
            "AddressID": pa.array(addr_ids.astype(np.int32)),
            "house": pa.array(rng.integers(1, 10_000, m).astype(np.int32)),
            "street": pa.array(rng.integers(0, len(vocab["streets"]), m).astype(np.int32)),
            "suite": pa.array(np.where(rng.random(m) < 0.08, rng.integers(100, 1000, m), -1).astype(np.int32)),
            "city": pa.array(rng.integers(0, len(vocab["cities"]), m).astype(np.int32)),
            "rowguid": uuids(rng, m),
            "ModifiedDate": timestamps(addr_modified),
        }
    )
    insert_arrow(
        con,
        "Address",
        addresses,
        {
            "AddressLine1": "house::VARCHAR || ' ' || $streets[street + 1]",
            "AddressLine2": "CASE WHEN suite >= 0 THEN 'Suite ' || suite::VARCHAR END",
            "City": "$cities[city + 1][1]",
            "StateProvince": "$cities[city + 1][2]",
            "CountryRegion": "$cities[city + 1][3]",
            "PostalCode": "$cities[city + 1][4]",
        },
        {"streets": vocab["streets"], "cities": vocab["cities"]},
    )

    links = pa.table(
        {
            "CustomerID": pa.array(np.concatenate([customer_ids, customer_ids[has_ship]]).astype(np.int32)),
            "AddressID": pa.array(addr_ids.astype(np.int32)),
            "shipping": pa.array(np.arange(m) >= n),
            "rowguid": uuids(rng, m),
            "ModifiedDate": timestamps(addr_modified),
        }
    )
    insert_arrow(
        con, "CustomerAddress", links, {"AddressType": "CASE WHEN shipping THEN 'Shipping' ELSE 'Main Office' END"}
    )
    return {"Customer": n, "Address": m, "CustomerAddress": m}
