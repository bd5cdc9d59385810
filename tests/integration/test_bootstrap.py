"""The composition root: constructors write nothing, one step prepares, the app owns
its cache, and the clock and the rule book it is given are the ones every part uses."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api_support import api_for
from pctrade import bootstrap
from pctrade.bootstrap import sql as bootstrap_sql
from pctrade.inclusive.claim import Period
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import NotFound
from pctrade.ledger import commands as c
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook, shipped

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[2] / "src" / "pctrade"


def test_a_bare_store_and_registry_write_nothing(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    try:
        Registry(store, SetClock(T0))
        assert sa.inspect(store.engine).get_table_names() == []
    finally:
        store.dispose()


def test_prepare_migrates_and_writes_genesis_once_stamped_by_the_app_clock(
    sqlite_url: str,
) -> None:
    with bootstrap.build(sqlite_url, clock=SetClock(T0), prepare=False) as app:
        assert sa.inspect(app.store.engine).get_table_names() == []
        app.prepare()
        with app.store.reader() as uow:
            assert uow.head.last_seq == 1
            genesis = uow.entry(1)
        assert genesis is not None and genesis.header.ts == format_ts(T0)
    later = SetClock(datetime(2027, 1, 1, tzinfo=UTC))
    with bootstrap.build(sqlite_url, clock=later) as again, again.store.reader() as uow:
        assert uow.head.last_seq == 1


def test_neither_a_fresh_app_nor_a_reset_serves_rows_cached_before(any_store: SqlStore) -> None:
    first = bootstrap.build(any_store, clock=SetClock(T0))
    first.registry.open_account("registry", "o-bob", c.OpenAccount("bob", Role.INDIVIDUAL, "B"))
    with first.store.reader() as uow:
        assert uow.party("bob") is not None  # now remembered
    bootstrap_sql.empty(any_store.engine)  # behind the app's back
    fresh = bootstrap.build(any_store, clock=SetClock(T0))
    with fresh.store.reader() as uow:
        assert uow.party("bob") is None
    fresh.registry.open_account("registry", "o-bob", c.OpenAccount("bob", Role.INDIVIDUAL, "B"))
    with fresh.store.reader() as uow:
        assert uow.party("bob") is not None
    fresh.reset()
    with fresh.store.reader() as uow:
        assert uow.party("bob") is None
        assert uow.head.last_seq == 1  # a new genesis, nothing else


def test_services_decide_by_the_rule_book_they_are_given(any_store: SqlStore) -> None:
    national_only = RuleBook(r for r in shipped().rule_sets() if r.jurisdiction == "CN")
    app = bootstrap.build(any_store, clock=SetClock(T0), rules=national_only)
    app.registry.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "R"))
    june = Period(T0.date().replace(month=6, day=1), T0.date().replace(month=6, day=30))
    with pytest.raises(NotFound) as exc:
        app.inclusive.open("reg", "o-ci", "GD", june)
    assert exc.value.code == "no_rule_set"


def test_the_api_takes_today_from_the_app_clock(any_store: SqlStore) -> None:
    before_gd_rules = SetClock(datetime(2020, 1, 1, tzinfo=UTC))
    app = bootstrap.build(any_store, clock=before_gd_rules)
    with TestClient(api_for(app)) as client:
        assert client.get("/rules/GD/in-force").status_code == 404
        before_gd_rules.now = T0
        assert client.get("/rules/GD/in-force").json()["version"] == "GD/2022-05-06"


def _wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ""
            if (name, node.func.attr) in {
                ("datetime", "now"),
                ("datetime", "utcnow"),
                ("datetime", "today"),
                ("date", "today"),
                ("time", "time"),
                ("time", "time_ns"),
            }:
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_only_the_system_clock_reads_the_wall_clock() -> None:
    reads = [r for p in sorted(SRC.rglob("*.py")) for r in _wall_clock_reads(p)]
    # One read, in SystemClock; every other "now" is asked of an injected clock.
    assert [r.split(":")[0] for r in reads] == ["kernel/clock.py"], reads


def test_a_reset_removes_the_behaviour_files_of_the_old_journal(
    any_store: SqlStore, tmp_path: Path
) -> None:
    app = bootstrap.build(any_store, clock=SetClock(T0), data_dir=tmp_path)
    kept = tmp_path / "behaviour" / "events" / "metro" / "b1.parquet"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"old events")
    other = tmp_path / "exports" / "keep.csv"  # not the registry's: left alone
    other.parent.mkdir()
    other.write_text("x")
    app.reset()
    assert not (tmp_path / "behaviour").exists() and other.read_text() == "x"
