"""The columnar pool sale (``pools.sale_columns``) against the per-object one: on random
pools, on SQLite and PostgreSQL, both paths leave the same postings, holds, balances,
sale lines and deposits, and ``verify`` replays and checks either entry."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sale_support import POOL, T0, TERMS, DepositForTest, SellForTest, deposit, open_pool

from integration.registry_world import build_world
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.operations import HOLDS_PACKED
from pctrade.ledger.sql import bulk
from pctrade.ledger.sql import store as ledger_store
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools.model import Terms
from pctrade.pools.sales import SaleEvidence
from pctrade.pools.settle import BuyerCash, PoolSale
from personal_credits import issue_pcer


@dataclass(frozen=True)
class Outcome:
    postings: list[tuple[int, ...]]
    holds: list[tuple[int, ...]]
    balances: list[tuple[int, ...]]
    lines: list[tuple[int, ...]]
    deposits: list[tuple[int, ...]]
    packed: list[bool]


def _pool(store: SqlStore, seed: int, terms: Terms) -> tuple[Any, list[int]]:
    """A random pool: 3 to 12 people, 1 to 3 deposits each, in shuffled order."""
    rng = random.Random(seed)
    w = build_world(store, clock=SetClock(T0))
    n = rng.randint(3, 12)
    w.reg.open_accounts(
        "registry", "bulk", c.OpenAccounts(Role.INDIVIDUAL, [f"p{i}" for i in range(n)])
    )
    with store.reader() as uow:
        people = [uow.accounts_of(f"p{i}")[0].account_id for i in range(n)]
    held = {a: rng.randint(1_000, 50_000) for a in people}
    batch = issue_pcer(w.app, held, day=date(2026, 6, 10))
    with store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None
    w.reg.deposit("reg", "d-steel", c.Deposit(w.steel, 10**9, "bank-2"))
    open_pool(w.reg, POOL, "plat", w.plat, terms)
    plan = [(a, rng.randint(1, held[a] // 3)) for a in people for _ in range(rng.randint(1, 3))]
    rng.shuffle(plan)
    for i, (a, g) in enumerate(plan):
        deposit(w.reg, "registry", f"dep-{i}", DepositForTest(POOL, a, found.asset_id, g))
    return w, [g for _, g in plan]


def _sell(w: Any, key: str, quantity: int, columnar: bool) -> int:
    sale = PoolSale(POOL, key, "block", 61_234, quantity, w.steel, w.plat, 500, 30)
    evidence = SaleEvidence(POOL, sale, BuyerCash(), columnar=columnar)
    cmd = SellForTest(POOL, key, quantity, sale.price_fen_per_t, sale.buyer)
    receipt = w.reg.journal.execute(
        "registry", key, cmd, lambda uow, who: evidence.plan(uow), evidence
    )
    return receipt.entry.seq


def _rows(conn: Any, sql: str) -> list[tuple[int, ...]]:
    return [tuple(int(v) for v in r) for r in conn.execute(sa.text(sql))]


def _outcome(store: SqlStore, seed: int, terms: Terms, columnar: bool) -> Outcome:
    rng = random.Random(seed + 1)
    w, grams = _pool(store, seed, terms)
    free = sum(grams)
    seqs = []
    for i in range(2):
        quantity = rng.randint(1, free)
        free -= quantity
        seqs.append(_sell(w, f"S-{i}", quantity, columnar))
        if not free:
            break
    report = verify(store)
    assert report.ok, report.problems
    seq_list = ", ".join(map(str, seqs))
    with store.engine.connect() as conn:
        payloads = conn.execute(sa.text(_PAYLOADS)).scalars()
        packed = [HOLDS_PACKED in (p if isinstance(p, dict) else json.loads(p)) for p in payloads]
        tables = [_rows(conn, sql.format(seqs=seq_list)) for sql in _TABLES]
    return Outcome(*tables, packed)


_PAYLOADS = "SELECT payload FROM entries WHERE op_type = 'pool_settle' ORDER BY seq"
_TABLES = (
    "SELECT seq, idx, account_id, asset_id, state, delta FROM postings"
    " WHERE seq IN ({seqs}) ORDER BY seq, idx",
    "SELECT hold_id, account_id, asset_id, amount, remaining FROM holds ORDER BY hold_id",
    "SELECT account_id, asset_id, state, amount FROM balances ORDER BY 1, 2, 3",
    "SELECT entry_seq, account_id, grams_g, gross_fen, fee_fen, net_fen, remainder"
    " FROM pool_sale_lines ORDER BY 1, 2",
    "SELECT d.deposit_id, d.account_id, d.quantity_g, d.quantity_g - d.withdrawn_g - h.remaining"
    " FROM pool_deposits AS d JOIN holds AS h ON h.hold_id = d.deposit_id ORDER BY 1",
)


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], SqlStore]:
    """A new, empty database each call (SQLite: a file; PostgreSQL: the test's, reset)."""
    if request.param == "sqlite":
        return lambda name: SqlStore(f"sqlite:///{tmp_path / name}.db")
    url = request.getfixturevalue("pg_url")
    reset_pg = request.getfixturevalue("pg_reset")

    def fresh(name: str) -> SqlStore:
        reset_pg(url)
        return SqlStore(url)

    return fresh


def _compare(fresh: Callable[[str], SqlStore], seed: int, terms: Terms) -> None:
    outcomes = []
    for columnar in (False, True):
        store = fresh(f"s{int(columnar)}")
        try:
            outcomes.append(_outcome(store, seed, terms, columnar))
        finally:
            store.dispose()
    plain, packed = outcomes
    assert not any(plain.packed) and all(packed.packed)
    assert replace(packed, packed=[]) == replace(plain, packed=[])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("order", ["pro_rata", "fifo"])
def test_the_columnar_sale_leaves_exactly_what_the_per_object_sale_leaves(
    fresh_store: Callable[[str], SqlStore], seed: int, order: str
) -> None:
    terms = replace(TERMS, floor_fen_per_t=1_000, draw_order=order)
    _compare(fresh_store, seed, terms)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_bulk_statements_leave_what_the_row_by_row_ones_leave(
    fresh_store: Callable[[str], SqlStore], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The set-based SQL that a sale to millions takes (temporary tables, COPY, runs of
    postings, distinct-key balance updates), made to serve these small pools."""
    monkeypatch.setattr(ledger_store, "BULK_THRESHOLD", 3)
    monkeypatch.setattr(bulk, "BULK_THRESHOLD", 3)
    monkeypatch.setattr(bulk, "DEBITS_KEYWISE_MAX", 2)
    monkeypatch.setattr(ledger_store, "HOLDS_KEYWISE_MAX", 2)
    _compare(fresh_store, seed, replace(TERMS, floor_fen_per_t=1_000))
