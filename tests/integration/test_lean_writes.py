"""Lean writes: on PostgreSQL a small operation is one self-checking statement.

The lean path skips the reads the careful path makes (idempotency key, balances, the
journal head) and lets ``one_statement`` check them as it writes; any refusal is asked
again carefully. These tests hold it to the careful path's word: the same journal,
hash for hash; the same precise refusals with nothing written; replays; and a head
moved by another process caught rather than forked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
import sqlalchemy as sa
from tests.integration.registry_world import (
    BATCH,
    World,
    assert_verifies,
    build_world,
    snapshot,
)

from pctrade import bootstrap
from pctrade.kernel.clock import SetClock
from pctrade.kernel.entropy import SeededEntropy
from pctrade.kernel.errors import IdempotencyConflict, InsufficientBalance, PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.group_commit import GroupCommitter, _Job
from pctrade.ledger.model import Account, HolderType, Party, Role, State
from pctrade.ledger.operations import Retirement, plan_open_accounts, plan_transfer
from pctrade.ledger.ports import OptimisticMiss
from pctrade.ledger.sql import one_statement
from pctrade.ledger.sql.store import Head, SqlStore, SqlUnitOfWork

pytestmark = pytest.mark.pg
T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _every_small_operation(w: World) -> None:
    """One of each operation that goes lean, including an agent's and a correction."""
    reg = w.reg
    reg.authorize("alice", "a-1", c.Authorize(w.alice, "plat"))
    reg.transfer("plat", "t-1", c.Transfer(w.alice, w.bob, BATCH, 100))
    reg.transfer("alice", "t-2", c.Transfer(w.alice, w.steel, BATCH, 50))
    frozen = reg.freeze("alice", "f-1", c.Freeze(w.alice, BATCH, 200, "pledge", "POOL-1"))
    reg.unfreeze("alice", "u-1", c.Unfreeze(frozen.seq, 120))
    reg.surrender("steel", "s-1", c.Surrender(w.steel, BATCH, 300, "2026"))
    why = Retirement("Bob", "my commute", "CN-GD", "2026")
    reg.retire("bob", "r-1", c.Retire(w.bob, BATCH, 40, why))
    reg.cancel("reg", "c-1", c.Cancel(w.steel, BATCH, 10, "registry error"))
    reg.deposit("reg", "d-2", c.Deposit(w.bob, 2_500, "bank-2"))
    reg.withdraw("alice", "w-1", c.Withdraw(w.alice, 1_000, "bank-3"))
    wrong = reg.transfer("alice", "t-3", c.Transfer(w.alice, w.bob, "CNY", 700))
    reg.correct("registry", "x-1", c.Correct(wrong.seq, "paid the wrong person"))
    reg.authorize("alice", "a-2", c.Authorize(w.alice, "plat", active=False))


def _journal(store: SqlStore) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT seq, op_type, prev_hash, hash FROM entries ORDER BY seq")
        )
        return [tuple(r) for r in rows]


@contextmanager
def _counting_key_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    count = [0]
    read = SqlUnitOfWork.entry_by_key

    def counted(self: SqlUnitOfWork, actor: str, key: str) -> object:
        count[0] += 1
        return read(self, actor, key)

    with monkeypatch.context() as m:
        m.setattr(SqlUnitOfWork, "entry_by_key", counted)
        yield count


def test_lean_operations_write_the_careful_journal_hash_for_hash(
    store: SqlStore, pg_store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite always takes the careful path; PostgreSQL takes the lean one. With the same
    # clock, the journals must agree to the last hash, and so must every balance and hold.
    for s in (store, pg_store):
        # The same seed on both: the retirement draws the same certificate token.
        world = build_world(s, SetClock(T0), SeededEntropy(12))
        with _counting_key_reads(monkeypatch) as key_reads:
            _every_small_operation(world)
        assert_verifies(s)
        # Careful on SQLite (one key read an operation), lean on PostgreSQL (none).
        assert (key_reads[0] > 0) == (s is store)
    assert _journal(store) == _journal(pg_store)
    assert snapshot(store) == snapshot(pg_store)
    assert len(_journal(pg_store)) > 15


def test_a_lean_refusal_is_as_precise_as_a_careful_one_and_writes_nothing(
    pg_store: SqlStore,
) -> None:
    w = build_world(pg_store)
    before = snapshot(pg_store)
    with pytest.raises(InsufficientBalance, match="has 1000 available, needs 5000"):
        w.reg.transfer("alice", "big", c.Transfer(w.alice, w.bob, BATCH, 5_000))
    frozen = w.reg.freeze("alice", "f", c.Freeze(w.alice, BATCH, 10, "pledge", "O-1"))
    with pytest.raises(PctradeError) as exc:
        w.reg.unfreeze("alice", "u", c.Unfreeze(frozen.seq, 11))
    assert exc.value.code == "exceeds_hold"
    after = snapshot(pg_store)
    assert after[0] == before[0] + 1  # only the freeze
    assert_verifies(pg_store)


def test_a_lean_replay_returns_the_original_and_a_reused_key_is_refused(
    pg_store: SqlStore,
) -> None:
    w = build_world(pg_store)
    first = w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, BATCH, 900))
    # The balance is now too short for a second 900: a replay must still answer with the
    # original entry, not with a refusal.
    again = w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, BATCH, 900))
    assert (again.seq, again.replayed) == (first.seq, True)
    before = snapshot(pg_store)
    with pytest.raises(IdempotencyConflict):
        w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, BATCH, 1))
    assert snapshot(pg_store) == before


