"""advance: later days of business. What changed is found independently, by comparing every row
before and after; every new or changed row must be caught by a watermark on the old ModifiedDate."""

from __future__ import annotations

import datetime as dt
import importlib
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from insights.local.source import TABLE_NAMES, SourceError, advance, generate, import_csv


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as c:
        return {t: c.execute(f'SELECT * FROM SalesLT."{t}"').fetchall() for t in TABLE_NAMES}


def max_modified(rows: list[tuple]) -> dt.datetime | None:
    return max((r[-1] for r in rows if r[-1] is not None), default=None)  # ModifiedDate is the last column


def diff(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows of `after` that are not in `before` (new or changed), per table."""
    changed = {}
    for t in TABLE_NAMES:
        old = set(before[t])
        changed[t] = [r for r in after[t] if r not in old]
    return changed


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("base") / "base.duckdb"
    generate(path, 0.05, 11)
    return path


@pytest.fixture(scope="module")
def advanced(base, tmp_path_factory):
    path = tmp_path_factory.mktemp("advanced") / "s.duckdb"
    shutil.copy(base, path)
    before = snapshot(path)
    result = advance(path, 10, seed=5, update_share=0.05)
    return before, snapshot(path), result


def test_every_new_or_changed_row_is_beyond_the_old_watermark(advanced):
    before, after, _ = advanced
    changed = diff(before, after)
    assert sum(len(rows) for rows in changed.values()) > 0
    for table, rows in changed.items():
        old_max = max_modified(before[table])
        for row in rows:
            assert row[-1] > old_max, (table, row)


def test_rows_not_reported_as_changed_are_untouched(advanced):
    before, after, _ = advanced
    for table in TABLE_NAMES:
        old_max = max_modified(before[table])
        unchanged_after = [r for r in after[table] if r[-1] <= old_max]
        assert sorted(unchanged_after, key=repr) == sorted(set(after[table]) & set(before[table]), key=repr)


def test_new_orders_come_after_the_old_last_order(advanced):
    before, after, result = advanced
    old_ids = {r[0] for r in before["SalesOrderHeader"]}
    old_last = max(r[2] for r in before["SalesOrderHeader"])  # OrderDate
    new = [r for r in after["SalesOrderHeader"] if r[0] not in old_ids]
    assert new
    assert all(r[2] > old_last for r in new)
    assert {r[2].date() for r in new} <= {result.first_day + dt.timedelta(days=i) for i in range(10)}
    new_lines = [r for r in after["SalesOrderDetail"] if r[0] not in old_ids]
    assert new_lines and {r[0] for r in new_lines} <= {r[0] for r in new}


def test_daily_volume_follows_the_source(advanced):
    before, after, _ = advanced
    old_last = max(r[2] for r in before["SalesOrderHeader"])
    last_year = sum(r[2] > old_last - dt.timedelta(days=365) for r in before["SalesOrderHeader"])
    new = len(after["SalesOrderHeader"]) - len(before["SalesOrderHeader"])
    expected = last_year / 365 * 10 * 0.7  # ten January days
    assert expected / 3 < new < expected * 3


def test_reported_counts_match_the_rows(advanced):
    before, after, result = advanced
    changed = diff(before, after)
    for table in TABLE_NAMES:
        inserted = len(after[table]) - len(before[table])
        assert result.inserted[table] == inserted, table
        assert result.updated[table] == len(changed[table]) - inserted, table
    assert result.updated["SalesOrderHeader"] > 0 and result.updated["SalesOrderDetail"] > 0


def test_update_share_is_honoured_approximately(advanced):
    before, after, result = advanced
    old_lines = {r[1]: r for r in before["SalesOrderDetail"]}
    changed_lines = [r for r in after["SalesOrderDetail"] if r[1] in old_lines and r != old_lines[r[1]]]
    assert len(changed_lines) / len(old_lines) == pytest.approx(0.05, abs=0.02)
    # the re-priced lines changed their discount by 5 points, nothing else but ModifiedDate
    for r in changed_lines:
        old = old_lines[r[1]]
        assert abs(r[5] - old[5]) == Decimal("0.05")
        assert r[:5] == old[:5]
    old_headers = {r[0]: r for r in before["SalesOrderHeader"]}
    changed_headers = [r for r in after["SalesOrderHeader"] if r[0] in old_headers and r != old_headers[r[0]]]
    assert 0.04 < len(changed_headers) / len(old_headers) < 0.09  # 5 % re-priced, plus status progress
    assert result.forced_orders / len(old_headers) == pytest.approx(0.05, abs=0.015)


def test_open_orders_move_on_and_some_customers_and_prices_change(advanced):
    before, after, _ = advanced
    old_status = {r[0]: r[5] for r in before["SalesOrderHeader"]}
    progressed = [
        r for r in after["SalesOrderHeader"] if old_status.get(r[0]) in (1, 2, 3) and r[5] != old_status[r[0]]
    ]
    assert progressed
    assert all(r[4] is not None for r in progressed if r[5] == 5)  # shipped orders got a ShipDate
    changed = diff(before, after)
    old_customers = {r[0] for r in before["Customer"]}
    assert any(r[0] in old_customers for r in changed["Customer"])  # updated customers
    assert any(r[0] not in old_customers for r in changed["Customer"])  # new customers
    assert len(changed["Address"]) == len(changed["CustomerAddress"]) > 0


def test_same_seed_same_changes_other_seed_other_changes(base, tmp_path):
    paths = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        path = tmp_path / f"{name}.duckdb"
        shutil.copy(base, path)
        advance(path, 3, seed=seed, update_share=0.01)
        paths.append(path)
    a, b, c = (snapshot(p) for p in paths)
    assert a == b
    assert a != c


def test_advancing_twice_keeps_moving_forward(base, tmp_path):
    path = tmp_path / "s.duckdb"
    shutil.copy(base, path)
    first = advance(path, 2, seed=1)
    middle = snapshot(path)
    second = advance(path, 2, seed=1)
    assert second.first_day == first.last_day + dt.timedelta(days=1)
    for table, rows in diff(middle, snapshot(path)).items():
        assert all(r[-1] > max_modified(middle[table]) for r in rows), table


def test_advancing_the_real_rows(adventureworks_csv_dir, tmp_path):
    path = tmp_path / "aw.duckdb"
    import_csv(adventureworks_csv_dir, path)
    before = snapshot(path)
    result = advance(path, 2, seed=3, update_share=0.1)
    after = snapshot(path)
    # the latest timestamp in the export is a customer's ModifiedDate, 2009-05-16 16:33:33.123
    assert result.first_day == dt.date(2009, 5, 17)
    for table, rows in diff(before, after).items():
        assert all(r[-1] > max_modified(before[table]) for r in rows), table
    assert result.inserted["SalesOrderHeader"] > 0
    assert result.updated["SalesOrderDetail"] > 0


def test_a_failure_changes_nothing(base, tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    shutil.copy(base, path)
    before = snapshot(path)
    simulation = importlib.import_module("insights.local.source.simulation")

    def boom(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(simulation, "_change_prices", boom)
    with pytest.raises(RuntimeError, match="power cut"):
        advance(path, 3, seed=1, update_share=0.01)
    assert snapshot(path) == before


def test_refuses_what_is_not_a_source(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        advance(tmp_path / "none.duckdb", 1)
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with pytest.raises(SourceError, match="not a SalesLT source"):
        advance(tmp_path / "empty.duckdb", 1)


@pytest.mark.parametrize(("days", "share"), [(0, 0.0), (-2, 0.0), (1, 1.5), (1, -0.1)])
def test_bad_arguments_are_refused(base, days, share):
    with pytest.raises(ValueError):
        advance(base, days, update_share=share)
