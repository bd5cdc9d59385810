"""The registry's access, idempotency and refusal rules, on the in-memory ledger.

No database: ``MemoryStore`` is the fake of the ledger's port, held to the SQL store
hash for hash by ``tests/integration/test_memory_store.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
)
from pctrade.ledger import commands as c
from pctrade.ledger.context import LEDGER
from pctrade.ledger.memory import MemoryStore, NoSqlHere
from pctrade.ledger.model import CASH_ASSET, Role, State
from pctrade.ledger.operations import (
    FreezeReason,
    HoldChange,
    OpType,
    Plan,
    Retirement,
    holds_payload,
)
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.queries import verify
from pctrade.ledger.service import Registry

BATCH = "CCER-CN-AFF0007-2026Q3-001"
TS = "2026-07-01T00:00:00.000000Z"


class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.reg = Registry(self.store, SetClock(datetime(2026, 7, 1, tzinfo=UTC)))
        self.reg.ensure_genesis()
        reg = self.reg
        reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
        ids = {}
        for party, role in [("alice", Role.INDIVIDUAL), ("bob", Role.INDIVIDUAL)]:
            receipt = reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role))
            ids[party] = int(receipt.payload["account"])
        self.alice, self.bob = ids["alice"], ids["bob"]
        reg.issue("reg", "i-1", c.Issue(BATCH, [self.alice], [1_000]))
        reg.deposit("reg", "d-1", c.Deposit(self.alice, 5_000, "bank-1"))

    def head(self) -> int:
        with self.store.reader() as uow:
            return uow.head.last_seq

    def held(self, account: int, asset: str = BATCH, state: State = State.AVAILABLE) -> int:
        with self.store.reader() as uow:
            asset_id = CASH_ASSET if asset == "CNY" else uow.batch_named(asset).asset_id  # type: ignore[union-attr]
            return uow.balance(account, asset_id, state)


@pytest.fixture
def w() -> World:
    return World()


def test_a_replay_answers_the_recorded_entry_and_writes_nothing(w: World) -> None:
    cmd = c.Transfer(w.alice, w.bob, BATCH, 100)
    first = w.reg.transfer("alice", "t-1", cmd)
    head = w.head()
    again = w.reg.transfer("alice", "t-1", cmd)
    assert again.replayed and again.seq == first.seq and not first.replayed
    assert w.head() == head and w.held(w.bob) == 100


def test_a_used_key_with_another_request_is_refused(w: World) -> None:
    w.reg.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH, 100))
    with pytest.raises(IdempotencyConflict):
        w.reg.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH, 101))


def test_the_same_key_of_another_actor_is_another_request(w: World) -> None:
    w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, BATCH, 100))
    receipt = w.reg.transfer("bob", "k", c.Transfer(w.bob, w.alice, BATCH, 40))
    assert not receipt.replayed and w.held(w.alice) == 940


def test_only_the_holder_or_an_agent_moves_a_holding(w: World) -> None:
    head = w.head()
    with pytest.raises(Forbidden):
        w.reg.transfer("bob", "steal", c.Transfer(w.alice, w.bob, BATCH, 100))
    assert w.head() == head
    w.reg.authorize("alice", "grant", c.Authorize(w.alice, "bob"))
    w.reg.transfer("bob", "as-agent", c.Transfer(w.alice, w.bob, BATCH, 100))
    assert w.held(w.bob) == 100


def test_an_overspend_is_refused_with_what_is_short_and_writes_nothing(w: World) -> None:
    head = w.head()
    with pytest.raises(InsufficientBalance, match="has 1000 available, needs 5000"):
        w.reg.transfer("alice", "big", c.Transfer(w.alice, w.bob, BATCH, 5_000))
    assert w.head() == head and w.held(w.alice) == 1_000


def test_an_unknown_actor_may_do_nothing(w: World) -> None:
    with pytest.raises(Forbidden):
        w.reg.transfer("mallory", "m", c.Transfer(w.alice, w.bob, BATCH, 1))


def test_only_authorities_issue_and_deposit(w: World) -> None:
    with pytest.raises(Forbidden):
        w.reg.issue("alice", "i", c.Issue("CCER-CN-AFF0007-2026Q4-001", [w.alice], [5]))
    with pytest.raises(Forbidden):
        w.reg.deposit("alice", "d", c.Deposit(w.alice, 5, "self"))


def test_a_batch_is_issued_once(w: World) -> None:
    with pytest.raises(Conflict) as refused:
        w.reg.issue("reg", "i-2", c.Issue(BATCH, [w.bob], [5]))
    assert refused.value.code == "batch_exists"


def test_a_hold_releases_no_more_than_is_left(w: World) -> None:
    frozen = w.reg.freeze("alice", "f", c.Freeze(w.alice, BATCH, 300, FreezeReason.PLEDGE, "p"))
    w.reg.unfreeze("alice", "u-1", c.Unfreeze(frozen.seq, 100))
    assert w.held(w.alice, state=State.FROZEN) == 200
    with pytest.raises(Conflict) as refused:
        w.reg.unfreeze("alice", "u-2", c.Unfreeze(frozen.seq, 201))
    assert refused.value.code == "exceeds_hold"
    w.reg.unfreeze("alice", "u-3", c.Unfreeze(frozen.seq))
    assert w.held(w.alice) == 1_000 and w.held(w.alice, state=State.FROZEN) == 0


def test_a_regulator_freeze_is_lifted_only_by_an_authority(w: World) -> None:
    frozen = w.reg.freeze(
        "reg", "rf", c.Freeze(w.alice, BATCH, 10, FreezeReason.REGULATOR, "case-1")
    )
    with pytest.raises(Forbidden):
        w.reg.unfreeze("alice", "u", c.Unfreeze(frozen.seq))
    w.reg.unfreeze("reg", "u", c.Unfreeze(frozen.seq))


def test_retired_credits_never_move_again(w: World) -> None:
    w.reg.retire("alice", "r", c.Retire(w.alice, BATCH, 600, Retirement("Alice", "trip")))
    assert w.held(w.alice, state=State.RETIRED) == 600
    with pytest.raises(InsufficientBalance):
        w.reg.transfer("alice", "t", c.Transfer(w.alice, w.bob, BATCH, 500))


def test_a_transfer_is_corrected_once_and_only_by_the_operator(w: World) -> None:
    moved = w.reg.transfer("alice", "t", c.Transfer(w.alice, w.bob, "CNY", 1_500))
    with pytest.raises(Forbidden):
        w.reg.correct("reg", "c-0", c.Correct(moved.seq, "typo"))
    w.reg.correct("registry", "c-1", c.Correct(moved.seq, "typo"))
    assert w.held(w.alice, "CNY") == 5_000 and w.held(w.bob, "CNY") == 0
    with pytest.raises(Conflict) as again:
        w.reg.correct("registry", "c-2", c.Correct(moved.seq, "typo"))
    assert again.value.code == "already_corrected"


def test_unknown_accounts_and_batches_are_named(w: World) -> None:
    with pytest.raises(NotFound) as account:
        w.reg.transfer("alice", "x", c.Transfer(w.alice, 999_999, BATCH, 1))
    assert account.value.code == "unknown_account"
    with pytest.raises(NotFound) as batch:
        w.reg.transfer("alice", "y", c.Transfer(w.alice, w.bob, "CCER-CN-AFF0009-2026Q3-001", 1))
    assert batch.value.code == "unknown_batch"


def test_the_journal_of_the_fake_verifies(w: World) -> None:
    w.reg.transfer("alice", "t", c.Transfer(w.alice, w.bob, BATCH, 100))
    w.reg.freeze("bob", "f", c.Freeze(w.bob, BATCH, 50, FreezeReason.PLEDGE, "o-1"))
    report = verify(w.store, (LEDGER,))
    assert report.ok, report.problems
    assert report.head_seq == w.head()


def test_a_context_sql_cannot_run_on_the_fake(w: World) -> None:
    with w.store.reader() as uow, pytest.raises(NoSqlHere):
        uow.execute("SELECT 1")


def _settlement(w: World, cash_hold: int, credit_hold: int, fen: int, grams: int) -> Plan:
    """Bob pays cash out of his order's hold; Alice delivers out of hers (DvP)."""
    with w.store.reader() as uow:
        credit = uow.batch_named(BATCH).asset_id  # type: ignore[union-attr]
    postings = Postings.of(
        [
            Posting(w.bob, CASH_ASSET, State.FROZEN, -fen),
            Posting(w.alice, CASH_ASSET, State.AVAILABLE, fen),
            Posting(w.alice, credit, State.FROZEN, -grams),
            Posting(w.bob, credit, State.AVAILABLE, grams),
        ]
    )
    holds = (
        HoldChange(cash_hold, w.bob, CASH_ASSET, -fen),
        HoldChange(credit_hold, w.alice, credit, -grams),
    )
    return Plan(OpType.TRANSFER, {"holds": holds_payload(holds)}, postings=postings, holds=holds)


