"""Every refusal of the block-trade desk, one example each, and that it changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from block_support import AT_1000, AT_1300, AT_1400, AT_1500, PARAMS, T

from pctrade.kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from pctrade.market.block import (
    Accept,
    BlockCommand,
    BlockDesk,
    BlockRefusal,
    Decline,
    Lapse,
    Propose,
    Rejected,
    Withdraw,
    refusal_error,
)
from pctrade.market.engine import Side

R = BlockRefusal
BUY, SELL = Side.BUY, Side.SELL
Q = 100_000 * T  # the threshold


def propose(
    pid: int = 1,
    proposer: str = "a",
    counterparty: str = "b",
    side: Side = BUY,
    quantity_g: int = Q,
    price: int = 6_000,
    expires_at_s: int = AT_1400 + 600,
    at_s: int = AT_1400,
) -> Propose:
    return Propose(pid, proposer, counterparty, side, quantity_g, price, expires_at_s, at_s)


def desk_with_open_proposal() -> BlockDesk:
    desk = BlockDesk(PARAMS)
    desk.apply(propose())
    return desk


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (propose(proposer="b"), R.PROPOSAL_TO_SELF),
        (propose(quantity_g=0), R.QUANTITY_NOT_POSITIVE),
        (propose(quantity_g=Q + T // 2), R.QUANTITY_OFF_LOT),
        (propose(quantity_g=Q - T), R.BLOCK_BELOW_THRESHOLD),
        (propose(price=0), R.PRICE_NOT_POSITIVE),
        (propose(price=-100), R.PRICE_NOT_POSITIVE),
        (propose(price=4_199), R.BLOCK_PRICE_OUTSIDE_BAND),
        (propose(price=7_801), R.BLOCK_PRICE_OUTSIDE_BAND),
        (propose(at_s=AT_1000, expires_at_s=AT_1000 + 60), R.BLOCK_SESSION_CLOSED),
        (propose(at_s=AT_1500, expires_at_s=AT_1500 + 60), R.BLOCK_SESSION_CLOSED),
        (propose(at_s=AT_1300 - 1, expires_at_s=AT_1300 + 60), R.BLOCK_SESSION_CLOSED),
        (propose(expires_at_s=AT_1400), R.EXPIRY_NOT_AFTER_NOW),
        (propose(expires_at_s=AT_1400 + 3_601), R.EXPIRY_TOO_LATE),  # past the 15:00 close
        (propose(at_s=AT_1300, expires_at_s=AT_1300 + 7_201), R.EXPIRY_TOO_LATE),
    ],
)
def test_a_bad_proposal_is_refused_with_its_code_and_changes_nothing(
    command: Propose, code: BlockRefusal
) -> None:
    desk = BlockDesk(PARAMS)
    assert desk.apply(command) == [
        Rejected(command.proposal_id, command.proposer, code, command.at_s)
    ]
    assert desk.proposals() == ()


def test_the_band_and_session_edges_are_inside() -> None:
    desk = BlockDesk(PARAMS)
    edges = [
        propose(1, price=4_200),
        propose(2, price=7_800),
        propose(3, at_s=AT_1300, expires_at_s=AT_1300 + 7_200),
        propose(4, at_s=AT_1500 - 1, expires_at_s=AT_1500),
    ]
    for command in edges:
        assert not isinstance(desk.apply(command)[0], Rejected), command


def test_a_price_off_the_tick_is_refused() -> None:
    params = replace(PARAMS, price_step_fen_per_t=10)
    desk = BlockDesk(params)
    assert desk.apply(propose(price=6_005))[0] == Rejected(1, "a", R.PRICE_OFF_TICK, AT_1400)


def test_a_proposal_id_is_never_reused() -> None:
    desk = desk_with_open_proposal()
    before = desk.proposals()
    assert desk.apply(propose(proposer="c"))[0].code == R.DUPLICATE_PROPOSAL_ID  # type: ignore[union-attr]
    assert desk.proposals() == before


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (Accept(9, "b", AT_1400 + 1), R.PROPOSAL_NOT_FOUND),
        (Accept(1, "c", AT_1400 + 1), R.NOT_YOUR_PROPOSAL),  # proposed to b, not c
        (Accept(1, "a", AT_1400 + 1), R.NOT_YOUR_PROPOSAL),  # the proposer cannot accept
        (Accept(1, "b", AT_1400 + 600), R.PROPOSAL_EXPIRED),
        (Decline(9, "b", AT_1400 + 1), R.PROPOSAL_NOT_FOUND),
        (Decline(1, "c", AT_1400 + 1), R.NOT_YOUR_PROPOSAL),
        (Decline(1, "b", AT_1400 + 601), R.PROPOSAL_EXPIRED),
        (Withdraw(9, "a", AT_1400 + 1), R.PROPOSAL_NOT_FOUND),
        (Withdraw(1, "b", AT_1400 + 1), R.NOT_PROPOSER),
        (Withdraw(1, "a", AT_1400 + 600), R.PROPOSAL_EXPIRED),
    ],
)
def test_a_bad_answer_is_refused_with_its_code_and_changes_nothing(
    command: Accept | Decline | Withdraw, code: BlockRefusal
) -> None:
    desk = desk_with_open_proposal()
    before = desk.proposals()
    assert desk.apply(command) == [Rejected(command.proposal_id, command.party, code, command.at_s)]
    assert desk.proposals() == before


@pytest.mark.parametrize(
    "ending",
    [Accept(1, "b", AT_1400 + 1), Decline(1, "b", AT_1400 + 1), Withdraw(1, "a", AT_1400 + 1)],
)
@pytest.mark.parametrize(
    "late",
    [Accept(1, "b", AT_1400 + 2), Decline(1, "b", AT_1400 + 2), Withdraw(1, "a", AT_1400 + 2)],
)
def test_a_proposal_no_longer_open_takes_no_answer(
    ending: BlockCommand, late: Accept | Decline | Withdraw
) -> None:
    desk = desk_with_open_proposal()
    desk.apply(ending)
    before = desk.proposals()
    assert desk.apply(late) == [Rejected(1, late.party, R.PROPOSAL_NOT_OPEN, late.at_s)]
    assert desk.proposals() == before


def test_a_lapsed_proposal_is_no_longer_open() -> None:
    desk = desk_with_open_proposal()
    desk.apply(Lapse(AT_1400 + 600))
    assert desk.apply(Accept(1, "b", AT_1400 + 1)) == [
        Rejected(1, "b", R.PROPOSAL_NOT_OPEN, AT_1400 + 1)
    ]


def test_accepting_outside_the_block_session_is_refused() -> None:
    desk = desk_with_open_proposal()
    # The desk is given a new day's numbers with another session (a rule change).
    desk.set_params(replace(PARAMS, sessions=((46_800, 50_000),)))
    before = desk.proposals()
    assert desk.apply(Accept(1, "b", AT_1400 + 1)) == [
        Rejected(1, "b", R.BLOCK_SESSION_CLOSED, AT_1400 + 1)
    ]
    assert desk.proposals() == before


def test_the_first_failing_check_names_the_code() -> None:
    desk = BlockDesk(PARAMS)
    both = propose(proposer="b", quantity_g=T, price=1, at_s=AT_1000)
    assert desk.apply(both)[0].code == R.PROPOSAL_TO_SELF  # type: ignore[union-attr]
    small_and_cheap = propose(quantity_g=T, price=1, at_s=AT_1000)
    assert desk.apply(small_and_cheap)[0].code == R.BLOCK_BELOW_THRESHOLD  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (R.BLOCK_BELOW_THRESHOLD, ValidationError),
        (R.NOT_YOUR_PROPOSAL, Forbidden),
        (R.PROPOSAL_NOT_FOUND, NotFound),
        (R.PROPOSAL_EXPIRED, Conflict),
        (R.BLOCK_SESSION_CLOSED, Conflict),
    ],
)
def test_a_refusal_becomes_a_kernel_error_of_its_kind(code: BlockRefusal, kind: type) -> None:
    error = refusal_error(code, "no")
    assert isinstance(error, kind) and error.code == code.value


def test_every_refusal_has_a_kind() -> None:
    for code in BlockRefusal:
        assert refusal_error(code, "no").code == code.value
