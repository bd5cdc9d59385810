"""Account status on SQLite and PostgreSQL: each status against each kind of operation.

An authority blocks, suspends, closes or reopens an account with a reason, as one
journal entry. Every operation that moves holdings is then checked on the one write
path (``ledger.write``): a refusal has its own code (``account_blocked``,
``account_suspended``, ``account_closed``) and writes nothing; what the status allows is
recorded; ``verify`` replays the statuses and finds a tampered one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from registry_world import BATCH, World, assert_verifies, build_world

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy_service
from pctrade.energy.commands import CreditEnergy, ExpireEnergy, SpendEnergy
from pctrade.energy.entries import credit_energy, expire_energy, spend_energy
from pctrade.energy.model import EnergyCredit, EnergyLine
from pctrade.kernel.errors import Conflict, Forbidden, NotFound, PctradeError, ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import ENERGY_ASSET, AccountStatus, Role, State, SystemAccount
from pctrade.ledger.operations import Retirement, plan_transfer
from pctrade.ledger.ports import OptimisticMiss
from pctrade.ledger.queries import account_view
from pctrade.ledger.service import Receipt, Registry
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.ledger.status import Standing, limits
from table_snapshot import everything, reused

RETIREMENT = Retirement("Steel Co", "offset", "CN-GD", "2026")
NEW_BATCH = "CCER-CN-AFF0007-2026Q4-001"


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[World]:
    w = build_world(any_store)
    yield w
    assert_verifies(any_store)


def set_status(w: World, account: int, label: str, key: str, actor: str = "reg") -> Receipt:
    cmd = c.SetAccountStatus(account, label, f"reason for {label}")
    return w.reg.set_account_status(actor, key, cmd)


def open_party(w: World, party: str, role: Role) -> int:
    receipt = w.reg.open_account("registry", f"o-{party}", c.OpenAccount(party, role, party))
    return int(receipt.payload["account"])


# ---- each status × each kind of operation ---------------------------------------------
@dataclass(frozen=True)
class Subject:
    """The account whose status changed, and what was set up on it before the change."""

    w: World
    account: int
    holder: str
    other: int  # alice's: a counterparty with credits and cash
    order_hold: int | None  # the holder's own hold
    regulator_hold: int | None
    sent_seq: int  # a transfer out of the subject, for a correction to reverse


def subject(w: World, label: str) -> Subject:
    """An emitter's account put in ``label``: steel's (with credits, cash and holds), or
    a new emitter's that held credits once and is empty (a closed account must be)."""
    if label == "closed":
        cement = open_party(w, "cement", Role.EMITTER)
        w.reg.transfer("alice", "to-cement", c.Transfer(w.alice, cement, BATCH, 10))
        sent = w.reg.transfer("cement", "back", c.Transfer(cement, w.alice, BATCH, 10))
        set_status(w, cement, "closed", "s-closed")
        return Subject(w, cement, "cement", w.alice, None, None, sent.seq)
    w.reg.deposit("reg", "d-steel", c.Deposit(w.steel, 1_000, "bank-9"))
    order = w.reg.freeze("steel", "f-o", c.Freeze(w.steel, BATCH, 20, "pledge", "o-1"))
    regulator = w.reg.freeze("reg", "f-r", c.Freeze(w.steel, BATCH, 20, "regulator", "case-1"))
    sent = w.reg.transfer("steel", "out", c.Transfer(w.steel, w.alice, BATCH, 10))
    set_status(w, w.steel, label, f"s-{label}")
    return Subject(w, w.steel, "steel", w.alice, order.seq, regulator.seq, sent.seq)


Op = Callable[[Subject], Receipt]
SEND, RECEIVE, TOUCH, AUTHORITY = "send", "receive", "touch", "authority"


def _unfreeze(actor: str, which: str) -> Op:
    def op(s: Subject) -> Receipt:
        hold = getattr(s, which)
        assert hold is not None
        return s.w.reg.unfreeze(actor, "k", c.Unfreeze(hold, 5))

    return op


