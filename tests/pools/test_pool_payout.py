"""The pure side of a pool sale: draw order, exact payouts, the one-entry settlement.

Properties the issue states, for random pools and proceeds: the shares sum to the net
proceeds to the fen, each is within one fen of its exact value, ties go to the lower
account id; a draw takes exactly the sale's grams, never more than a lot holds, pro
rata within a gram of each contributor's exact share; and the replay check flags any
entry whose payout, money or postings differ from what its facts make.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pctrade.kernel.errors import Conflict, PctradeError, ValidationError
from pctrade.kernel.split import Split, largest_remainder
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import EntryHeader
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.split_columns import largest_remainder_np
from pctrade.pools.allocation import DrawOrder, Lot, draw
from pctrade.pools.payout import Payout, check_shares, contributions, pay_out, sale_money
from pctrade.pools.settle import BuyerCash, PoolSale, check_pool_settle, plan_pool_settle

CREDIT = 7
BUYER, PLATFORM = 9_001, 9_002
SALE = PoolSale("POOL-GD-0001", "S-1", "block", 60_000, 30_000, BUYER, PLATFORM, 500, 30)

LOTS = st.lists(st.tuples(st.integers(1, 12), st.integers(0, 50_000)), min_size=1, max_size=25).map(
    lambda rows: [Lot(100 + i, 1_000 + a, CREDIT, g) for i, (a, g) in enumerate(rows)]
)


def _exact(total: int, weight: int, weight_sum: int) -> Fraction:
    return Fraction(total * weight, weight_sum)


# --- payouts -------------------------------------------------------------------------


@given(
    net=st.integers(0, 10**12),
    grams=st.lists(st.integers(1, 10**7), min_size=1, max_size=60),
)
def test_a_payout_sums_to_the_net_and_each_share_is_within_a_fen(
    net: int, grams: list[int]
) -> None:
    accounts = list(range(1_000, 1_000 + len(grams)))
    payout = pay_out(net, accounts, grams)
    assert sum(payout.net_fen) == net
    q = sum(grams)
    for g, share in zip(grams, payout.net_fen, strict=True):
        assert abs(share - _exact(net, g, q)) < 1
    assert check_shares(net, payout) is None
    # The numpy twin gives the same shares and remainders.
    assert pay_out(net, accounts, grams, largest_remainder_np) == payout


@given(
    price=st.integers(1, 10**6),
    quantity=st.integers(1, 10**9),
    trade_bps=st.integers(0, 100),
    pool_bps=st.integers(0, 3_000),
)
def test_the_money_of_a_sale_adds_up_to_the_fen(
    price: int, quantity: int, trade_bps: int, pool_bps: int
) -> None:
    m = sale_money(price, quantity, trade_bps, pool_bps)
    assert m.net_fen + m.pool_fee_fen + m.seller_fee_fen == m.gross_fen
    # Fees are rounded down: never above the disclosed rates.
    assert m.seller_fee_fen * 10_000 <= m.gross_fen * trade_bps
    assert m.pool_fee_fen * 10_000 <= (m.gross_fen - m.seller_fee_fen) * pool_bps


def test_ties_go_to_the_lower_account_id() -> None:
    payout = pay_out(10, [1_001, 1_002, 1_003], [1, 1, 1])
    assert payout.net_fen == [4, 3, 3] and payout.remainders == [1, 1, 1]
    accounts, grams = contributions([1_003, 1_001, 1_002, 1_001], [1, 2, 1, 0])
    assert (accounts, grams) == ([1_001, 1_002, 1_003], [2, 1, 1])
    assert pay_out(5, accounts, grams).net_fen == [3, 1, 1]  # 2.5, 1.25, 1.25


def _crooked(total: int, weights: Sequence[int]) -> Split:
    """A split that hands the leftover fen to the last part instead of the largest
    remainder: sums right, each within a fen, but not the documented rule."""
    right = largest_remainder(total, weights)
    amounts = [total * w // sum(weights) for w in weights]
    amounts[-1] += total - sum(amounts)
    return Split(amounts, right.remainders, right.rounded_up, right.leftover)


def test_a_payout_that_does_not_follow_the_rule_is_refused() -> None:
    with pytest.raises(Conflict) as exc:
        pay_out(10, [1, 2, 3], [1, 1, 1], _crooked)
    assert exc.value.code == "payout_mismatch"
    good = pay_out(10, [1, 2, 3], [1, 1, 1])
    assert check_shares(11, good) is not None  # does not sum
    assert check_shares(10, replace(good, net_fen=[5, 3, 2])) is not None  # not within 1
    assert check_shares(10, replace(good, net_fen=[3, 4, 3])) is not None  # wrong tie-break
    assert check_shares(10, replace(good, accounts=[2, 1, 3])) is not None  # not ascending


# --- draw order ----------------------------------------------------------------------


@given(lots=LOTS, data=st.data(), order=st.sampled_from(list(DrawOrder)))
def test_a_draw_takes_exactly_the_sale_and_never_more_than_a_lot(
    lots: list[Lot], data: st.DataObject, order: DrawOrder
) -> None:
    free = sum(lot.remaining_g for lot in lots)
    if free == 0:
        with pytest.raises(PctradeError):
            draw(lots, 1, order)
        return
    q = data.draw(st.integers(1, free))
    taken = draw(lots, q, order)
    assert sum(taken) == q
    assert all(0 <= t <= lot.remaining_g for t, lot in zip(taken, lots, strict=True))
    # The answer does not depend on the order the lots were read in.
    backwards = draw(lots[::-1], q, order)
    assert backwards[::-1] == taken
    if order is DrawOrder.FIFO:
        # Oldest first: every lot before the last touched one is emptied.
        touched = [i for i, t in enumerate(taken) if t]
        assert all(taken[i] == lots[i].remaining_g for i in range(touched[-1]))
    else:
        held: dict[int, int] = {}
        given_g: dict[int, int] = {}
        for lot, t in zip(lots, taken, strict=True):
            held[lot.account_id] = held.get(lot.account_id, 0) + lot.remaining_g
            given_g[lot.account_id] = given_g.get(lot.account_id, 0) + t
        for account, g in given_g.items():
            assert abs(g - _exact(q, held[account], free)) < 1


def test_pro_rata_spreads_across_contributors_and_takes_their_oldest_deposit_first() -> None:
    lots = [Lot(1, 1_002, CREDIT, 300), Lot(2, 1_001, CREDIT, 100), Lot(3, 1_002, CREDIT, 100)]
    # 1_001 holds 100, 1_002 holds 400: of 250 g, 50 and 200; 1_002's from deposit 1 first.
    assert draw(lots, 250, DrawOrder.PRO_RATA) == [200, 50, 0]
    assert draw(lots, 350, DrawOrder.FIFO) == [300, 50, 0]
    # Two equal contributors, one gram: the lower account id gives it.
    assert draw([Lot(5, 1_009, CREDIT, 1), Lot(6, 1_003, CREDIT, 1)], 1, DrawOrder.PRO_RATA) == [
        0,
        1,
    ]


def test_a_draw_beyond_the_pool_is_refused() -> None:
    with pytest.raises(Conflict) as exc:
        draw([Lot(1, 1_001, CREDIT, 10)], 11, DrawOrder.PRO_RATA)
    assert exc.value.code == "exceeds_pool"
    with pytest.raises(ValidationError):
        draw([Lot(1, 1_001, CREDIT, 10)], 0, DrawOrder.FIFO)


# --- the settlement entry ------------------------------------------------------------


def _entry(plan: Plan) -> StoredEntry:
    header = EntryHeader(
        42, plan.op_type, "registry", "k", "r", "2026-01-01T00:00:00Z", plan.payload
    )
    return StoredEntry(header, "", "", plan.postings)


def _problems(plan: Plan) -> list[str]:
    return [p.code for p in check_pool_settle(_entry(plan))]


POOL_LOTS = [
    Lot(11, 1_001, CREDIT, 10_000),
    Lot(12, 1_002, CREDIT, 10_000),
    Lot(13, 1_003, CREDIT, 20_000),
    Lot(14, 1_001, CREDIT, 5_000),
]


def test_a_sale_moves_units_only_against_cash_in_one_entry() -> None:
    drawn = draw(POOL_LOTS, SALE.quantity_g, DrawOrder.PRO_RATA)
    plan = plan_pool_settle(SALE, POOL_LOTS, drawn, BuyerCash())
    net = plan.postings.net_by_key()
    m = sale_money(60_000, 30_000, 30, 500)  # 1,800 fen gross, fee 5, pool fee 89
    assert (m.gross_fen, m.seller_fee_fen, m.pool_fee_fen, m.net_fen) == (1_800, 5, 89, 1_706)
    assert net[(BUYER, CASH_ASSET, State.AVAILABLE)] == -1_805
    assert net[(BUYER, CREDIT, State.AVAILABLE)] == 30_000
    assert net[(PLATFORM, CASH_ASSET, State.AVAILABLE)] == 89
    assert net[(SystemAccount.FEES, CASH_ASSET, State.AVAILABLE)] == 10
    paid = {a: net[(a, CASH_ASSET, State.AVAILABLE)] for a in (1_001, 1_002, 1_003)}
    gave = {a: -net[(a, CREDIT, State.FROZEN)] for a in (1_001, 1_002, 1_003)}
    assert gave == {1_001: 10_000, 1_002: 6_667, 1_003: 13_333}
    assert sum(paid.values()) == 1_706
    assert plan.payload["payout"]["net_fen"] == [paid[1_001], paid[1_002], paid[1_003]]
    assert {h.hold_id: h.delta for h in plan.holds} == {
        11: -10_000,  # 1_001's oldest deposit gives all of its 10 kg first
        12: -6_667,
        13: -13_333,
    }
    assert _problems(plan) == []


def test_the_buyers_order_hold_pays_and_its_excess_is_released() -> None:
    drawn = draw(POOL_LOTS, SALE.quantity_g, DrawOrder.FIFO)
    cash = BuyerCash(((501, 1_000), (502, 2_000)), reserve_after_fen=100)
    plan = plan_pool_settle(SALE, POOL_LOTS, drawn, cash)
    net = plan.postings.net_by_key()
    assert net[(BUYER, CASH_ASSET, State.FROZEN)] == -2_900
    assert net[(BUYER, CASH_ASSET, State.AVAILABLE)] == 2_900 - 1_805
    assert [h.delta for h in plan.holds if h.asset_id == CASH_ASSET] == [-1_000, -1_900]
    assert _problems(plan) == []
    with pytest.raises(Conflict) as exc:
        plan_pool_settle(SALE, POOL_LOTS, drawn, BuyerCash(((501, 1_000),)))
    assert exc.value.code == "exceeds_hold"


def test_a_settlement_that_does_not_add_up_is_refused() -> None:
    drawn = draw(POOL_LOTS, SALE.quantity_g, DrawOrder.PRO_RATA)
    short = [drawn[0] - 1, *drawn[1:]]
    with pytest.raises(Conflict) as exc:
        plan_pool_settle(SALE, POOL_LOTS, short, BuyerCash())
    assert exc.value.code == "payout_mismatch"
    too_much = [drawn[0] + 1, drawn[1] - 1, *drawn[2:]]  # deposit 11 had 10 kg: all drawn
    with pytest.raises(Conflict) as exc:
        plan_pool_settle(SALE, POOL_LOTS, too_much, BuyerCash())
    assert exc.value.code == "exceeds_pool"
    with pytest.raises(Conflict) as exc:
        plan_pool_settle(SALE, POOL_LOTS, drawn, BuyerCash(), _crooked)
    assert exc.value.code == "payout_mismatch"
    with pytest.raises(ValidationError) as v:
        plan_pool_settle(replace(SALE, buyer=1_002), POOL_LOTS, drawn, BuyerCash())
    assert v.value.code == "same_account"


def _forged(plan: Plan, **changes: object) -> Plan:
    return Plan(plan.op_type, {**plan.payload, **changes}, plan.postings, holds=plan.holds)


def test_replay_flags_a_payout_money_or_postings_that_differ_from_the_facts() -> None:
    drawn = draw(POOL_LOTS, SALE.quantity_g, DrawOrder.PRO_RATA)
    plan = plan_pool_settle(SALE, POOL_LOTS, drawn, BuyerCash())
    c = plan.payload["payout"]
    shifted = [c["net_fen"][0] + 1, c["net_fen"][1] - 1, c["net_fen"][2]]
    assert _problems(_forged(plan, payout={**c, "net_fen": shifted})) == ["payout_mismatch"]
    assert _problems(_forged(plan, pool_fee_bps=400)) == ["payout_mismatch"]
    assert _problems(_forged(plan, price_fen_per_t=70_000)) == ["payout_mismatch"]
    assert _problems(_forged(plan, payout={**c, "grams": [10_001, 6_666, 13_333]})) == [
        "payout_mismatch"
    ]
    # The same figures, but one contributor's cash went to the platform instead.
    rows = list(plan.postings)
    i = next(k for k, r in enumerate(rows) if r.account_id == 1_003 and r.asset_id == CASH_ASSET)
    rows[i] = Posting(PLATFORM, CASH_ASSET, State.AVAILABLE, rows[i].delta)
    moved = Plan(plan.op_type, plan.payload, Postings.of(rows), holds=plan.holds)
    assert _problems(moved) == ["payout_mismatch"]
    assert _problems(_forged(plan, payout=None)) == ["payout_mismatch"]


@given(lots=LOTS, data=st.data(), order=st.sampled_from(list(DrawOrder)))
def test_every_planned_sale_replays_clean(
    lots: list[Lot], data: st.DataObject, order: DrawOrder
) -> None:
    free = sum(lot.remaining_g for lot in lots)
    if free == 0:
        return
    q = data.draw(st.integers(1, free))
    price = data.draw(st.integers(1_000, 2_000_000))
    sale = replace(SALE, quantity_g=q, price_fen_per_t=price)
    if sale_money(price, q, 30, 500).gross_fen == 0:
        with pytest.raises(ValidationError):
            plan_pool_settle(sale, lots, draw(lots, q, order), BuyerCash())
        return
    plan = plan_pool_settle(sale, lots, draw(lots, q, order), BuyerCash())
    assert _problems(plan) == []
    payout = Payout(**plan.payload["payout"])
    assert sum(payout.net_fen) == plan.payload["net_fen"]
