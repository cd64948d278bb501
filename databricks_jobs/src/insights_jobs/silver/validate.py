"""Validation: bronze rows to contract types, and the rules that send a row to quarantine.

A checked frame has the silver (snake_case, typed, trimmed) columns plus bookkeeping columns:
`_run_id` and `_load_date` (the bronze run whose folder held the row, and that folder's load date when
known), `_business_key` (key values joined with '|'),
`_payload` (the bronze row as JSON), `_content` (hash of the typed values), `_rule` / `_detail`
(NULL while the row passes; the first rule it breaks otherwise) and, after deduplication, `_superseded`
(a newer version of the key is in the batch: not checked further, not written).
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from insights_jobs.contract import Reference, TableSpec, snake_case

RULE, DETAIL, SUPERSEDED = "_rule", "_detail", "_superseded"
BOOKKEEPING = ("_run_id", "_load_date", "_business_key", "_payload", "_content", RULE, DETAIL, SUPERSEDED)


def passing() -> Column:
    """The rows silver takes: no rule broken, not superseded (after `latest_per_key`)."""
    return F.col(RULE).isNull() & ~F.col(SUPERSEDED)


def _first_failure(df: DataFrame, rules: list[tuple[Column, str, Column]]) -> DataFrame:
    """Set `_rule`/`_detail` to the first (failed, rule, detail) that applies, keeping an earlier rule."""
    if not rules:
        return df
    rule = F.coalesce(F.col(RULE), *[F.when(failed, F.lit(name)) for failed, name, _ in rules])
    detail = F.coalesce(F.col(DETAIL), *[F.when(failed, text) for failed, _, text in rules])
    return df.withColumns({RULE: rule, DETAIL: detail})


def business_key(columns: list[str]) -> Column:
    """Key values of typed columns joined with '|' (the format of `_quarantine.business_key`)."""
    return F.concat_ws("|", *[F.col(c).cast("string") for c in columns])


def _ident(name: str) -> str:
    """A column name as a SQL identifier."""
    return "`" + name.replace("`", "``") + "`"


def _text(value: str) -> str:
    """A Python string as a SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _typed(raw: str, sql_type: str, text_in_bronze: bool) -> str:
    """SQL for a bronze value as its contract type: try-cast (NULL when it does not parse), text trimmed."""
    if sql_type == "string":
        return f"trim(try_cast({raw} AS string))"
    return f"try_cast({f'trim({raw})' if text_in_bronze else raw} AS {sql_type})"


def parse(bronze: DataFrame, spec: TableSpec, run_id: str, load_date: str | None = None) -> DataFrame:
    """Bronze rows of run `run_id` (read under `load_date`, if known) -> contract types, trimmed text,
    snake_case names; `unparseable:<Column>`."""
    # Built as SQL expressions: one call into Spark instead of hundreds of Column objects (it runs per table
    # and per run, and its cost is fixed: it matters most for small incremental batches).
    dtypes = {name.lower(): (name, dtype) for name, dtype in bronze.dtypes}
    typed: dict[str, str] = {}
    unparseable: list[tuple[str, str, str]] = []  # (condition, rule, reason)
    for source, sql_type in spec.columns.items():
        if source.lower() not in dtypes:  # absent from this extract (source drift): NULL, not an error
            typed[snake_case(source)] = f"CAST(NULL AS {sql_type})"
            continue
        name, dtype = dtypes[source.lower()]
        raw = _ident(name)
        value = typed[snake_case(source)] = _typed(raw, sql_type, dtype == "string")
        if sql_type != "string":
            before, after = _text(f"{source} value '"), _text(f"' is not a valid {sql_type}")
            reason = f"concat({before}, try_cast({raw} AS string), {after})"
            unparseable.append((f"{raw} IS NOT NULL AND {value} IS NULL", f"unparseable:{source}", reason))

    # business key text: the typed value, or the trimmed raw text when it does not parse; '' for a NULL part
    raw_keys = [_ident(dtypes[c.lower()][0]) if c.lower() in dtypes else "NULL" for c in spec.key]
    key_parts = [
        f"coalesce(CAST({typed[snake_case(c)]} AS string), trim(try_cast({raw} AS string)))"
        for c, raw in zip(spec.key, raw_keys, strict=True)
    ]
    null_key = " OR ".join(f"{raw} IS NULL" for raw in raw_keys)
    null_flags = "concat(" + ", ".join(f"CASE WHEN {v} IS NULL THEN '1' ELSE '0' END" for v in typed.values()) + ")"
    bronze_row = "named_struct(" + ", ".join(f"{_text(c)}, {_ident(c)}" for c in bronze.columns) + ")"

    def first(cases: list[str]) -> str:
        return "coalesce(" + ", ".join([*cases, "CAST(NULL AS string)"]) + ")"

    return bronze.selectExpr(
        *[f"{value} AS {column}" for column, value in typed.items()],
        f"{_text(run_id)} AS _run_id",
        f"{'CAST(NULL AS string)' if load_date is None else _text(load_date)} AS _load_date",
        f"CASE WHEN {null_key} THEN '' ELSE concat_ws('|', {', '.join(key_parts)}) END AS _business_key",
        f"to_json({bronze_row}, map('ignoreNullFields', 'false')) AS _payload",
        f"xxhash64({null_flags}, {', '.join(typed.values())}) AS _content",
        f"{first([f'CASE WHEN {c} THEN {_text(rule)} END' for c, rule, _ in unparseable])} AS {RULE}",
        f"{first([f'CASE WHEN {c} THEN {reason} END' for c, _, reason in unparseable])} AS {DETAIL}",
    )