OPS: dict[str, tuple[str, Op]] = {
    "transfer from it": (
        SEND,
        lambda s: s.w.reg.transfer(s.holder, "k", c.Transfer(s.account, s.other, BATCH, 5)),
    ),
    "payout from it": (
        SEND,
        lambda s: s.w.reg.distribute(
            s.holder, "k", c.Distribute(s.account, BATCH, [s.other], [5], "pay")
        ),
    ),
    "hold on it": (
        SEND,
        lambda s: s.w.reg.freeze(s.holder, "k", c.Freeze(s.account, BATCH, 5, "pledge", "p")),
    ),
    "retirement": (
        SEND,
        lambda s: s.w.reg.retire(s.holder, "k", c.Retire(s.account, BATCH, 5, RETIREMENT)),
    ),
    "surrender": (
        SEND,
        lambda s: s.w.reg.surrender(s.holder, "k", c.Surrender(s.account, BATCH, 5, "2026")),
    ),
    "withdrawal": (
        SEND,
        lambda s: s.w.reg.withdraw(s.holder, "k", c.Withdraw(s.account, 5, "bank-1")),
    ),
    "transfer to it": (
        RECEIVE,
        lambda s: s.w.reg.transfer("alice", "k", c.Transfer(s.other, s.account, BATCH, 5)),
    ),
    "payout to it": (
        RECEIVE,
        lambda s: s.w.reg.distribute(
            "alice", "k", c.Distribute(s.other, "CNY", [s.account], [5], "pay")
        ),
    ),
    "its holder releases its hold": (TOUCH, _unfreeze("steel", "order_hold")),
    "regulator freeze": (
        AUTHORITY,
        lambda s: s.w.reg.freeze("reg", "k", c.Freeze(s.account, BATCH, 5, "regulator", "c")),
    ),
    "regulator release": (AUTHORITY, _unfreeze("reg", "regulator_hold")),
    "cancellation": (
        AUTHORITY,
        lambda s: s.w.reg.cancel("reg", "k", c.Cancel(s.account, BATCH, 5, "invalid")),
    ),
    "cash deposit": (
        AUTHORITY,
        lambda s: s.w.reg.deposit("reg", "k", c.Deposit(s.account, 5, "bank-2")),
    ),
    "issuance": (
        AUTHORITY,
        lambda s: s.w.reg.issue("reg", "k", c.Issue(NEW_BATCH, [s.account], [5])),
    ),
    "correction": (
        AUTHORITY,
        lambda s: s.w.reg.correct("registry", "k", c.Correct(s.sent_seq, "wrong payee")),
    ),
}

REFUSED: dict[str, dict[str, str | None]] = {
    "blocked": {SEND: "account_blocked", RECEIVE: None, TOUCH: None, AUTHORITY: None},
    "suspended": {
        SEND: "account_suspended",
        RECEIVE: "account_suspended",
        TOUCH: None,
        AUTHORITY: None,
    },
    "closed": {SEND: "account_closed", RECEIVE: "account_closed", AUTHORITY: "account_closed"},
}
CASES = [
    (label, name)
    for label in REFUSED
    for name, (kind, _) in OPS.items()
    # A closed account holds nothing, so it has no hold to release.
    if kind in REFUSED[label] and not (label == "closed" and "release" in name)
]


@pytest.mark.parametrize(("label", "name"), CASES)
def test_each_status_against_each_kind_of_operation(world: World, label: str, name: str) -> None:
    s = subject(world, label)
    kind, op = OPS[name]
    code = REFUSED[label][kind]
    if code is None:
        receipt = op(s)
        assert not receipt.replayed and receipt.seq > 0
        return
    before = everything(world.store)
    with pytest.raises(Conflict) as exc:
        op(s)
    assert exc.value.code == code, exc.value
    assert everything(world.store) == before


