"""The in-memory ledger is a faithful fake: the same operations give the same journal.

Every registry operation runs on ``MemoryStore`` and on a real SQL store with the same
clock; the journals agree hash for hash, and so do balances and holds.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pctrade import bootstrap
from pctrade.kernel.clock import SetClock
from pctrade.kernel.entropy import SeededEntropy
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.invariants import Replay
from pctrade.ledger.memory import MemoryStore
from pctrade.ledger.model import Role, State, asset_names
from pctrade.ledger.operations import FreezeReason, Retirement
from pctrade.ledger.ports import Store
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-AFF0007-2026Q3-001"


def _script(reg: Registry) -> None:
    reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    reg.open_accounts("registry", "o-all", c.OpenAccounts(Role.INDIVIDUAL, ["a", "b", "d"]))
    reg.open_account("registry", "o-p", c.OpenAccount("plat", Role.PLATFORM, "Platform"))
    reg.open_account("registry", "o-s", c.OpenAccount("steel", Role.EMITTER, "Steel"))
    a, b, d, plat, steel = 1000, 1001, 1002, 1003, 1004
    reg.issue("reg", "i", c.Issue(BATCH, [a, b, steel], [1_000, 400, 300]))
    reg.deposit("reg", "dep", c.Deposit(plat, 9_000, "bank"))
    reg.transfer("a", "t", c.Transfer(a, b, BATCH, 150))
    hold = reg.freeze("b", "f", c.Freeze(b, BATCH, 200, FreezeReason.PLEDGE, "pool-1")).seq
    reg.unfreeze("b", "u", c.Unfreeze(hold, 50))
    reg.surrender("steel", "s", c.Surrender(steel, BATCH, 100, "2026"))
    reg.retire("a", "r", c.Retire(a, BATCH, 50, Retirement("A", "trip", "CN-GD", "2026-10")))
    reg.distribute("plat", "pay", c.Distribute(plat, "CNY", [a, b, d], [1, 2, 3], "payout"))
    moved = reg.transfer("plat", "cash", c.Transfer(plat, d, "CNY", 700)).seq
    reg.correct("registry", "fix", c.Correct(moved, "wrong payee"))
    reg.withdraw("plat", "w", c.Withdraw(plat, 100, "bank-out"))
    reg.authorize("a", "g", c.Authorize(a, "plat"))
    reg.transfer("plat", "agent", c.Transfer(a, d, BATCH, 10))
    reg.cancel("reg", "x", c.Cancel(b, BATCH, 20, "buffer loss"))
    # Refused operations write nothing on either store.
    for refused in (
        lambda: reg.transfer("a", "over", c.Transfer(a, b, BATCH, 10**6)),
        lambda: reg.unfreeze("b", "u2", c.Unfreeze(hold, 10**6)),
        lambda: reg.correct("registry", "fix2", c.Correct(moved, "again")),
    ):
        with pytest.raises(PctradeError):
            refused()


def _journal(store: Store) -> tuple[list[str], dict[object, int], dict[int, int]]:
    with store.reader() as uow:
        hashes = [e.hash for e in uow.entries_page(0, 1_000)]
        balances = {k: v for k, v in uow.stored_balances() if v != 0}
        holds = dict(uow.stored_holds())
    return hashes, balances, holds


def test_memory_and_sql_stores_write_the_same_journal(any_store: SqlStore) -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    # The same seed on both: the retirement draws the same certificate token.
    app = bootstrap.build(any_store, clock=SetClock(start), entropy=SeededEntropy(7))
    memory = MemoryStore()
    fake = Registry(memory, SetClock(start), entropy=SeededEntropy(7))
    fake.ensure_genesis()
    _script(app.registry)
    _script(fake)
    assert _journal(memory) == _journal(any_store)
    assert len(_journal(memory)[0]) == 19


def test_memory_and_sql_stores_answer_the_same_positions_at_every_seq(
    any_store: SqlStore,
) -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    app = bootstrap.build(any_store, clock=SetClock(start), entropy=SeededEntropy(7))
    memory = MemoryStore()
    fake = Registry(memory, SetClock(start), entropy=SeededEntropy(7))
    fake.ensure_genesis()
    _script(app.registry)
    _script(fake)
    accounts = [1, 2, 1000, 1001, 1002, 1003, 1004]
    for seq in range(1, len(_journal(memory)[0]) + 1):
        sql, mem = (queries.positions(s, accounts, seq) for s in (any_store, memory))
        assert sql == mem, seq
    assert queries.supply(any_store, BATCH) == queries.supply(memory, BATCH)


def test_positions_at_every_seq_are_a_replay_of_the_journal_up_to_it(any_store: SqlStore) -> None:
    # Positions are wound back from the head; replaying from genesis must agree.
    app = bootstrap.build(any_store, clock=SetClock(datetime(2026, 7, 1, tzinfo=UTC)))
    _script(app.registry)
    with any_store.reader() as uow:
        journal = list(uow.stream_journal())
        names = asset_names(uow.batches())
    accounts = [1, 2, 1000, 1001, 1002, 1003, 1004]
    for n in range(1, len(journal) + 1):
        replay = Replay()
        for stored in journal[:n]:
            replay.feed(stored)
        found = queries.positions(any_store, accounts, n)
        balances = {
            (p.account.account_id, h.asset, h.state): h.amount
            for p in found.accounts
            for h in p.holdings
        }
        assert balances == {
            (a, names[asset], State(state).label): v
            for (a, asset, state), v in replay.balances.items()
            if a in accounts and v != 0
        }, n
        holds = {h["hold_id"]: h["remaining"] for p in found.accounts for h in p.holds}
        assert holds == {h: left for h, left in replay.holds.items() if left > 0}, n


def test_memory_and_sql_stores_answer_the_same_supply_totals(any_store: SqlStore) -> None:
    start = datetime(2026, 7, 1, tzinfo=UTC)
    app = bootstrap.build(any_store, clock=SetClock(start), entropy=SeededEntropy(7))
    memory = MemoryStore()
    fake = Registry(memory, SetClock(start), entropy=SeededEntropy(7))
    fake.ensure_genesis()
    _script(app.registry)
    _script(fake)
    sql, mem = (queries.supply_totals(s) for s in (any_store, memory))
    assert sql.totals == mem.totals and sql.totals
    # One pass over every balance answers what one batch's own read does.
    one = queries.supply(any_store, BATCH)
    with any_store.reader() as uow:
        assert uow.supplies()[one.batch.asset_id] == one.by_state
    for total in sql.totals:
        assert sum(total.by_state.values()) == total.issued_g
