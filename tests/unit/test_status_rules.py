"""Account status, pure: what each entry needs of an account's status, the transitions,
and ``verify``'s replay of them. No database (the services run on ``MemoryStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import Conflict, Forbidden, ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger import status
from pctrade.ledger.invariants import Replay, StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.memory import MemoryStore
from pctrade.ledger.model import (
    Account,
    AccountStatus,
    Batch,
    Denomination,
    HolderType,
    Party,
    Role,
    State,
    SystemAccount,
)
from pctrade.ledger.operations import (
    FreezeReason,
    OpType,
    Plan,
    Retirement,
    plan_cancel,
    plan_freeze,
    plan_genesis,
    plan_issue,
    plan_open_accounts,
    plan_retire,
    plan_transfer,
    plan_unfreeze,
)
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.queries import verify
from pctrade.ledger.service import Registry

OPEN, BLOCKED, SUSPENDED, CLOSED = (
    AccountStatus.OPEN,
    AccountStatus.BLOCKED,
    AccountStatus.SUSPENDED,
    AccountStatus.CLOSED,
)
CREDIT = 1
ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
BOB = Account(1001, HolderType.INDIVIDUAL, "bob")
ISSUANCE = Account(SystemAccount.ISSUANCE, HolderType.SYSTEM, "registry")
TS = "2026-01-01T00:00:00.000000Z"
BATCH_NAME = "CCER-CN-AFF0007-2026Q3-001"


# ---- the rule ------------------------------------------------------------------------
def test_a_transfer_needs_its_payer_open_and_its_payee_at_most_blocked() -> None:
    plan = plan_transfer(ALICE, BOB, CREDIT, 10)
    assert status.limits(plan.postings, by_authority=False) == {1000: OPEN, 1001: BLOCKED}


def test_opening_a_hold_sends_and_releasing_one_only_touches() -> None:
    freeze = plan_freeze(ALICE, CREDIT, 10, FreezeReason.ORDER, "o-1")
    release = plan_unfreeze(7, 1000, CREDIT, 10, None)
    assert status.limits(freeze.postings, by_authority=False) == {1000: OPEN}
    assert status.limits(release.postings, by_authority=False) == {1000: SUSPENDED}


def test_retiring_sends_as_its_units_leave_the_movable_holdings() -> None:
    plan = plan_retire(ALICE, CREDIT, 10, Retirement("A", "offset"), certificate_token="a" * 26)
    assert status.limits(plan.postings, by_authority=False) == {1000: OPEN}


def test_an_authority_is_stopped_by_a_closed_account_only() -> None:
    cancel = plan_cancel(ALICE, CREDIT, 10, "invalid")
    assert status.limits(cancel.postings, by_authority=True) == {1000: SUSPENDED}
    assert status.refusal({1000: SUSPENDED}, {1000: SUSPENDED}) is None
    refused = status.refusal({1000: SUSPENDED}, {1000: CLOSED})
    assert refused is not None and refused.code == "account_closed"


def test_a_settlement_sends_and_receives_on_both_sides_so_needs_both_open() -> None:
    postings = Postings.of(
        [
            Posting(1000, 0, State.FROZEN, -300),
            Posting(1001, 0, State.AVAILABLE, 300),
            Posting(1001, CREDIT, State.FROZEN, -8),
            Posting(1000, CREDIT, State.AVAILABLE, 8),
        ]
    )
    assert status.limits(postings, by_authority=False) == {1000: OPEN, 1001: OPEN}


def test_system_accounts_have_no_status_to_check() -> None:
    batch = Batch(CREDIT, Denomination.parse(BATCH_NAME), 100, 0)
    plan = plan_issue(batch, [(1000, 100)])
    assert status.limits(plan.postings, by_authority=True) == {1000: SUSPENDED}


def test_only_the_accounts_asked_about_are_judged() -> None:
    plan = plan_transfer(ALICE, BOB, CREDIT, 10)
    assert status.limits(plan.postings, by_authority=False, only={1001}) == {1001: BLOCKED}


@pytest.mark.parametrize(
    ("limit", "current", "code"),
    [
        (OPEN, BLOCKED, "account_blocked"),
        (OPEN, SUSPENDED, "account_suspended"),
        (BLOCKED, SUSPENDED, "account_suspended"),
        (BLOCKED, CLOSED, "account_closed"),
        (SUSPENDED, CLOSED, "account_closed"),
    ],
)
def test_each_status_beyond_the_limit_refuses_with_its_own_code(
    limit: AccountStatus, current: AccountStatus, code: str
) -> None:
    refused = status.refusal({1000: limit}, {1000: current})
    assert refused is not None and refused.code == code and "1000" in refused.message


@pytest.mark.parametrize(
    ("limit", "current"), [(OPEN, OPEN), (BLOCKED, BLOCKED), (SUSPENDED, SUSPENDED)]
)
def test_a_status_within_the_limit_passes(limit: AccountStatus, current: AccountStatus) -> None:
    assert status.refusal({1000: limit}, {1000: current}) is None


def test_the_most_restrictive_status_names_the_refusal_and_its_accounts() -> None:
    refused = status.refusal({1000: OPEN, 1001: BLOCKED}, {1000: BLOCKED, 1001: CLOSED})
    assert refused is not None and refused.code == "account_closed"
    assert "1001" in refused.message and "1000" not in refused.message


# ---- a change of status ---------------------------------------------------------------
def test_a_change_records_the_status_its_predecessor_and_the_reason() -> None:
    plan = status.plan_status(ALICE, OPEN, BLOCKED, "  late emissions report  ")
    assert plan.op_type == OpType.ACCOUNT_STATUS
    assert plan.payload == {
        "account": 1000,
        "status": "blocked",
        "previous": "open",
        "reason": "late emissions report",
    }
    assert plan.status is not None and plan.status.status == BLOCKED


@pytest.mark.parametrize("target", [OPEN, BLOCKED, SUSPENDED])
def test_closing_is_final(target: AccountStatus) -> None:
    with pytest.raises(Conflict) as exc:
        status.plan_status(ALICE, CLOSED, target, "back")
    assert exc.value.code == "account_closed"


@pytest.mark.parametrize("current", [OPEN, BLOCKED, SUSPENDED])
def test_a_status_it_already_has_is_refused(current: AccountStatus) -> None:
    with pytest.raises(Conflict) as exc:
        status.plan_status(ALICE, current, current, "again")
    assert exc.value.code == "status_unchanged"


def test_an_account_closes_only_with_nothing_available_or_frozen() -> None:
    with pytest.raises(Conflict) as exc:
        status.plan_status(ALICE, OPEN, CLOSED, "gone", [(CREDIT, State.FROZEN, 5)])
    assert exc.value.code == "account_not_empty"
    # What it retired stays on record: that is no holding.
    plan = status.plan_status(ALICE, BLOCKED, CLOSED, "gone", [(CREDIT, State.RETIRED, 5)])
    assert plan.payload["status"] == "closed"


def test_a_change_needs_a_reason_a_known_status_and_a_holder_account() -> None:
    with pytest.raises(ValidationError) as exc:
        status.plan_status(ALICE, OPEN, BLOCKED, "   ")
    assert exc.value.code == "missing_field"
    with pytest.raises(ValidationError) as exc:
        status.parse_status("frozen")
    assert exc.value.code == "bad_enum"
    with pytest.raises(ValidationError) as exc:
        status.plan_status(ISSUANCE, OPEN, BLOCKED, "no")
    assert exc.value.code == "bad_account"


# ---- replay --------------------------------------------------------------------------
def _chain(steps: Sequence[tuple[str, Plan]]) -> list[StoredEntry]:
    """Hash-chain (actor, plan) steps into stored entries, as the store would."""
    out: list[StoredEntry] = []
    prev = GENESIS_HASH
    for seq, (actor, plan) in enumerate(steps, start=1):
        header = EntryHeader(seq, plan.op_type, actor, f"k{seq}", "r", TS, plan.payload)
        opened = opened_digest(plan.parties, plan.accounts)
        h = entry_hash(prev, header, plan.postings.digest(), opened)
        out.append(StoredEntry(header, prev, h, plan.postings, plan.parties, plan.accounts))
        prev = h
    return out


def _history() -> list[tuple[str, Plan]]:
    batch = Batch(CREDIT, Denomination.parse(BATCH_NAME), 100, 0)
    people = [Party("alice", Role.INDIVIDUAL, "A"), Party("bob", Role.INDIVIDUAL, "B")]
    return [
        ("registry", plan_genesis()),
        ("registry", plan_open_accounts(people, 1000)),
        ("registry", plan_open_accounts([Party("reg", Role.REGULATOR, "R")], 1002)),
        ("registry", plan_issue(batch, [(1000, 100)])),
    ]


def _problems(steps: Sequence[tuple[str, Plan]]) -> list[tuple[str, int | None]]:
    r = Replay()
    for entry in _chain(steps):
        r.feed(entry)
    r.finish(
        r.balances.items(),
        r.holds.items(),
        r.issued.items(),
        r.grants.items(),
        r.statuses.restricted().items(),
    )
    return [(p.code, p.seq) for p in r.problems]


def test_replay_accepts_what_the_statuses_allowed() -> None:
    steps = [
        *_history(),
        ("reg", status.plan_status(ALICE, OPEN, BLOCKED, "audit")),
        ("reg", plan_cancel(ALICE, CREDIT, 1, "invalid")),  # an authority's act
        ("registry", plan_transfer(ALICE, BOB, CREDIT, 9)),  # the operator's
        ("reg", status.plan_status(BOB, OPEN, BLOCKED, "audit")),
        ("alice", plan_freeze(BOB, CREDIT, 9, FreezeReason.ORDER, "o")),
    ]
    # Bob's own hold on a blocked account is a send: only the last step breaks the rule.
    assert _problems(steps) == [("status_breached", 9)]


def test_replay_finds_a_holder_sending_from_a_blocked_account() -> None:
    steps = [
        *_history(),
        ("reg", status.plan_status(ALICE, OPEN, BLOCKED, "audit")),
        ("alice", plan_transfer(ALICE, BOB, CREDIT, 10)),
    ]
    assert _problems(steps) == [("status_breached", 6)]


def test_replay_finds_a_transition_out_of_a_closed_account() -> None:
    # A reopening the planner would refuse, written as if it had not.
    reopen = status.plan_status(BOB, SUSPENDED, OPEN, "forged")
    forged = Plan(OpType.ACCOUNT_STATUS, {**reopen.payload, "previous": "closed"})
    steps = [*_history(), ("reg", status.plan_status(BOB, OPEN, CLOSED, "left")), ("reg", forged)]
    assert _problems(steps) == [("bad_status_transition", 6)]


def test_replay_finds_an_account_closed_with_holdings() -> None:
    forged = status.plan_status(ALICE, OPEN, CLOSED, "forged")  # alice still holds 100
    assert _problems([*_history(), ("reg", forged)]) == [("closed_not_empty", None)]


def test_replay_finds_a_status_table_that_disagrees_with_the_journal() -> None:
    r = Replay()
    for entry in _chain([*_history(), ("reg", status.plan_status(BOB, OPEN, SUSPENDED, "x"))]):
        r.feed(entry)
    r.finish(r.balances.items(), r.holds.items(), r.issued.items(), r.grants.items(), [])
    assert [p.code for p in r.problems] == ["status_mismatch"]


def test_replay_finds_anything_posted_to_a_closed_account_even_by_an_authority() -> None:
    batch = Batch(2, Denomination.parse("CCER-CN-AFF0007-2026Q3-002"), 5, 0)
    steps = [
        *_history(),
        ("reg", status.plan_status(BOB, OPEN, CLOSED, "left")),
        ("reg", plan_issue(batch, [(1001, 5)])),
    ]
    assert ("status_breached", 6) in _problems(steps)


# ---- the services, on the in-memory ledger -------------------------------------------
class World:
    def __init__(self) -> None:
        self.store = MemoryStore()
        self.reg = Registry(self.store, SetClock(datetime(2026, 7, 1, tzinfo=UTC)))
        self.reg.ensure_genesis()
        reg = self.reg
        reg.open_account("registry", "o-reg", c.OpenAccount("reg", Role.REGULATOR, "Regulator"))
        self.alice, self.bob = (self._person(p) for p in ("alice", "bob"))
        reg.issue("reg", "i-1", c.Issue(BATCH_NAME, [self.alice], [1_000]))

    def _person(self, party: str) -> int:
        opened = self.reg.open_account(
            "registry", f"o-{party}", c.OpenAccount(party, Role.INDIVIDUAL)
        )
        return int(opened.payload["account"])

    def set(self, account: int, label: str, key: str) -> None:
        self.reg.set_account_status("reg", key, c.SetAccountStatus(account, label, "because"))


def test_on_the_fake_a_blocked_payer_is_refused_and_a_blocked_payee_is_paid() -> None:
    w = World()
    w.set(w.alice, "blocked", "s-1")
    with pytest.raises(Conflict) as exc:
        w.reg.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH_NAME, 10))
    assert exc.value.code == "account_blocked"
    w.set(w.bob, "blocked", "s-2")
    w.set(w.alice, "open", "s-3")
    w.reg.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH_NAME, 10))
    with w.store.reader() as uow:
        assert uow.standing(w.bob) == status.Standing(BLOCKED, "because", 7)
        assert uow.standing(w.alice).status == OPEN
    assert verify(w.store, ()).ok


def test_on_the_fake_only_authorities_change_a_status() -> None:
    w = World()
    with pytest.raises(Forbidden):
        w.reg.set_account_status("alice", "s-1", c.SetAccountStatus(w.bob, "blocked", "x"))


def test_on_the_fake_the_store_checks_the_limits_it_is_handed() -> None:
    w = World()
    w.set(w.alice, "suspended", "s-1")
    account = Account(w.alice, HolderType.INDIVIDUAL, "alice")
    plan = plan_freeze(account, 1, 5, FreezeReason.ORDER, "o-1")
    with w.store.writer() as uow, pytest.raises(Conflict) as exc:
        uow.append(plan, "alice", "f-1", "r", TS, status_limits={w.alice: OPEN})
    assert exc.value.code == "account_suspended"