def test_a_lifted_block_lets_the_holder_send_again(world: World) -> None:
    set_status(world, world.alice, "blocked", "s-1")
    cmd = c.Transfer(world.alice, world.bob, BATCH, 5)
    with pytest.raises(Conflict):
        world.reg.transfer("alice", "t-1", cmd)
    set_status(world, world.alice, "open", "s-2")
    assert world.reg.transfer("alice", "t-1", cmd).payload["quantity"] == 5


def test_a_transfer_made_before_a_block_still_replays_under_its_key(world: World) -> None:
    cmd = c.Transfer(world.alice, world.bob, BATCH, 5)
    first = world.reg.transfer("alice", "t-1", cmd)
    set_status(world, world.alice, "blocked", "s-1")
    again = world.reg.transfer("alice", "t-1", cmd)
    assert again.replayed and again.seq == first.seq


def test_an_agent_is_held_to_the_status_as_the_holder_is(world: World) -> None:
    world.reg.authorize("alice", "a-1", c.Authorize(world.alice, "plat"))
    set_status(world, world.alice, "suspended", "s-1")
    with pytest.raises(Conflict) as exc:
        world.reg.transfer("plat", "t-1", c.Transfer(world.alice, world.bob, BATCH, 5))
    assert exc.value.code == "account_suspended"


def test_a_bulk_payout_is_refused_whole_for_one_suspended_recipient(world: World) -> None:
    carol = open_party(world, "carol", Role.INDIVIDUAL)
    set_status(world, carol, "suspended", "s-1")
    before = everything(world.store)
    cmd = c.Distribute(world.alice, "CNY", [world.bob, carol], [5, 5], "rewards")
    with pytest.raises(Conflict) as exc:
        world.reg.distribute("alice", "d-1", cmd)
    assert exc.value.code == "account_suspended" and str(carol) in exc.value.message
    assert everything(world.store) == before


def test_a_bulk_issuance_reaches_a_suspended_recipient_but_not_a_closed_one(
    world: World,
) -> None:
    carol = open_party(world, "carol", Role.INDIVIDUAL)
    dave = open_party(world, "dave", Role.INDIVIDUAL)
    set_status(world, carol, "suspended", "s-1")
    set_status(world, dave, "closed", "s-2")
    ids = [
        world.bob,
        carol,
        dave,
        *(open_party(world, f"p{i}", Role.INDIVIDUAL) for i in range(70)),
    ]
    with pytest.raises(Conflict) as exc:  # more than the ids read one by one: a bulk entry
        world.reg.issue("reg", "i-2", c.Issue(NEW_BATCH, ids, [1] * len(ids)))
    assert exc.value.code == "account_closed" and str(dave) in exc.value.message
    ids.remove(dave)
    world.reg.issue("reg", "i-2", c.Issue(NEW_BATCH, ids, [1] * len(ids)))


# ---- changing a status ----------------------------------------------------------------
def test_each_change_is_an_entry_with_its_reason_shown_in_the_account_view(world: World) -> None:
    first = set_status(world, world.bob, "blocked", "s-1")
    assert first.entry.header.op_type == "account_status"
    assert first.payload == {
        "account": world.bob,
        "status": "blocked",
        "previous": "open",
        "reason": "reason for blocked",
    }
    second = world.reg.set_account_status(
        "registry", "s-2", c.SetAccountStatus(world.bob, "suspended", "court order 17")
    )
    assert second.payload["previous"] == "blocked"
    view = account_view(world.store, world.bob)
    assert view.standing == Standing(AccountStatus.SUSPENDED, "court order 17", second.seq)
    set_status(world, world.bob, "open", "s-3")
    assert account_view(world.store, world.bob).standing.status == AccountStatus.OPEN
    assert account_view(world.store, world.alice).standing == Standing()


@pytest.mark.parametrize("party", ["alice", "bob", "steel", "plat"])
def test_only_the_regulator_and_the_registry_operator_change_a_status(
    world: World, party: str
) -> None:
    world.reg.authorize("bob", "a-1", c.Authorize(world.bob, party))  # even bob's own agent
    before = everything(world.store)
    with pytest.raises(Forbidden):
        set_status(world, world.bob, "blocked", "s-1", actor=party)
    assert everything(world.store) == before
    set_status(world, world.bob, "blocked", "s-2", actor="registry")
    set_status(world, world.bob, "suspended", "s-3", actor="reg")