def test_one_entry_draws_two_holds_down_or_nothing(w: World) -> None:
    w.reg.transfer("alice", "cash", c.Transfer(w.alice, w.bob, "CNY", 2_000))
    bid = w.reg.freeze("bob", "b", c.Freeze(w.bob, "CNY", 2_000, FreezeReason.PLEDGE, "o-1"))
    ask = w.reg.freeze("alice", "a", c.Freeze(w.alice, BATCH, 300, FreezeReason.PLEDGE, "o-2"))
    with w.store.writer() as uow:
        uow.append(_settlement(w, bid.seq, ask.seq, 1_200, 100), "registry", "dvp", "r", TS)
        uow.commit()
    # Another order's hold keeps Alice's frozen credits above what is drawn next, so
    # only the hold it is drawn from is short.
    w.reg.freeze("alice", "a-2", c.Freeze(w.alice, BATCH, 300, FreezeReason.PLEDGE, "o-3"))
    head = w.head()
    with w.store.writer() as uow, pytest.raises(Conflict) as refused:
        uow.append(_settlement(w, bid.seq, ask.seq, 100, 201), "registry", "dvp-2", "r", TS)
    assert refused.value.code == "exceeds_hold" and w.head() == head
    with w.store.reader() as uow:
        assert uow.hold(bid.seq).remaining == 800  # type: ignore[union-attr]
        assert uow.hold(ask.seq).remaining == 200  # type: ignore[union-attr]
    assert w.held(w.bob) == 100 and w.held(w.alice, "CNY") == 4_200
    assert verify(w.store, (LEDGER,)).ok


def test_a_write_without_an_entry_shares_the_key_space_of_entries(w: World) -> None:
    calls: list[str] = []

    def work(uow: object, who: object) -> dict[str, object]:
        calls.append("ran")
        return {"decided": 7}

    cmd = c.Deposit(w.alice, 1, "not-an-entry")  # any command: only its fingerprint counts
    first = w.reg.journal.execute_recorded("alice", "log-1", cmd, work)
    again = w.reg.journal.execute_recorded("alice", "log-1", cmd, work)
    assert (first.result, first.replayed) == ({"decided": 7}, False)
    assert (again.result, again.replayed) == ({"decided": 7}, True) and calls == ["ran"]
    with pytest.raises(IdempotencyConflict):
        w.reg.journal.execute_recorded("alice", "log-1", c.Deposit(w.alice, 2, "x"), work)
    with pytest.raises(IdempotencyConflict):
        w.reg.transfer("alice", "log-1", c.Transfer(w.alice, w.bob, BATCH, 1))
