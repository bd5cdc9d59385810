"""A plan may change any number of holds: a settlement draws down two in one entry."""

from __future__ import annotations

import pytest
from journal_support import ALICE, BOB, CREDIT, chain, codes, history, replay

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import CASH_ASSET, State
from pctrade.ledger.operations import (
    FreezeReason,
    HoldChange,
    OpType,
    Plan,
    holds_payload,
    plan_freeze,
    plan_transfer,
)
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.sql import one_statement

CASH_HOLD = 8  # alice's cash frozen for her order, in ``with_cash_hold()``
CREDIT_HOLD = 5  # bob's credits frozen for his, in ``history()``


def settlement(cash_fen: int, credit_g: int, cash_hold: int = CASH_HOLD) -> Plan:
    """Delivery versus payment: alice's cash for bob's credits, out of their two holds."""
    postings = Postings.of(
        [
            Posting(ALICE.account_id, CASH_ASSET, State.FROZEN, -cash_fen),
            Posting(BOB.account_id, CASH_ASSET, State.AVAILABLE, cash_fen),
            Posting(BOB.account_id, CREDIT, State.FROZEN, -credit_g),
            Posting(ALICE.account_id, CREDIT, State.AVAILABLE, credit_g),
        ]
    )
    holds = (
        HoldChange(cash_hold, ALICE.account_id, CASH_ASSET, -cash_fen),
        HoldChange(CREDIT_HOLD, BOB.account_id, CREDIT, -credit_g),
    )
    payload = {"trade": "t-1", "holds": holds_payload(holds)}
    return Plan(OpType.TRANSFER, payload, postings=postings, holds=holds)


def with_cash_hold() -> list[Plan]:
    """``history()``, then cash for alice and 500 fen of it frozen (hold 8)."""
    deposit = Plan(
        OpType.DEPOSIT,
        {"account": ALICE.account_id, "amount_fen": 1_000, "reference": "bank"},
        postings=Postings.of(
            [
                Posting(2, CASH_ASSET, State.SOURCE, -1_000),
                Posting(ALICE.account_id, CASH_ASSET, State.AVAILABLE, 1_000),
            ]
        ),
    )
    return [*history(), deposit, plan_freeze(ALICE, CASH_ASSET, 500, FreezeReason.ORDER, "o2")]


def test_a_settlement_draws_down_two_holds_in_one_entry_and_replays() -> None:
    r = replay(chain([*with_cash_hold(), settlement(300, 4)]))
    assert r.ok, r.problems
    assert r.holds == {CREDIT_HOLD: 2, CASH_HOLD: 200}
    assert r.balances[(ALICE.account_id, CASH_ASSET, State.FROZEN)] == 200
    assert r.balances[(BOB.account_id, CASH_ASSET, State.AVAILABLE)] == 300
    assert r.balances[(BOB.account_id, CREDIT, State.FROZEN)] == 2
    assert r.balances[(ALICE.account_id, CREDIT, State.AVAILABLE)] == 74


def test_drawing_a_hold_down_beyond_what_is_left_is_detected() -> None:
    assert ("bad_hold", 9) in codes(replay(chain([*with_cash_hold(), settlement(300, 7)])))


def test_drawing_down_a_hold_that_never_existed_is_detected() -> None:
    plans = [*with_cash_hold(), settlement(300, 4, cash_hold=99)]
    assert ("bad_hold", 9) in codes(replay(chain(plans)))


def test_a_plan_with_one_hold_change_still_reads_as_one_hold() -> None:
    freeze = plan_freeze(BOB, CREDIT, 3, FreezeReason.ORDER, "o")
    assert freeze.hold is not None and len(freeze.holds) == 1
    assert plan_transfer(ALICE, BOB, CREDIT, 1).hold is None
    with pytest.raises(ValueError):
        _ = settlement(1, 1).hold


def test_an_entry_opens_at_most_one_hold_and_changes_each_hold_once() -> None:
    opened = HoldChange(None, ALICE.account_id, CREDIT, 1)
    drawn = HoldChange(5, ALICE.account_id, CREDIT, -1)
    for holds in [(opened, opened), (drawn, drawn)]:
        with pytest.raises(ValidationError):
            Plan(OpType.TRANSFER, {"holds": holds_payload(holds)}, holds=holds)
    with pytest.raises(ValidationError):  # an open draws nothing down, and vice versa
        bad = (HoldChange(None, ALICE.account_id, CREDIT, -1),)
        Plan(OpType.TRANSFER, {"holds": holds_payload(bad)}, holds=bad)


def test_an_entry_that_changes_holds_must_record_them_in_its_payload() -> None:
    holds = (HoldChange(5, ALICE.account_id, CREDIT, -1),)
    with pytest.raises(ValidationError):
        Plan(OpType.TRANSFER, {"trade": "t"}, holds=holds)


def test_one_statement_checks_and_draws_down_every_hold() -> None:
    plan = settlement(300, 4)
    assert one_statement.fits(plan)
    row = {"seq": 9, "prev": "0" * 64, "hash": "1" * 64}
    sql, params = one_statement.prepare(plan, row, 8)
    assert sql.count(one_statement.EXCEEDS_HOLD) == 2  # a guard per hold
    assert "hr0 AS" in sql and "hr1 AS" in sql
    assert (params["hr0_id"], params["hr0_d"]) == (str(CASH_HOLD), "-300")
    assert (params["hr1_id"], params["hr1_d"]) == (str(CREDIT_HOLD), "-4")