@pytest.mark.parametrize(
    ("what", "left"),
    [("credits", "asset 1 available"), ("a hold", "asset 1 frozen"), ("cash", "asset 0")],
)
def test_an_account_closes_only_once_empty(world: World, what: str, left: str) -> None:
    if what == "credits":
        world.reg.transfer("alice", "t-1", c.Transfer(world.alice, world.bob, BATCH, 5))
    elif what == "a hold":
        world.reg.transfer("alice", "t-1", c.Transfer(world.alice, world.bob, BATCH, 5))
        world.reg.freeze("bob", "f-1", c.Freeze(world.bob, BATCH, 5, "pledge", "o-1"))
    else:
        world.reg.transfer("alice", "t-1", c.Transfer(world.alice, world.bob, "CNY", 5))
    before = everything(world.store)
    with pytest.raises(Conflict) as exc:
        set_status(world, world.bob, "closed", "s-1")
    assert exc.value.code == "account_not_empty" and left in exc.value.message
    assert everything(world.store) == before


def test_retired_units_stay_on_record_in_a_closed_account(world: World) -> None:
    world.reg.retire("alice", "r-1", c.Retire(world.alice, BATCH, 1_000, RETIREMENT))
    world.reg.withdraw("alice", "w-1", c.Withdraw(world.alice, 10_000, "bank-1"))
    set_status(world, world.alice, "closed", "s-1")
    holdings = {
        (h.asset, h.state): h.amount for h in account_view(world.store, world.alice).holdings
    }
    assert holdings == {(BATCH, "retired"): 1_000}


@pytest.mark.parametrize(
    ("steps", "label", "error", "code"),
    [
        (["closed"], "open", Conflict, "account_closed"),
        (["closed"], "blocked", Conflict, "account_closed"),
        (["blocked"], "blocked", Conflict, "status_unchanged"),
        ([], "open", Conflict, "status_unchanged"),
        ([], "frozen", ValidationError, "bad_enum"),
    ],
)
def test_a_transition_the_status_does_not_allow_is_refused(
    world: World, steps: list[str], label: str, error: type[PctradeError], code: str
) -> None:
    for i, step in enumerate(steps):
        set_status(world, world.bob, step, f"s-{i}")
    before = everything(world.store)
    with pytest.raises(error) as exc:
        set_status(world, world.bob, label, "s-last")
    assert exc.value.code == code
    assert everything(world.store) == before


def test_a_change_needs_a_holder_account_that_exists_and_a_reason(world: World) -> None:
    before = everything(world.store)
    with pytest.raises(NotFound) as nf:
        set_status(world, 999_999, "blocked", "s-1")
    assert nf.value.code == "unknown_account"
    with pytest.raises(ValidationError) as bad:
        set_status(world, int(SystemAccount.BUFFER), "blocked", "s-2")
    assert bad.value.code == "bad_account"
    for reason, code in (("  ", "missing_field"), ("x" * 513, "too_long")):
        with pytest.raises(ValidationError) as exc:
            world.reg.set_account_status(
                "reg", "s-3", c.SetAccountStatus(world.bob, "blocked", reason)
            )
        assert exc.value.code == code
    assert everything(world.store) == before


def test_a_change_replays_under_its_key_and_another_change_under_it_is_refused(
    world: World,
) -> None:
    first = set_status(world, world.bob, "blocked", "s-1")
    before = everything(world.store)
    again = set_status(world, world.bob, "blocked", "s-1")
    assert again.replayed and again.seq == first.seq
    assert everything(world.store) == before
    other = c.SetAccountStatus(world.bob, "suspended", "another")
    reused(world.store, world.reg.set_account_status, "reg", "s-1", other)


# ---- verify ---------------------------------------------------------------------------
def _tamper(store: SqlStore, statement: sa.Executable) -> None:
    with store.engine.begin() as conn:
        conn.execute(statement)


