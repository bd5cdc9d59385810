"""Every registry operation on SQLite and PostgreSQL: what it records, what it refuses.

A refused operation must raise its specific error code and leave the journal head,
every balance and every hold exactly as they were; ``verify`` passes after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from registry_world import BATCH, World, assert_verifies, build_world, snapshot

from pctrade import bootstrap
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InsufficientBalance,
    NotFound,
    PctradeError,
    TerminalState,
    ValidationError,
)
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, Role, State, SystemAccount
from pctrade.ledger.operations import FreezeReason, Retirement, plan_transfer, plan_unfreeze
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.queries import account_view, certificate
from pctrade.ledger.service import Receipt, RowsBeside
from pctrade.ledger.sql.store import BULK_THRESHOLD, SqlStore

RETIREMENT = Retirement("Alice", "offset my commute", "CN-GD", "2026")


@pytest.fixture
def world(any_store: SqlStore) -> Iterator[World]:
    w = build_world(any_store)
    yield w
    assert_verifies(any_store)


def holding(w: World, account: int, asset: str, state: str = "available") -> int:
    view = account_view(w.store, account)
    return sum(h.amount for h in view.holdings if h.asset == asset and h.state == state)


# ---- happy paths -----------------------------------------------------------------------
def test_issue_credits_recipients_and_records_the_batch(world: World) -> None:
    assert holding(world, world.alice, BATCH) == 1_000
    assert holding(world, world.steel, BATCH) == 500
    assert holding(world, world.alice, "CNY") == 10_000
    assert holding(world, SystemAccount.ISSUANCE, BATCH, "source") == -1_500


def test_transfer_moves_units_between_holders(world: World) -> None:
    r = world.reg.transfer("alice", "t1", c.Transfer(world.alice, world.bob, BATCH, 300))
    assert r.payload["quantity"] == 300
    assert holding(world, world.alice, BATCH) == 700
    assert holding(world, world.bob, BATCH) == 300


def test_cash_transfer(world: World) -> None:
    world.reg.transfer("alice", "t1", c.Transfer(world.alice, world.bob, "CNY", 2_500))
    assert holding(world, world.bob, "CNY") == 2_500


def test_an_authorised_platform_moves_its_users_holdings(world: World) -> None:
    world.reg.authorize("alice", "a1", c.Authorize(world.alice, "plat"))
    world.reg.transfer("plat", "t1", c.Transfer(world.alice, world.bob, BATCH, 10))
    assert holding(world, world.bob, BATCH) == 10
    world.reg.authorize("alice", "a2", c.Authorize(world.alice, "plat", active=False))
    with pytest.raises(Forbidden):
        world.reg.transfer("plat", "t2", c.Transfer(world.alice, world.bob, BATCH, 10))


def test_freeze_and_unfreeze_in_parts(world: World) -> None:
    hold = world.reg.freeze(
        "alice", "f1", c.Freeze(world.alice, BATCH, 400, FreezeReason.PLEDGE, "order-1")
    ).seq
    assert holding(world, world.alice, BATCH, "frozen") == 400
    assert holding(world, world.alice, BATCH) == 600
    world.reg.unfreeze("alice", "u1", c.Unfreeze(hold, 100))
    world.reg.unfreeze("alice", "u2", c.Unfreeze(hold))
    assert holding(world, world.alice, BATCH, "frozen") == 0
    assert holding(world, world.alice, BATCH) == 1_000
    # Released in full: a state, whatever is asked for.
    for again in (c.Unfreeze(hold, 1), c.Unfreeze(hold)):
        refused(world, lambda w: w.reg.unfreeze("alice", "u3", again), Conflict, "hold_released")  # noqa: B023


def test_frozen_units_cannot_be_transferred(world: World) -> None:
    world.reg.freeze("alice", "f1", c.Freeze(world.alice, BATCH, 1_000, FreezeReason.PLEDGE, "p1"))
    before = snapshot(world.store)
    with pytest.raises(InsufficientBalance):
        world.reg.transfer("alice", "t1", c.Transfer(world.alice, world.bob, BATCH, 1))
    assert snapshot(world.store) == before


def test_surrender_retire_cancel_move_units_to_terminal_states(world: World) -> None:
    world.reg.surrender("steel", "s1", c.Surrender(world.steel, BATCH, 200, "2026"))
    r = world.reg.retire("alice", "r1", c.Retire(world.alice, BATCH, 100, RETIREMENT))
    world.reg.cancel("reg", "c1", c.Cancel(world.alice, BATCH, 50, "project invalidated"))
    assert holding(world, world.steel, BATCH, "surrendered") == 200
    assert holding(world, world.alice, BATCH, "retired") == 100
    assert holding(world, world.alice, BATCH, "cancelled") == 50
    cert = certificate(world.store, r.seq)
    assert (cert.batch, cert.quantity_g, cert.beneficiary) == (BATCH, 100, "Alice")


def test_deposit_and_withdraw_cash(world: World) -> None:
    world.reg.withdraw("alice", "w1", c.Withdraw(world.alice, 4_000, "bank-2"))
    assert holding(world, world.alice, "CNY") == 6_000
    assert holding(world, SystemAccount.CASH_GATEWAY, "CNY", "source") == -6_000


def test_correct_reverses_a_transfer_with_a_new_entry(world: World) -> None:
    t = world.reg.transfer("alice", "t1", c.Transfer(world.alice, world.bob, BATCH, 300))
    r = world.reg.correct("registry", "x1", c.Correct(t.seq, "wrong recipient"))
    assert r.seq == t.seq + 1
    assert holding(world, world.alice, BATCH) == 1_000
    assert holding(world, world.bob, BATCH) == 0


def test_same_key_same_body_replays_the_original_receipt(world: World) -> None:
    cmd = c.Transfer(world.alice, world.bob, BATCH, 300)
    first = world.reg.transfer("alice", "t1", cmd)
    before = snapshot(world.store)
    again = world.reg.transfer("alice", "t1", cmd)
    assert again.replayed and not first.replayed
    assert again.seq == first.seq
    assert again.entry.hash == first.entry.hash
    assert snapshot(world.store) == before
    assert holding(world, world.bob, BATCH) == 300


def test_keys_are_per_actor(world: World) -> None:
    world.reg.transfer("alice", "same", c.Transfer(world.alice, world.bob, BATCH, 1))
    r = world.reg.transfer("steel", "same", c.Transfer(world.steel, world.bob, BATCH, 1))
    assert not r.replayed
    assert holding(world, world.bob, BATCH) == 2


# ---- bad input: each refused with its code, nothing written ----------------------------
Call = Callable[[World], Receipt]
T = c.Transfer
D = c.Distribute
BAD: list[tuple[str, Call, type[PctradeError], str]] = [
    ("zero transfer", lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, BATCH, 0)),
     ValidationError, "non_positive"),
    ("negative transfer", lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, BATCH, -5)),
     ValidationError, "non_positive"),
    ("transfer beyond int64",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, BATCH, INT64_MAX + 1)),
     ValidationError, "out_of_range"),
    ("transfer more than held",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, BATCH, 1_001)),
     InsufficientBalance, "insufficient_balance"),
    ("transfer to unknown account",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, 999_999, BATCH, 1)),
     NotFound, "unknown_account"),
    ("transfer to account id beyond int64",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, 2**64, BATCH, 1)),
     NotFound, "unknown_account"),
    ("transfer from unknown account",
     lambda w: w.reg.transfer("alice", "b", T(-1, w.bob, BATCH, 1)),
     NotFound, "unknown_account"),
    ("transfer of unknown batch",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, "CCER-CN-AFF0007-2026Q3-002", 1)),
     NotFound, "unknown_batch"),
    ("transfer of malformed batch",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, w.bob, "nonsense", 1)),
     ValidationError, "bad_denomination"),
    ("transfer by someone else",
     lambda w: w.reg.transfer("bob", "b", T(w.alice, w.bob, BATCH, 1)),
     Forbidden, "forbidden"),
    ("transfer by the regulator", lambda w: w.reg.transfer("reg", "b", T(w.alice, w.bob, BATCH, 1)),
     Forbidden, "forbidden"),
    ("transfer by unknown actor",
     lambda w: w.reg.transfer("ghost", "b", T(w.alice, w.bob, BATCH, 1)),
     Forbidden, "unknown_actor"),
    ("transfer to self", lambda w: w.reg.transfer("alice", "b", T(w.alice, w.alice, BATCH, 1)),
     ValidationError, "same_account"),
    ("credits into a system account",
     lambda w: w.reg.transfer("alice", "b", T(w.alice, int(SystemAccount.FEES), BATCH, 1)),
     ValidationError, "bad_account"),
    ("bad idempotency key", lambda w: w.reg.transfer("alice", "a b", T(w.alice, w.bob, BATCH, 1)),
     ValidationError, "bad_idempotency_key"),
    ("issue by an individual",
     lambda w: w.reg.issue("alice", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob], [5])),
     Forbidden, "forbidden"),
    ("issue of an existing batch", lambda w: w.reg.issue("reg", "b", c.Issue(BATCH, [w.bob], [5])),
     Conflict, "batch_exists"),
    ("issue zero",
     lambda w: w.reg.issue("reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob], [0])),
     ValidationError, "non_positive"),
    ("issue negative",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob, w.alice], [-5, 10])),
     ValidationError, "non_positive"),
    ("issue beyond int64",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob], [INT64_MAX + 1])),
     ValidationError, "out_of_range"),
    ("issue summing beyond int64",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob, w.alice], [INT64_MAX, 1])),
     ValidationError, "out_of_range"),
    ("issue to nobody",
     lambda w: w.reg.issue("reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [], [])),
     ValidationError, "missing_field"),
    ("issue to an unknown account",
     lambda w: w.reg.issue("reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [424242], [5])),
     NotFound, "unknown_account"),
    ("issue to a recipient twice",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [w.bob, w.bob], [5, 5])),
     ValidationError, "duplicate_recipient"),
    ("issue into the issuance account",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-002", [int(SystemAccount.ISSUANCE)], [5])),
     ValidationError, "bad_account"),
    ("plain issue of personal credits",
     lambda w: w.reg.issue("reg", "b", c.Issue("PCER-GD-AFF0007-2026Q3-002", [w.bob], [5])),
     ValidationError, "personal_credit_path_required"),
    ("plain issue of a personal series",
     lambda w: w.reg.issue("reg", "b", c.Issue("PCER-GD-CI-2026Q4", [w.bob], [5])),
     ValidationError, "personal_credit_path_required"),
    ("issue of personal credits with another path's evidence",
     lambda w: w.reg.issue(
         "reg", "b", c.Issue("PCER-GD-AFF0007-2026Q3-002", [w.bob], [5]),
         evidence=RowsBeside(lambda uow, entry: None, {"kind": "sink_reversal"})),
     ValidationError, "personal_credit_path_required"),
    ("issue with bad denomination",
     lambda w: w.reg.issue("reg", "b", c.Issue("CCER-CN-AFF0007-2026Q3-000", [w.bob], [5])),
     ValidationError, "bad_denomination"),
    ("freeze more than available",
     lambda w: w.reg.freeze("alice", "b", c.Freeze(w.alice, BATCH, 1001, FreezeReason.PLEDGE, "o")),
     InsufficientBalance, "insufficient_balance"),
    ("freeze zero",
     lambda w: w.reg.freeze("alice", "b", c.Freeze(w.alice, BATCH, 0, FreezeReason.PLEDGE, "o")),
     ValidationError, "non_positive"),
    ("freeze with an unknown reason",
     lambda w: w.reg.freeze("alice", "b", c.Freeze(w.alice, BATCH, 1, "whim", "o")),  # type: ignore[arg-type]
     ValidationError, "bad_enum"),
    ("regulator freeze by a holder",
     lambda w: w.reg.freeze("alice", "b", c.Freeze(w.alice, BATCH, 1, FreezeReason.REGULATOR, "o")),
     Forbidden, "forbidden"),
    ("unfreeze unknown hold", lambda w: w.reg.unfreeze("alice", "b", c.Unfreeze(987_654)),
     NotFound, "unknown_hold"),
    ("unfreeze hold id beyond int64", lambda w: w.reg.unfreeze("alice", "b", c.Unfreeze(2**70)),
     NotFound, "unknown_hold"),
    ("surrender by an individual",
     lambda w: w.reg.surrender("alice", "b", c.Surrender(w.alice, BATCH, 1, "2026")),
     Conflict, "not_an_emitter"),
    ("surrender of cash",
     lambda w: w.reg.surrender("steel", "b", c.Surrender(w.steel, "CNY", 1, "2026")),
     ValidationError, "bad_asset"),
    ("surrender more than held",
     lambda w: w.reg.surrender("steel", "b", c.Surrender(w.steel, BATCH, 501, "2026")),
     InsufficientBalance, "insufficient_balance"),
    ("retire without beneficiary",
     lambda w: w.reg.retire("alice", "b", c.Retire(w.alice, BATCH, 1, Retirement("", "x"))),
     ValidationError, "missing_field"),
    ("retire someone else's credits",
     lambda w: w.reg.retire("bob", "b", c.Retire(w.alice, BATCH, 1, RETIREMENT)),
     Forbidden, "forbidden"),
    ("retire cash", lambda w: w.reg.retire("alice", "b", c.Retire(w.alice, "CNY", 1, RETIREMENT)),
     ValidationError, "bad_asset"),
    ("cancel by an individual",
     lambda w: w.reg.cancel("alice", "b", c.Cancel(w.alice, BATCH, 1, "why")),
     Forbidden, "forbidden"),
    ("cancel more than held",
     lambda w: w.reg.cancel("reg", "b", c.Cancel(w.alice, BATCH, 1_001, "why")),
     InsufficientBalance, "insufficient_balance"),
    ("deposit by an individual",
     lambda w: w.reg.deposit("alice", "b", c.Deposit(w.alice, 1, "r")), Forbidden, "forbidden"),
    ("deposit zero", lambda w: w.reg.deposit("reg", "b", c.Deposit(w.alice, 0, "r")),
     ValidationError, "non_positive"),
    ("deposit beyond what int64 can hold",
     lambda w: w.reg.deposit("reg", "b", c.Deposit(w.bob, INT64_MAX - 5_000, "r")),
     ValidationError, "out_of_range"),
    ("withdraw more than held",
     lambda w: w.reg.withdraw("alice", "b", c.Withdraw(w.alice, 10_001, "r")),
     InsufficientBalance, "insufficient_balance"),
    ("withdraw from someone else",
     lambda w: w.reg.withdraw("bob", "b", c.Withdraw(w.alice, 1, "r")), Forbidden, "forbidden"),
    ("correct by the regulator",
     lambda w: w.reg.correct("reg", "b", c.Correct(8, "why")), Forbidden, "forbidden"),
    ("correct unknown entry", lambda w: w.reg.correct("registry", "b", c.Correct(9_999, "why")),
     NotFound, "unknown_entry"),
    ("correct entry beyond int64",
     lambda w: w.reg.correct("registry", "b", c.Correct(2**64, "why")), NotFound, "unknown_entry"),
    ("correct an issuance", lambda w: w.reg.correct("registry", "b", c.Correct(7, "why")),
     Conflict, "not_correctable"),
    ("open with unknown role",
     lambda w: w.reg.open_account("registry", "b", c.OpenAccount("zed", "king", "Z")),  # type: ignore[arg-type]
     ValidationError, "bad_enum"),
    ("open an existing party",
     lambda w: w.reg.open_account("registry", "b", c.OpenAccount("alice", Role.INDIVIDUAL, "A")),
     Conflict, "party_exists"),
    ("open with an overlong label",
     lambda w: w.reg.open_account(
         "registry", "b", c.OpenAccount("zed", Role.INDIVIDUAL, "Z", label="x" * 201)),
     ValidationError, "too_long"),
    ("individual opens an account",
     lambda w: w.reg.open_account("alice", "b", c.OpenAccount("zed", Role.INDIVIDUAL, "Z")),
     Forbidden, "forbidden"),
    ("platform opens an emitter",
     lambda w: w.reg.open_account("plat", "b", c.OpenAccount("zed", Role.EMITTER, "Z")),
     Forbidden, "forbidden"),
    ("distribute more than held",
     lambda w: w.reg.distribute(
         "alice", "b", D(w.alice, "CNY", [w.bob, w.steel], [6_000, 5_000], "P")),
     InsufficientBalance, "insufficient_balance"),
    ("distribute zero to someone",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob, w.steel], [5, 0], "P")),
     ValidationError, "non_positive"),
    ("distribute to a recipient twice",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob, w.bob], [5, 5], "P")),
     ValidationError, "duplicate_recipient"),
    ("distribute to the payer",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob, w.alice], [5, 5], "P")),
     ValidationError, "same_account"),
    ("distribute to an unknown account",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob, 987_654], [5, 5], "P")),
     NotFound, "unknown_account"),
    ("distribute into a system account",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, BATCH, [w.bob, 4], [5, 5], "P")),
     ValidationError, "bad_account"),
    ("distribute someone else's cash",
     lambda w: w.reg.distribute("bob", "b", D(w.alice, "CNY", [w.bob], [5], "P")),
     Forbidden, "forbidden"),
    ("distribute to nobody",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [], [], "P")),
     ValidationError, "missing_field"),
    ("distribute with lengths that differ",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob], [5, 5], "P")),
     ValidationError, "bad_request"),
    ("distribute green energy",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "GE", [w.bob], [5], "P")),
     ValidationError, "not_tradable"),
    ("distribute beyond int64",
     lambda w: w.reg.distribute("alice", "b", D(w.alice, "CNY", [w.bob], [2**63], "P")),
     ValidationError, "out_of_range"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "code"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_refused_and_writes_nothing(
    world: World, call: Call, error: type[PctradeError], code: str
) -> None:
    before = snapshot(world.store)
    with pytest.raises(error) as err:
        call(world)
    assert err.value.code == code
    assert snapshot(world.store) == before


def refused(w: World, call: Call, error: type[PctradeError], code: str) -> None:
    before = snapshot(w.store)
    with pytest.raises(error) as err:
        call(w)
    assert err.value.code == code
    assert snapshot(w.store) == before


@pytest.mark.parametrize("state", ["surrendered", "retired", "cancelled"])
def test_terminal_credits_never_move_again(world: World, state: str) -> None:
    owner, account = ("steel", world.steel) if state == "surrendered" else ("alice", world.alice)
    held = 500 if state == "surrendered" else 1_000
    if state == "surrendered":
        world.reg.surrender("steel", "s", c.Surrender(account, BATCH, held, "2026"))
    elif state == "retired":
        world.reg.retire("alice", "s", c.Retire(account, BATCH, held, RETIREMENT))
    else:
        world.reg.cancel("reg", "s", c.Cancel(account, BATCH, held, "invalid"))
    assert holding(world, account, BATCH, state) == held
    calls: list[Call] = [
        lambda w: w.reg.transfer(owner, "t", c.Transfer(account, w.bob, BATCH, 1)),
        lambda w: w.reg.freeze(owner, "f", c.Freeze(account, BATCH, 1, FreezeReason.PLEDGE, "o")),
        lambda w: w.reg.retire(owner, "r", c.Retire(account, BATCH, 1, RETIREMENT)),
        lambda w: w.reg.cancel("reg", "c", c.Cancel(account, BATCH, 1, "again")),
    ]
    for call in calls:
        refused(world, call, InsufficientBalance, "insufficient_balance")


@pytest.mark.parametrize("op", ["retire", "surrender", "cancel"])
def test_terminal_operations_cannot_be_corrected(world: World, op: str) -> None:
    if op == "retire":
        seq = world.reg.retire("alice", "x", c.Retire(world.alice, BATCH, 5, RETIREMENT)).seq
    elif op == "surrender":
        seq = world.reg.surrender("steel", "x", c.Surrender(world.steel, BATCH, 5, "2026")).seq
    else:
        seq = world.reg.cancel("reg", "x", c.Cancel(world.alice, BATCH, 5, "bad")).seq
    refused(
        world,
        lambda w: w.reg.correct("registry", "k", c.Correct(seq, "undo")),
        Conflict,
        "not_correctable",
    )


def test_a_terminal_posting_cannot_be_reversed_in_the_store(world: World) -> None:
    """The domain refuses a decrease of a terminal state before the store sees it."""
    with pytest.raises(TerminalState):
        from pctrade.ledger.postings import Posting, Postings, check_postings

        check_postings(
            Postings.of(
                [
                    Posting(world.alice, 1, State.RETIRED, -1),
                    Posting(world.alice, 1, State.AVAILABLE, 1),
                ]
            )
        )


def test_unfreezing_more_than_held_is_refused(world: World) -> None:
    hold = world.reg.freeze(
        "alice", "f", c.Freeze(world.alice, BATCH, 10, FreezeReason.PLEDGE, "pl")
    ).seq
    refused(
        world,
        lambda w: w.reg.unfreeze("alice", "u", c.Unfreeze(hold, 11)),
        Conflict,
        "exceeds_hold",
    )
    refused(
        world, lambda w: w.reg.unfreeze("bob", "u", c.Unfreeze(hold, 1)), Forbidden, "forbidden"
    )


def test_a_regulator_freeze_is_released_only_by_an_authority(world: World) -> None:
    hold = world.reg.freeze(
        "reg", "f", c.Freeze(world.alice, BATCH, 10, FreezeReason.REGULATOR, "case-7")
    ).seq
    refused(world, lambda w: w.reg.unfreeze("alice", "u", c.Unfreeze(hold)), Forbidden, "forbidden")
    world.reg.unfreeze("reg", "u", c.Unfreeze(hold))
    assert holding(world, world.alice, BATCH, "frozen") == 0


def test_double_correction_is_refused(world: World) -> None:
    t = world.reg.transfer("alice", "t", c.Transfer(world.alice, world.bob, BATCH, 5))
    world.reg.correct("registry", "x1", c.Correct(t.seq, "mistake"))
    refused(
        world,
        lambda w: w.reg.correct("registry", "x2", c.Correct(t.seq, "again")),
        Conflict,
        "already_corrected",
    )


def test_a_correction_is_not_itself_correctable(world: World) -> None:
    t = world.reg.transfer("alice", "t", c.Transfer(world.alice, world.bob, BATCH, 5))
    x = world.reg.correct("registry", "x1", c.Correct(t.seq, "mistake"))
    refused(
        world,
        lambda w: w.reg.correct("registry", "x2", c.Correct(x.seq, "undo")),
        Conflict,
        "not_correctable",
    )


def test_a_correction_cannot_take_back_units_already_spent(world: World) -> None:
    t = world.reg.transfer("alice", "t", c.Transfer(world.alice, world.bob, BATCH, 5))
    world.reg.retire("bob", "r", c.Retire(world.bob, BATCH, 5, RETIREMENT))
    refused(
        world,
        lambda w: w.reg.correct("registry", "x", c.Correct(t.seq, "mistake")),
        InsufficientBalance,
        "insufficient_balance",
    )


def test_correcting_a_withdrawal_cannot_overflow_cash(world: World) -> None:
    w = world.reg.withdraw("alice", "w", c.Withdraw(world.alice, 10_000, "bank"))
    world.reg.deposit("reg", "d2", c.Deposit(world.bob, INT64_MAX - 100, "r"))
    refused(
        world,
        lambda w_: w_.reg.correct("registry", "x", c.Correct(w.seq, "bounced")),
        ValidationError,
        "out_of_range",
    )


def test_cash_in_existence_stays_within_int64(world: World) -> None:
    world.reg.deposit("reg", "d2", c.Deposit(world.bob, INT64_MAX - 10_000, "r"))
    refused(
        world,
        lambda w: w.reg.deposit("reg", "d3", c.Deposit(w.alice, 1, "r")),
        ValidationError,
        "out_of_range",
    )
    assert holding(world, world.bob, "CNY") == INT64_MAX - 10_000


def test_duplicate_key_with_different_body_is_an_idempotency_conflict(world: World) -> None:
    first = world.reg.transfer("alice", "k", c.Transfer(world.alice, world.bob, BATCH, 5))
    for call in [
        lambda w: w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, BATCH, 6)),
        lambda w: w.reg.transfer("alice", "k", c.Transfer(w.alice, w.bob, "CNY", 5)),
        lambda w: w.reg.withdraw("alice", "k", c.Withdraw(w.alice, 5, "r")),
    ]:
        refused(world, call, IdempotencyConflict, "idempotency_key_reused")
    assert (
        world.reg.transfer("alice", "k", c.Transfer(world.alice, world.bob, BATCH, 5)).seq
        == first.seq
    )


def test_a_replay_of_a_bulk_issuance_is_recognised(world: World) -> None:
    cmd = c.Issue("CCER-CN-AFF0007-2026Q3-002", [world.alice, world.bob], [7, 8])
    first = world.reg.issue("reg", "bulk", cmd)
    assert world.reg.issue("reg", "bulk", cmd).seq == first.seq
    other = c.Issue("CCER-CN-AFF0007-2026Q3-002", [world.alice, world.bob], [8, 7])
    refused(
        world,
        lambda w: w.reg.issue("reg", "bulk", other),
        IdempotencyConflict,
        "idempotency_key_reused",
    )


def test_long_names_with_trailing_spaces_keep_the_chain_valid(world: World) -> None:
    name = "n" * 200 + "   "
    world.reg.open_account("registry", "o", c.OpenAccount("zed", Role.INDIVIDUAL, name))
    # ``world`` verifies the chain on teardown; PostgreSQL would drop the spaces.


def test_cash_asset_id_is_zero(world: World) -> None:
    # The transfer payload names the asset id that conservation is checked per.
    r = world.reg.transfer("alice", "t", c.Transfer(world.alice, world.bob, "cny", 1))
    assert r.payload["asset_id"] == CASH_ASSET


def test_bulk_issuance_above_the_bulk_threshold_posts_every_row(world: World) -> None:
    # Above BULK_THRESHOLD the store switches to its bulk paths (a JSON fan-out on
    # SQLite, binary COPY on PostgreSQL); the rows, balances and chain must be the same.
    n = BULK_THRESHOLD + 5
    opened = world.reg.open_accounts(
        "registry", "bulk-open", c.OpenAccounts(Role.INDIVIDUAL, [f"m{i}" for i in range(n)])
    )
    with world.store.reader() as uow:
        first = uow.accounts_of("m0")[0].account_id
    ids = list(range(first, first + int(opened.payload["accounts"])))
    amounts = [INT64_MAX // (2 * n) - i for i in range(n)]  # large, distinct, exact
    r = world.reg.issue("reg", "bulk", c.Issue("CCER-CN-AFF0007-2026Q3-009", ids, amounts))
    with world.store.reader() as uow:
        postings = uow.postings_of(r.seq)
        asset = uow.batch_named("CCER-CN-AFF0007-2026Q3-009")
        assert asset is not None
        held = [uow.balance(a, asset.asset_id, State.AVAILABLE) for a in ids]
    assert list(postings.accounts) == [SystemAccount.ISSUANCE, *ids]
    assert list(postings.deltas) == [-sum(amounts), *amounts]
    assert held == amounts


@pytest.mark.parametrize("mixed", [False, True], ids=["fan-out", "mixed-states"])
def test_bulk_postings_are_stored_exactly(world: World, mixed: bool) -> None:
    # The store's bulk writer picks its path from the postings' shape; either way the
    # stored rows are the postings, in order. Written and read back, then rolled back.
    n = BULK_THRESHOLD + 3
    states = [State.FROZEN if mixed and i % 2 else State.AVAILABLE for i in range(n)]
    rows = [Posting(SystemAccount.ISSUANCE, 77, State.SOURCE, -n * (n + 1) // 2)]
    rows += [Posting(1000 + i, 77, states[i], i + 1) for i in range(n)]
    postings = Postings.of(rows)
    with world.store.writer() as uow:
        uow._write_postings(999_999, postings)
        stored = uow.postings_of(999_999)
        idx = [r[0] for r in uow.execute(sa.text("SELECT idx FROM postings WHERE seq = 999999"))]
    assert stored == postings
    assert sorted(idx) == list(range(n + 1))


def test_distribute_pays_every_recipient_in_one_entry(world: World) -> None:
    # A platform pool's payout: cash from one account to each contributor, exactly.
    r = world.reg.distribute(
        "alice", "pay", c.Distribute(world.alice, "CNY", [world.bob, world.plat], [700, 300], "P1")
    )
    assert r.entry.posting_count == 3 and r.payload["quantity"] == 1_000
    assert (holding(world, world.bob, "CNY"), holding(world, world.plat, "CNY")) == (700, 300)
    assert holding(world, world.alice, "CNY") == 9_000
    # Credits too, and a replay of the same request is recognised.
    cmd = c.Distribute(world.alice, BATCH, [world.bob, world.steel], [10, 20], "P2")
    first = world.reg.distribute("alice", "pay2", cmd)
    assert world.reg.distribute("alice", "pay2", cmd).seq == first.seq
    assert holding(world, world.steel, BATCH) == 520


def test_an_authorised_platform_distributes_for_its_user(world: World) -> None:
    world.reg.authorize("alice", "g", c.Authorize(world.alice, "plat"))
    world.reg.distribute("plat", "pay", c.Distribute(world.alice, "CNY", [world.bob], [5], "P"))
    assert holding(world, world.bob, "CNY") == 5


def test_a_row_read_in_a_transaction_that_rolls_back_is_not_remembered(world: World) -> None:
    insert = sa.text(
        "INSERT INTO parties (party_id, role, name, opened_seq)"
        " VALUES ('ghost', 'individual', 'G', 1)"
    )
    with world.store.writer() as uow:
        uow.execute(insert)
        assert uow.party("ghost") is not None  # seen inside its own transaction
    with world.store.reader() as uow:
        assert uow.party("ghost") is None  # rolled back: never served from the cache
    with world.store.writer() as uow:
        uow.savepoint()
        uow.execute(insert)
        assert uow.party("ghost") is not None
        uow.rollback_to_savepoint()
        uow.commit()
    with world.store.reader() as uow:
        assert uow.party("ghost") is None
    # Committed rows are remembered (the registry never edits them); whoever empties or
    # rewrites the tables underneath must tell the store to forget.
    rename = "UPDATE parties SET name = :n WHERE party_id = 'bob'"
    with world.store.reader() as uow:
        name = uow.party("bob").name  # type: ignore[union-attr]
    with world.store.engine.begin() as conn:
        conn.execute(sa.text(rename), {"n": "edited"})
    with world.store.reader() as uow:
        assert uow.party("bob").name == name  # type: ignore[union-attr]
    bootstrap.build(world.store)  # a fresh app over the store remembers none of it
    with world.store.reader() as uow:
        assert uow.party("bob").name == "edited"  # type: ignore[union-attr]
    with world.store.engine.begin() as conn:
        conn.execute(sa.text(rename), {"n": name})


@pytest.mark.parametrize("kind", ["debit", "hold"])
def test_the_store_refuses_an_overdraft_even_when_the_service_checks_were_passed(
    world: World, kind: str
) -> None:
    # A planner's checks read before the head is taken, so a concurrent writer can
    # make them stale; the store's guarded writes (pipelined on PostgreSQL) still refuse.
    with world.store.reader() as uow:
        alice, bob = uow.account(world.alice), uow.account(world.bob)
        batch = uow.batch_named(BATCH)
    assert alice is not None and bob is not None and batch is not None
    if kind == "debit":
        plan = plan_transfer(alice, bob, batch.asset_id, 1_001)
    else:
        hold = world.reg.freeze(
            "alice", "f", c.Freeze(world.alice, BATCH, 10, FreezeReason.PLEDGE, "o-1")
        )
        # As if read before another release left only 10 of a hold thought to hold 11.
        plan = plan_unfreeze(hold.seq, world.alice, batch.asset_id, 11, 11)
    before = snapshot(world.store)
    with pytest.raises((InsufficientBalance, Conflict)), world.store.writer() as uow:
        uow.append(plan, "alice", "overdraft", "x" * 64, "2026-11-25T00:00:00.000000Z")
        uow.commit()
    assert snapshot(world.store) == before