def test_a_head_moved_by_another_process_is_caught_not_forked(
    pg_store: SqlStore, pg_url: str
) -> None:
    w = build_world(pg_store)
    w.reg.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH, 1))
    remembered = pg_store._last_head.get()
    other = SqlStore(pg_url)  # another process, as far as we know
    try:
        bootstrap.build(other).registry.transfer("bob", "t-2", c.Transfer(w.bob, w.alice, BATCH, 1))
    finally:
        other.dispose()
    assert remembered is not None and pg_store._last_head.get() == remembered  # now stale
    receipt = w.reg.transfer("alice", "t-3", c.Transfer(w.alice, w.bob, BATCH, 1))
    assert receipt.seq == remembered.last_seq + 2
    assert_verifies(pg_store)


def test_a_stale_head_in_the_statement_writes_nothing(pg_store: SqlStore) -> None:
    w = build_world(pg_store)
    before = snapshot(pg_store)
    alice = Account(w.alice, HolderType.INDIVIDUAL, "alice", "")
    bob = Account(w.bob, HolderType.INDIVIDUAL, "bob", "")
    with pg_store.engine.connect() as conn:
        asset = conn.execute(sa.text("SELECT asset_id FROM batches")).scalar_one()
    plan = plan_transfer(alice, bob, asset, 5)
    with pg_store.writer(autocommit=True) as uow:
        uow._head = Head(before[0] - 1, "0" * 64, 0, 0)  # an old head
        with pytest.raises(OptimisticMiss, match="head moved on"):
            uow.append(plan, "alice", "stale", "r" * 64, "2026-09-01T08:00:00Z")
    assert snapshot(pg_store) == before


def test_the_statements_generic_plan_finds_balances_by_key(pg_store: SqlStore) -> None:
    # Prepared once, the statement is planned generically; over parameter arrays the
    # planner guessed their size and scanned every balance. It must use the keys.
    w = build_world(pg_store)
    with pg_store.engine.connect() as conn:
        asset = conn.execute(sa.text("SELECT asset_id FROM batches")).scalar_one()
    alice = Account(w.alice, HolderType.INDIVIDUAL, "alice", "")
    bob = Account(w.bob, HolderType.INDIVIDUAL, "bob", "")
    plan = plan_transfer(alice, bob, asset, 5)
    with pg_store.reader() as uow:
        head = uow.head
    row = {
        "seq": head.last_seq + 1,
        "op": "transfer",
        "actor": "alice",
        "key": "plan",
        "req": "r" * 64,
        "ts": "2026-09-01T08:00:00Z",
        "payload": "{}",
        "corrects": None,
        "n": 2,
        "prev": head.last_hash,
        "hash": "f" * 64,
    }
    sql, params = one_statement.prepare(plan, row, head.last_seq)
    names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    numbered = re.sub(r"%\((\w+)\)s", number, sql)
    url = pg_store.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute("PREPARE one AS " + numbered)
        cur = psycopg.ClientCursor(conn)
        marks = ", ".join("%s" for _ in names)
        cur.execute(f"EXPLAIN EXECUTE one({marks})", [params[n] for n in names])
        text = "\n".join(r[0] for r in cur.fetchall())
        conn.rollback()
    assert "balances_pkey" in text
    assert "Seq Scan on balances" not in text, text