def test_verify_replays_the_statuses_and_finds_a_tampered_row(any_store: SqlStore) -> None:
    w = build_world(any_store)
    set_status(w, w.bob, "suspended", "s-1")
    set_status(w, w.alice, "blocked", "s-2")
    set_status(w, w.alice, "open", "s-3")
    assert verify(any_store).ok
    t = schema.account_status
    _tamper(any_store, sa.update(t).where(t.c.account_id == w.bob).values(status=0))
    _tamper(any_store, sa.update(t).where(t.c.account_id == w.alice).values(status=3))
    problems = verify(any_store).problems
    assert sorted(p.code for p in problems) == ["status_mismatch", "status_mismatch"]
    named = sorted(p.message.split(":")[0] for p in problems)
    assert named == [f"status {w.alice}", f"status {w.bob}"]


def test_verify_finds_a_tampered_status_entry(any_store: SqlStore) -> None:
    w = build_world(any_store)
    seq = set_status(w, w.bob, "blocked", "s-1").seq
    e = schema.entries
    payload = sa.func.replace(e.c.payload, "blocked", "suspended")
    _tamper(any_store, sa.update(e).where(e.c.seq == seq).values(payload=payload))
    codes = {(p.code, p.seq) for p in verify(any_store).problems}
    assert ("hash_mismatch", seq) in codes


def test_verify_finds_a_transfer_recorded_from_a_blocked_account(any_store: SqlStore) -> None:
    """An entry written past the write path's check (as a bug would) is named by verify."""
    w = build_world(any_store)
    set_status(w, w.alice, "blocked", "s-1")
    with any_store.reader() as uow:
        alice, bob = uow.account(w.alice), uow.account(w.bob)
    assert alice is not None and bob is not None
    plan = plan_transfer(alice, bob, 1, 5)
    with any_store.writer() as uow:
        entry = uow.append(plan, "alice", "forged", "r", format_ts(datetime.now(UTC)))
        uow.commit()
    assert [(p.code, p.seq) for p in verify(any_store).problems] == [("status_breached", entry.seq)]


# ---- the lean path on PostgreSQL ------------------------------------------------------
@pytest.mark.pg
def test_the_one_statement_write_checks_the_limits_it_is_handed(pg_store: SqlStore) -> None:
    w = build_world(pg_store)
    set_status(w, w.alice, "blocked", "s-1")
    with pg_store.reader() as uow:
        alice, bob = uow.account(w.alice), uow.account(w.bob)
    assert alice is not None and bob is not None
    plan = plan_transfer(alice, bob, 1, 5)
    ts = format_ts(datetime.now(UTC))
    before = everything(pg_store)
    with pg_store.writer(lean=True, autocommit=True) as uow:
        uow.start_operation(defer_checks=True)
        with pytest.raises(OptimisticMiss):
            uow.append(plan, "alice", "lean-1", "r", ts, status_limits=limits(plan.postings, False))
    assert everything(pg_store) == before
    # The same statement for an open payer is written: the guard is what refused.
    set_status(w, w.alice, "open", "s-2")
    with pg_store.writer(lean=True, autocommit=True) as uow:
        uow.start_operation(defer_checks=True)
        uow.append(plan, "alice", "lean-1", "r", ts, status_limits=limits(plan.postings, False))
    assert_verifies(pg_store)


@pytest.mark.pg
def test_group_commit_answers_each_caller_with_its_status_refusal(pg_store: SqlStore) -> None:
    w = build_world(pg_store)
    set_status(w, w.alice, "blocked", "s-1")
    app = bootstrap.build(pg_store, group_commit=True, prepare=False)
    try:
        with pytest.raises(Conflict) as exc:
            app.registry.transfer("alice", "t-1", c.Transfer(w.alice, w.bob, BATCH, 5))
        assert exc.value.code == "account_blocked"
        paid = app.registry.transfer("steel", "t-2", c.Transfer(w.steel, w.alice, BATCH, 5))
        assert not paid.replayed  # a blocked account still receives
    finally:
        app.registry.close()
    assert_verifies(pg_store)