def apply_row_rules(df: DataFrame, spec: TableSpec) -> DataFrame:
    """Rules a row breaks on its own: `null_key`, `too_long:<Column>`, then the table's value rules (from the
    contract)."""
    null_key = F.lit(False)
    for k in spec.silver_key:
        null_key = null_key | F.col(k).isNull()
    rules = [(null_key, "null_key", F.lit(f"business key ({', '.join(spec.key)}) has a NULL part"))]
    for source, limit in spec.lengths.items():
        length = F.char_length(snake_case(source))
        detail = F.concat(
            F.lit(f"{source} is "), length.cast("string"), F.lit(f" characters long; its source column holds {limit}")
        )
        rules.append((F.coalesce(length > limit, F.lit(False)), f"too_long:{source}", detail))
    for r in spec.rules:
        detail = F.lit(r.detail) if r.show is None else F.concat(F.lit(f"{r.detail}: "), F.col(r.show).cast("string"))
        rules.append((~F.coalesce(F.expr(r.passes), F.lit(False)), r.name, detail))
    return _first_failure(df, rules)


def flag_duplicates(df: DataFrame, spec: TableSpec) -> DataFrame:
    """`duplicate_key`: same key and same ModifiedDate with different content in the batch (all such rows)."""
    peers = Window.partitionBy(*spec.silver_key).orderBy(spec.silver_version).rangeBetween(0, 0)
    valid_content = F.when(F.col(RULE).isNull(), F.col("_content"))
    conflict = F.min(valid_content).over(peers) != F.max(valid_content).over(peers)
    detail = F.concat(
        F.lit(f"another row with this key and the same {spec.version} "),
        F.col(spec.silver_version).cast("string"),
        F.lit(" has different content"),
    )
    return _first_failure(df, [(F.col(RULE).isNull() & conflict, "duplicate_key", detail)])


def check_references(df: DataFrame, spec: TableSpec, parents: Mapping[str, DataFrame]) -> DataFrame:
    """`unknown_*` (retryable): a passing row whose parent key is not in silver (where this run's parents went)."""
    for i, ref in enumerate(spec.references):
        df = _check_reference(df, ref, parents[ref.parent], f"_found_{i}")
    return df


def _check_reference(df: DataFrame, ref: Reference, parent_keys: DataFrame, flag: str) -> DataFrame:
    """Flag rows of `df` whose `ref.columns` are not among `parent_keys` (the parent's key columns)."""
    mine = [snake_case(c) for c in ref.columns]
    keys = parent_keys.select(
        *[F.col(p).alias(m) for p, m in zip(parent_keys.columns, mine, strict=True)], F.lit(True).alias(flag)
    )
    joined = df.join(keys, on=mine, how="left")
    values = F.concat_ws(", ", *[F.concat(F.lit(f"{c}="), F.col(snake_case(c)).cast("string")) for c in ref.columns])
    detail = F.concat(values, F.lit(f" is not (yet) in silver {ref.parent}"))
    checked = _first_failure(joined, [(passing() & F.col(flag).isNull(), ref.rule, detail)])
    return checked.drop(flag).select(*df.columns)
