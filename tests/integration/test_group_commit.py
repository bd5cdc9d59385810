"""Group commit: concurrent operations share a transaction yet each stays its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import InsufficientBalance, PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.queries import account_view, journal_page
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

BATCH = "CCER-CN-AFF0007-2026Q3-001"
PEOPLE = 20


@pytest.fixture
def grouped(any_store: SqlStore) -> Iterator[tuple[Registry, list[int]]]:
    reg = bootstrap.build(any_store, group_commit=True).registry
    reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    parties = [f"p{i}" for i in range(PEOPLE)]
    first = reg.open_accounts("registry", "people", c.OpenAccounts(Role.INDIVIDUAL, parties))
    assert first.payload["accounts"] == PEOPLE
    ids = list(range(1000, 1000 + PEOPLE))
    reg.issue("reg", "issue", c.Issue(BATCH, ids, [1_000] * PEOPLE))
    yield reg, ids
    reg.close()


def _available(store: SqlStore, account_id: int) -> int:
    view = account_view(store, account_id)
    return sum(h.amount for h in view.holdings if h.asset == BATCH and h.state == "available")


def test_concurrent_transfers_in_groups_keep_every_invariant(
    grouped: tuple[Registry, list[int]],
) -> None:
    reg, ids = grouped
    head_before = journal_page(reg.store, 0, 500).items[-1].seq
    outcomes: list[int] = []
    refused: list[str] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for i in range(25):
            src, dst = ids[(w + i) % PEOPLE], ids[(w + 3 * i + 1) % PEOPLE]
            if src == dst:
                continue
            quantity = 400 if i % 5 else 5_000  # every fifth asks for more than exists
            try:
                receipt = reg.transfer(
                    f"p{src - 1000}", f"w{w}-{i}", c.Transfer(src, dst, BATCH, quantity)
                )
            except PctradeError as exc:
                with lock:
                    refused.append(exc.code)
                continue
            with lock:
                outcomes.append(receipt.seq)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert refused and set(refused) == {"insufficient_balance"}
    assert sorted(outcomes) == list(range(head_before + 1, head_before + 1 + len(outcomes)))
    assert sum(_available(reg.store, a) for a in ids) == 1_000 * PEOPLE
    report = verify(reg.store)
    assert report.ok, report.problems


def test_a_failing_operation_does_not_undo_the_others_in_its_group(
    grouped: tuple[Registry, list[int]],
) -> None:
    reg, ids = grouped
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def good() -> None:
        barrier.wait()
        reg.transfer("p0", "good", c.Transfer(ids[0], ids[1], BATCH, 10))

    def bad() -> None:
        barrier.wait()
        try:
            reg.transfer("p2", "bad", c.Transfer(ids[2], ids[3], BATCH, 10**6))
        except InsufficientBalance as exc:
            errors.append(exc)

    threads = [threading.Thread(target=good), threading.Thread(target=bad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 1
    assert _available(reg.store, ids[0]) == 990 and _available(reg.store, ids[1]) == 1_010
    assert _available(reg.store, ids[2]) == 1_000
    assert verify(reg.store).ok


def test_the_same_key_sent_twice_at_once_is_recorded_once(
    grouped: tuple[Registry, list[int]],
) -> None:
    reg, ids = grouped
    barrier = threading.Barrier(4)
    seqs: list[int] = []

    def send() -> None:
        barrier.wait()
        seqs.append(reg.transfer("p0", "once", c.Transfer(ids[0], ids[1], BATCH, 7)).seq)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seqs)) == 1
    assert _available(reg.store, ids[1]) == 1_007


def test_same_key_racing_without_group_commit_is_recorded_once(any_store: SqlStore) -> None:
    """Concurrent writers with one key: the loser of the race answers as a replay."""
    reg = bootstrap.build(any_store).registry
    reg.open_account("registry", "reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
    reg.open_accounts("registry", "people", c.OpenAccounts(Role.INDIVIDUAL, ["a", "b"]))
    reg.issue("reg", "issue", c.Issue(BATCH, [1000, 1001], [1_000, 1_000]))
    for round_no in range(10):
        barrier = threading.Barrier(4)
        seqs: list[int] = []

        def send(key: str, barrier: threading.Barrier, seqs: list[int]) -> None:
            barrier.wait()
            seqs.append(reg.transfer("a", key, c.Transfer(1000, 1001, BATCH, 1)).seq)

        args = (f"race-{round_no}", barrier, seqs)
        threads = [threading.Thread(target=send, args=args) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seqs) == 4 and len(set(seqs)) == 1
    assert _available(any_store, 1001) == 1_010
    assert verify(any_store).ok