# ---- the contexts are covered by the one write path -----------------------------------
def _grant_energy(w: World, account: int, grams: int, key: str, day: str = "2026-11-24") -> None:
    line = EnergyLine(
        day, account, "p", "walking", "walking/v1", "steps", "step", 1, grams * 50,
        20_000, grams * 1_000_000, 0, 0, grams, "",
    )  # fmt: skip
    credit = EnergyCredit(day, ("walking/v1",), 0, (line,))
    credit_energy(w.reg, "registry", key, CreditEnergy(credit))


def test_energy_is_credited_and_expired_by_the_operator_but_not_spent_when_blocked(
    world: World,
) -> None:
    set_status(world, world.bob, "suspended", "s-1")
    _grant_energy(world, world.bob, 40, "e-1")  # the operator's act: allowed
    set_status(world, world.bob, "blocked", "s-2")
    # Collecting moves nothing out of the account: a blocked holder still collects.
    now = world.reg.clock()
    energy_service.collect(world.reg, "bob", "c-1", world.bob, now, rules=world.app.rules)
    with pytest.raises(Conflict) as exc:
        spend_energy(world.reg, "bob", "sp-1", SpendEnergy(world.bob, 10, "sponsor", "tree-1"))
    assert exc.value.code == "account_blocked"
    _grant_energy(world, world.bob, 30, "e-2", day="2026-11-25")
    cutoff = format_ts(datetime(2999, 1, 1, tzinfo=UTC))
    expired = expire_energy(world.reg, "registry", "x-1", ExpireEnergy(cutoff, 72 * 3600, ""))
    assert expired is not None  # the operator lapses what bob left uncollected
    with world.store.reader() as uow:
        assert uow.balance(world.bob, ENERGY_ASSET, State.UNCOLLECTED) == 0
        assert uow.balance(world.bob, ENERGY_ASSET, State.EXPIRED) == 30
        assert uow.balance(world.bob, ENERGY_ASSET, State.AVAILABLE) == 40


def test_a_closed_person_is_no_longer_found_for_energy_credits(world: World) -> None:
    set_status(world, world.bob, "closed", "s-1")
    with world.store.reader() as uow:
        assert uow.individual_accounts(["alice", "bob"]) == {"alice": world.alice}
    with pytest.raises(Conflict) as exc:
        _grant_energy(world, world.bob, 40, "e-1")
    assert exc.value.code == "account_closed"


@pytest.mark.pg
def test_no_transfer_slips_past_a_block_made_while_transfers_run(pg_store: SqlStore) -> None:
    """Lean single writers and a group commit race a block: every transfer out of the
    account that was recorded precedes the block in the journal."""
    w = build_world(pg_store)
    grouped = Registry(pg_store, w.reg.clock, group_commit=True)
    outcomes: list[str] = []
    started = threading.Barrier(5)

    def pay(reg: Registry, name: str) -> None:
        started.wait()
        for i in range(240):  # alice holds 1,000 g: enough for all four to run on
            cmd = c.Transfer(w.alice, w.bob, BATCH, 1)
            try:
                reg.transfer("alice", f"{name}-{i}", cmd)
                outcomes.append("ok")
            except Conflict as exc:
                outcomes.append(exc.code)
                return

    threads = [
        threading.Thread(target=pay, args=(reg, f"t{n}"))
        for n, reg in enumerate((w.reg, w.reg, grouped, grouped))
    ]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.02)
    block = set_status(w, w.alice, "blocked", "s-1").seq
    for t in threads:
        t.join()
    grouped.close()
    assert set(outcomes) <= {"ok", "account_blocked"} and "account_blocked" in outcomes
    with pg_store.reader() as uow:
        sent = [e.seq for e in uow.entries_page(0, 500, w.alice) if e.header.op_type == "transfer"]
    assert sent and max(sent) < block
    assert_verifies(pg_store)
