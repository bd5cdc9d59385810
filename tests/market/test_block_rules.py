"""The block-trade desk's rules, one example each: agreement and what settlement and the
holds need, decline, withdraw, lapse, fees, and params from the shipped rule set."""

from __future__ import annotations

from dataclasses import replace

import pytest
from block_support import AT_1300, AT_1400, DAY, PARAMS, T

from pctrade.kernel.errors import ValidationError
from pctrade.market.block import (
    Accept,
    BlockAgreed,
    BlockDesk,
    BlockParams,
    Decline,
    Hold,
    Lapse,
    Outcome,
    ProposalEnded,
    Propose,
    Proposed,
    Withdraw,
)
from pctrade.market.engine import Side
from pctrade.rules import shipped

Q = 150_000 * T


def test_a_buy_proposal_holds_the_proposers_cash_and_acceptance_the_sellers_credits() -> None:
    desk = BlockDesk(PARAMS)
    [proposed] = desk.apply(
        Propose(7, "emitter-1", "emitter-2", Side.BUY, Q, 6_500, AT_1400 + 60, AT_1400)
    )
    cash = 6_500 * 150_000  # 65.00 yuan × 150,000 t, in fen
    assert proposed == Proposed(
        7,
        "emitter-1",
        "emitter-2",
        Side.BUY,
        Q,
        6_500,
        AT_1400 + 60,
        AT_1400,
        Hold("emitter-1", cash, 0),
    )
    [agreed] = desk.apply(Accept(7, "emitter-2", AT_1400 + 59))
    assert agreed == BlockAgreed(
        proposal_id=7,
        buyer="emitter-1",
        seller="emitter-2",
        quantity_g=Q,
        price_fen_per_t=6_500,
        cash_fen=cash,
        fee_fen=0,
        at_s=AT_1400 + 59,
        acceptor_hold=Hold("emitter-2", 0, Q),
        proposer_hold=Hold("emitter-1", cash, 0),
    )
    assert desk.open_proposals() == ()
    assert desk.proposals()[0].outcome == Outcome.AGREED


def test_a_sell_proposal_holds_the_proposers_credits_and_acceptance_the_buyers_cash_and_fee() -> (
    None
):
    desk = BlockDesk(replace(PARAMS, fee_bps=30))  # 0.3 %, rounded up to the fen
    price = 5_999  # 59.99 yuan per t
    [proposed] = desk.apply(
        Propose(1, "pool", "emitter", Side.SELL, Q + T, price, AT_1300 + 1, AT_1300)
    )
    assert isinstance(proposed, Proposed) and proposed.hold == Hold("pool", 0, Q + T)
    [agreed] = desk.apply(Accept(1, "emitter", AT_1300))
    cash = price * 150_001
    fee = -(-cash * 30 // 10_000)
    assert cash * 30 % 10_000 != 0  # the example does round
    assert isinstance(agreed, BlockAgreed)
    assert (agreed.buyer, agreed.seller, agreed.cash_fen, agreed.fee_fen) == (
        "emitter",
        "pool",
        cash,
        fee,
    )
    assert agreed.acceptor_hold == Hold("emitter", cash + fee, 0)
    assert agreed.proposer_hold == Hold("pool", 0, Q + T)


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (Decline(1, "b", AT_1400 + 1), Outcome.DECLINED),
        (Withdraw(1, "a", AT_1400 + 1), Outcome.WITHDRAWN),
    ],
)
def test_a_declined_or_withdrawn_proposal_releases_the_proposers_hold_exactly(
    answer: Decline | Withdraw, outcome: Outcome
) -> None:
    desk = BlockDesk(PARAMS)
    [proposed] = desk.apply(Propose(1, "a", "b", Side.BUY, Q, 6_000, AT_1400 + 60, AT_1400))
    assert isinstance(proposed, Proposed)
    assert desk.apply(answer) == [ProposalEnded(1, "a", "b", outcome, AT_1400 + 1, proposed.hold)]
    assert desk.open_proposals() == ()


def test_a_proposal_lapses_at_its_expiry_and_not_before() -> None:
    desk = BlockDesk(PARAMS)
    desk.apply(Propose(1, "a", "b", Side.SELL, Q, 6_000, AT_1400 + 60, AT_1400))
    desk.apply(Propose(2, "c", "b", Side.SELL, Q, 6_000, AT_1400 + 90, AT_1400))
    assert desk.apply(Lapse(AT_1400 + 59)) == []
    [ended] = desk.apply(Lapse(AT_1400 + 60))
    assert ended == ProposalEnded(1, "a", "b", Outcome.LAPSED, AT_1400 + 60, Hold("a", 0, Q))
    assert [p.proposal_id for p in desk.open_proposals()] == [2]
    assert [e.proposal_id for e in desk.apply(Lapse(AT_1400 + 3_000))] == [2]  # type: ignore[union-attr]
    assert desk.apply(Lapse(AT_1400 + 4_000)) == []


def test_a_desk_rebuilt_from_its_proposals_answers_the_same() -> None:
    desk = BlockDesk(PARAMS)
    desk.apply(Propose(1, "a", "b", Side.SELL, Q, 6_000, AT_1400 + 60, AT_1400))
    desk.apply(Propose(2, "c", "d", Side.BUY, Q, 6_100, AT_1400 + 60, AT_1400))
    desk.apply(Decline(2, "d", AT_1400 + 1))
    again = BlockDesk(PARAMS, proposals=desk.proposals())
    assert again.proposals() == desk.proposals()
    for command in (Accept(1, "b", AT_1400 + 2), Accept(2, "d", AT_1400 + 2)):
        assert again.apply(command) == desk.apply(command)


def test_the_national_rule_set_gives_the_published_block_numbers() -> None:
    rules = shipped().by_version("CN/2021-02-01")
    trading, block = rules.trading, rules.require_block_trades()
    assert trading is not None
    params = BlockParams(
        price_step_fen_per_t=trading.price_step_fen_per_t,
        quantity_step_g=trading.quantity_step_g,
        block_quantity_min_g=trading.block_quantity_min_g,
        block_price_limit_bps=trading.block_price_limit_bps,
        reference_price_fen_per_t=6_000,
        sessions=block.sessions,
        proposal_expiry_max_s=block.proposal_expiry_max_s,
    )
    assert params.band() == (4_200, 7_800)  # ±30 %
    assert params.block_quantity_min_g == 100_000 * T
    assert params.session_close_s(AT_1300) == DAY + 15 * 3_600  # the afternoon only
    assert params.session_close_s(DAY + 10 * 3_600) is None


@pytest.mark.parametrize(
    "change",
    [
        {"block_quantity_min_g": 0},
        {"proposal_expiry_max_s": 0},
        {"fee_bps": 10_000},
        {"sessions": ()},
        {"sessions": ((50_000, 46_800),)},
        {"sessions": ((46_800, 54_000), (50_000, 60_000))},  # overlapping
        {"sessions": ((80_000, 90_000),)},  # past midnight
        {"price_step_fen_per_t": 1, "quantity_step_g": 1_000},  # cash would not be whole fen
        {"utc_offset_s": 86_400},
    ],
)
def test_bad_params_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        replace(PARAMS, **change)  # type: ignore[arg-type]
    assert caught.value.code == "bad_block_params"


def test_a_band_with_no_price_on_the_tick_is_the_engines_refusal() -> None:
    with pytest.raises(ValidationError) as caught:
        replace(
            PARAMS, reference_price_fen_per_t=1, price_step_fen_per_t=100, block_price_limit_bps=10
        )
    assert caught.value.code == "bad_trading_params"
