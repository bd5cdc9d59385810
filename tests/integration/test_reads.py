"""The reads integrators need, on SQLite and PostgreSQL (issue 12, item 3).

- Lists come in keyset pages behind an opaque cursor: a row that existed when paging
  began is seen exactly once, however many rows are appended between pages.
- Several accounts are read at one journal position (``as_of``): the balances and
  holds as they were right after that entry, even while writers go on.
- A batch's supply by state is read in one snapshot and sums to what was issued.
- The registry numbers a batch issued by its series: consecutive serials, none twice
  under concurrency, and a replay answers with the serial first given.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from registry_world import BATCH, World, assert_verifies, build_world, snapshot

from pctrade.kernel.errors import Conflict, PctradeError, ValidationError
from pctrade.kernel.paging import Page, decode_cursor, encode_cursor
from pctrade.ledger import commands as c
from pctrade.ledger import queries
from pctrade.ledger.model import State
from pctrade.ledger.operations import FreezeReason, Retirement
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

SERIES = "CCER-CN-AFF0009-2026Q4"
WHY = Retirement("Alice", "offset")


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[World]:
    w = build_world(any_store)
    yield w
    assert_verifies(any_store)


def _page_through(
    read: Callable[[int], Page[Any]], key: Callable[[Any], int], between: Callable[[], None]
) -> list[int]:
    """Every key read page by page, calling ``between`` after each page."""
    seen: list[int] = []
    after = 0
    while True:
        page = read(after)
        seen.extend(key(row) for row in page.items)
        between()
        if page.next_key is None:
            return seen
        after = int(page.next_key[0])


# ---- paging ----------------------------------------------------------------------------
def test_journal_pages_see_every_entry_once_while_entries_are_appended(world: World) -> None:
    for i in range(20):
        world.reg.transfer("alice", f"t-{i}", c.Transfer(world.alice, world.bob, BATCH, 1))
    existing = list(range(1, snapshot(world.store)[0] + 1))
    appended = iter(range(100))

    def append_two() -> None:
        for _ in range(2):
            i = next(appended)
            world.reg.transfer("bob", f"back-{i}", c.Transfer(world.bob, world.alice, BATCH, 1))

    seen = _page_through(
        lambda after: queries.journal_page(world.store, after, 7), lambda e: e.seq, append_two
    )
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert set(existing) <= set(seen)
    # Appended rows take new keys at the end: paging reaches them too (all but the two
    # appended after the last page), never repeating one.
    assert seen == list(range(1, snapshot(world.store)[0] - 1))


def test_batch_pages_see_every_batch_once_while_batches_are_issued(world: World) -> None:
    for i in range(2, 12):
        world.reg.issue("reg", f"i-{i}", c.Issue(f"{SERIES}-{i:03d}", [world.alice], [10]))
    before = [b.asset_id for b in queries.batches_page(world.store, 0, 500).items]
    issued = iter(range(50))

    def issue_one() -> None:
        world.reg.issue("reg", f"more-{next(issued)}", c.Issue(SERIES, [world.bob], [5]))

    seen = _page_through(
        lambda after: queries.batches_page(world.store, after, 4), lambda b: b.asset_id, issue_one
    )
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    assert set(before) <= set(seen) and len(before) == 11


def test_a_page_says_when_it_is_the_last(world: World) -> None:
    everything = queries.journal_page(world.store, 0, 500)
    assert everything.next_key is None
    exact = queries.journal_page(world.store, 0, len(everything.items))
    assert exact.next_key is None  # no empty page after a page that holds the rest
    short = queries.journal_page(world.store, 0, len(everything.items) - 1)
    assert short.next_key == (everything.items[-2].seq,)


@pytest.mark.parametrize("limit", [0, 501])
def test_a_page_size_beyond_the_limit_is_refused(world: World, limit: int) -> None:
    with pytest.raises(ValidationError) as refused:
        queries.batches_page(world.store, 0, limit)
    assert refused.value.code == "bad_limit"


# ---- positions at a journal seq ----------------------------------------------------------
def _positions(world: World, as_of: int | None) -> dict[int, Any]:
    found = queries.positions(world.store, [world.alice, world.bob, world.plat], as_of)
    return {p.account.account_id: (p.holdings, p.holds) for p in found.accounts}


def test_positions_as_of_a_seq_are_the_balances_and_holds_as_they_were_then(world: World) -> None:
    reg = world.reg
    kept = reg.freeze("alice", "f-1", c.Freeze(world.alice, BATCH, 300, FreezeReason.PLEDGE, "P1"))
    reg.unfreeze("alice", "u-1", c.Unfreeze(kept.seq, 100))
    gone = reg.freeze("alice", "f-2", c.Freeze(world.alice, "CNY", 700, FreezeReason.PLEDGE, "O1"))
    reg.transfer("alice", "t-1", c.Transfer(world.alice, world.bob, BATCH, 50))
    then = queries.positions(world.store, [world.alice, world.bob, world.plat], None)
    as_read_then = _positions(world, None)
    n = then.at.seq
    # Afterwards: every kind of change to those accounts.
    reg.unfreeze("alice", "u-2", c.Unfreeze(kept.seq, 150))
    reg.unfreeze("alice", "u-3", c.Unfreeze(gone.seq))
    reg.freeze("bob", "f-3", c.Freeze(world.bob, BATCH, 20, FreezeReason.PLEDGE, "O2"))
    reg.transfer("bob", "t-2", c.Transfer(world.bob, world.plat, BATCH, 10))
    reg.deposit("reg", "d-9", c.Deposit(world.plat, 999, "bank-9"))
    reg.issue("reg", "i-9", c.Issue(f"{SERIES}-001", [world.plat, world.alice], [7, 8]))
    assert _positions(world, None) != as_read_then
    again = queries.positions(world.store, [world.alice, world.bob, world.plat], n)
    assert again.at == then.at
    assert _positions(world, n) == as_read_then
    holds = {h["hold_id"]: h["remaining"] for h in as_read_then[world.alice][1]}
    assert holds == {kept.seq: 200, gone.seq: 700}


def test_positions_before_an_account_was_opened_are_empty(world: World) -> None:
    found = queries.positions(world.store, [world.plat], 1)
    assert found.at.seq == 1
    assert found.accounts[0].holdings == [] and found.accounts[0].holds == []


def test_a_position_not_yet_recorded_is_refused(world: World) -> None:
    head = snapshot(world.store)[0]
    with pytest.raises(Conflict) as refused:
        queries.positions(world.store, [world.alice], head + 1)
    assert refused.value.code == "beyond_head"
    with pytest.raises(PctradeError) as unknown:
        queries.positions(world.store, [world.alice, 999_999], None)
    assert unknown.value.code == "unknown_account"


def test_positions_read_while_others_write_agree_with_each_other(world: World) -> None:
    # Units only ever move between alice and bob: any consistent read of both accounts
    # finds the same total, at the head or at any seq read before.
    stop = threading.Event()
    errors: list[BaseException] = []

    def shuffle() -> None:
        i = 0
        try:
            while not stop.is_set():
                src, dst, who = (
                    (world.alice, world.bob, "alice") if i % 2 else (world.bob, world.alice, "bob")
                )
                world.reg.transfer(who, f"s-{i}", c.Transfer(src, dst, BATCH, 1))
                i += 1
        except BaseException as exc:
            errors.append(exc)

    world.reg.transfer("alice", "seed", c.Transfer(world.alice, world.bob, BATCH, 10))
    writer = threading.Thread(target=shuffle)
    writer.start()
    seen: dict[int, int] = {}
    # At least 40 reads, and on until the writer has moved the head a few times: on a
    # quiet machine 40 reads can finish before its first transfer commits.
    deadline = time.monotonic() + 60
    reads = 0
    try:
        while reads < 40 or (len(seen) < 3 and time.monotonic() < deadline):
            reads += 1
            found = queries.positions(world.store, [world.alice, world.bob], None)
            total = sum(
                h.amount
                for p in found.accounts
                for h in p.holdings
                if h.asset == BATCH and h.state == "available"
            )
            assert total == 1_000
            seen[found.at.seq] = total
    finally:
        stop.set()
        writer.join()
    assert not errors, errors
    assert len(seen) > 1  # the head moved while reading
    for seq in seen:  # and each position read again later answers the same
        again = queries.positions(world.store, [world.alice, world.bob], seq)
        assert sum(h.amount for p in again.accounts for h in p.holdings if h.asset == BATCH) == (
            1_000
        )


# ---- supply by state -------------------------------------------------------------------
def test_a_batchs_supply_by_state_sums_to_what_was_issued(world: World) -> None:
    reg = world.reg
    reg.freeze("alice", "f", c.Freeze(world.alice, BATCH, 100, FreezeReason.PLEDGE, "PL-1"))
    reg.surrender("steel", "s", c.Surrender(world.steel, BATCH, 200, "2026"))
    reg.retire("alice", "r", c.Retire(world.alice, BATCH, 50, WHY))
    reg.cancel("reg", "x", c.Cancel(world.steel, BATCH, 30, "registry error"))
    found = queries.supply(world.store, BATCH)
    assert found.batch.issued_g == 1_500
    assert {s: found.amount(s) for s in found.by_state} == {
        State.AVAILABLE: 1_500 - 100 - 200 - 50 - 30,
        State.FROZEN: 100,
        State.SURRENDERED: 200,
        State.RETIRED: 50,
        State.CANCELLED: 30,
    }
    assert found.reconciles and found.at.seq == snapshot(world.store)[0]


def test_supply_read_while_units_move_always_reconciles(world: World) -> None:
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set() and i < 400:
            held = world.reg.freeze(
                "alice", f"f-{i}", c.Freeze(world.alice, BATCH, 1, FreezeReason.PLEDGE, "O")
            )
            world.reg.unfreeze("alice", f"u-{i}", c.Unfreeze(held.seq))
            world.reg.retire("alice", f"r-{i}", c.Retire(world.alice, BATCH, 1, WHY))
            i += 1

    writer = threading.Thread(target=churn)
    writer.start()
    try:
        for _ in range(30):
            assert queries.supply(world.store, BATCH).reconciles
    finally:
        stop.set()
        writer.join()


# ---- the registry numbers batches ----------------------------------------------------------
def test_a_series_gets_consecutive_serials_and_a_replay_keeps_its_serial(world: World) -> None:
    reg = world.reg
    first = reg.issue("reg", "s-1", c.Issue(SERIES, [world.alice], [10]))
    assert first.payload["batch"]["denomination"] == f"{SERIES}-001"
    reg.issue("reg", "s-5", c.Issue(f"{SERIES}-005", [world.alice], [10]))
    after_five = reg.issue("reg", "s-next", c.Issue(SERIES, [world.bob], [3]))
    assert after_five.payload["batch"]["denomination"] == f"{SERIES}-006"
    before = snapshot(world.store)
    again = reg.issue("reg", "s-1", c.Issue(SERIES, [world.alice], [10]))
    assert again.replayed and again.payload["batch"]["denomination"] == f"{SERIES}-001"
    assert snapshot(world.store) == before
    # Another series is numbered on its own.
    other = reg.issue("reg", "o-1", c.Issue("CCER-GD-AFF0009-2026Q4", [world.bob], [1]))
    assert other.payload["batch"]["denomination"] == "CCER-GD-AFF0009-2026Q4-001"


def test_a_full_series_is_refused_and_writes_nothing(world: World) -> None:
    world.reg.issue("reg", "last", c.Issue(f"{SERIES}-999", [world.alice], [1]))
    before = snapshot(world.store)
    with pytest.raises(Conflict) as refused:
        world.reg.issue("reg", "over", c.Issue(SERIES, [world.alice], [1]))
    assert refused.value.code == "series_full"
    assert snapshot(world.store) == before


@pytest.mark.parametrize("group_commit", [False, True], ids=["one_by_one", "group_commit"])
def test_concurrent_issuances_of_one_series_never_share_a_serial(
    world: World, group_commit: bool
) -> None:
    names: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    # A server commits concurrent callers' operations together: one transaction, each
    # operation still numbered under the head it holds.
    reg = Registry(world.store, world.reg.clock, group_commit=group_commit)

    def issue(i: int) -> None:
        try:
            r = reg.issue("reg", f"c-{i}", c.Issue(SERIES, [world.alice], [1]))
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            names.append(r.payload["batch"]["denomination"])

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(12)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        reg.close()
    assert not errors, errors
    assert sorted(names) == [f"{SERIES}-{n:03d}" for n in range(1, 13)]


def test_a_cursor_of_another_list_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_cursor("batches", encode_cursor("journal", (3,)), (int,))
    assert refused.value.code == "bad_cursor"