@pytest.mark.parametrize("lean", [False, True], ids=["careful", "lean-in-flight"])
def test_a_group_broken_by_one_operation_runs_the_rest_alone(
    pg_store: SqlStore, lean: bool
) -> None:
    w = build_world(pg_store)
    committer = GroupCommitter(pg_store)
    try:
        moved: Future[object] = Future()
        broken: Future[object] = Future()

        def move(uow: SqlUnitOfWork) -> object:
            uow.start_operation(defer_checks=lean)  # lean: its entry is still in flight
            return w.reg.journal._apply(
                uow,
                "alice",
                "grouped",
                c.Transfer(w.alice, w.bob, BATCH, 7).fingerprint(),
                lambda u, who: plan_transfer(
                    Account(w.alice, HolderType.INDIVIDUAL, "alice", ""),
                    Account(w.bob, HolderType.INDIVIDUAL, "bob", ""),
                    1,
                    7,
                ),
                None,
            )

        def breaks(uow: SqlUnitOfWork) -> object:
            return uow._q("SELECT 1 / 0").scalar_one()  # aborts the group's transaction

        committer._run_group([_Job(move, moved), _Job(breaks, broken)])  # type: ignore[arg-type]
        assert moved.result().seq > 0  # type: ignore[attr-defined]
        with pytest.raises(psycopg.errors.DivisionByZero):
            broken.result()
    finally:
        committer.close()
    view = snapshot(pg_store)[1]
    assert view[(w.bob, 1, int(State.AVAILABLE))] == 7
    # Every pooled connection went back usable (none left in pipeline mode or aborted).
    for i in range(25):
        w.reg.transfer("alice", f"after-{i}", c.Transfer(w.alice, w.bob, BATCH, 1))
    grouped = bootstrap.build(pg_store, group_commit=True).registry
    try:
        grouped.transfer("alice", "after-group", c.Transfer(w.alice, w.bob, BATCH, 1))
    finally:
        grouped.close()
    assert_verifies(pg_store)


def test_in_a_group_a_refused_lean_entry_refuses_those_chained_after_it(
    pg_store: SqlStore,
) -> None:
    # Lean entries in a group are sent without waiting; the second is refused by the
    # statement itself (balance), so the third, chained to it, finds the head not as it
    # expected. Neither writes anything; the first commits; each caller hears its own.
    w = build_world(pg_store)
    alice = Account(w.alice, HolderType.INDIVIDUAL, "alice", "")
    bob = Account(w.bob, HolderType.INDIVIDUAL, "bob", "")

    def lean(actor: str, key: str, src: Account, dst: Account, quantity: int) -> _Job:
        fingerprint = c.Transfer(src.account_id, dst.account_id, BATCH, quantity).fingerprint()

        def work(uow: SqlUnitOfWork) -> object:
            uow.start_operation(defer_checks=True)
            return w.reg.journal._apply(
                uow,
                actor,
                key,
                fingerprint,
                lambda u, who: plan_transfer(src, dst, 1, quantity),
                None,
            )

        return _Job(work, Future())  # type: ignore[arg-type]

    jobs = [
        lean("alice", "g-1", alice, bob, 300),
        lean("alice", "g-2", alice, bob, 5_000),  # more than alice has
        lean("bob", "g-3", bob, alice, 100),
    ]
    committer = GroupCommitter(pg_store)
    try:
        committer._run_group(jobs)
    finally:
        committer.close()
    assert jobs[0].future.result().seq > 0  # type: ignore[attr-defined]
    with pytest.raises(InsufficientBalance):
        jobs[1].future.result()
    with pytest.raises(OptimisticMiss):
        jobs[2].future.result()
    balances = snapshot(pg_store)[1]
    assert balances[(w.alice, 1, int(State.AVAILABLE))] == 700
    assert balances[(w.bob, 1, int(State.AVAILABLE))] == 300
    assert_verifies(pg_store)


def test_an_autocommit_writer_refuses_what_one_statement_cannot_do(pg_store: SqlStore) -> None:
    # Opening an account, or writing beside the entry, needs a transaction: the lean
    # attempt says so before writing anything, and the caller goes the careful way.
    build_world(pg_store)
    before = snapshot(pg_store)
    opening = plan_open_accounts([Party("carol", Role.INDIVIDUAL, "Carol")], 5_000, "")
    with pg_store.writer(autocommit=True) as uow:
        with pytest.raises(OptimisticMiss):
            uow.append(opening, "registry", "open-carol", "r" * 64, "2026-09-01T08:00:00Z")
        with pytest.raises(OptimisticMiss):
            uow.conn  # noqa: B018 - the property is the call under test
    assert snapshot(pg_store) == before
