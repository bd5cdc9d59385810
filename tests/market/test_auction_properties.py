"""Property tests of clearing, and a differential test against a plain reference.

On random auctions (random terms, bids, revisions and withdrawals): what is sold never
exceeds the offer; every fill is at or above the reserve; no losing valid bid is priced
above a winning one, and at equal prices the earlier bid fills first; under uniform
pricing every winner pays the one clearing price, at most its bid; under pay-as-bid each
pays its own; for every bid frozen = paid + fee + released, exactly, with nothing
negative; and the sold part, the revenue and the unsold rest add up. The reference
clears the same bids by the rule as the clearing module states it, written plainly here
(a price-sorted walk, tonne by tonne in the lot), and must agree on every bid.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hypothesis_budget import examples
from pctrade.market.auction import (
    Auction,
    AuctionTerms,
    Bid,
    BidOutcome,
    Clear,
    Cleared,
    Pricing,
    ReviseBid,
    SubmitBid,
    WithdrawBid,
)

T = 1_000_000
OPEN, CLOSE = 100, 200
BIDDERS = ("a", "b", "c", "d", "e")


@st.composite
def terms(draw: st.DrawFn) -> AuctionTerms:
    lot = draw(st.sampled_from((T, 10 * T, 500_000)))  # half a tonne needs an even tick
    tick = draw(st.sampled_from((2, 10, 100)))
    lots_offered = draw(st.integers(1, 60))
    return AuctionTerms(
        auction_id="X",
        seller="seller",
        quantity_g=lots_offered * lot,
        reserve_price_fen_per_t=draw(st.integers(1, 50)) * tick,
        opens_at_s=OPEN,
        closes_at_s=CLOSE,
        bid_quantity_min_g=lot,
        bid_quantity_max_g=40 * lot,
        quantity_step_g=lot,
        price_step_fen_per_t=tick,
        pricing=draw(st.sampled_from(Pricing)),
        bid_revision_allowed=draw(st.booleans()),
        reserve_published=draw(st.booleans()),
        fee_bps=draw(st.sampled_from((0, 0, 7, 30))),
    )


@st.composite
def auctions(draw: st.DrawFn) -> tuple[AuctionTerms, Auction]:
    """An auction after a random stream of bids, revisions and withdrawals."""
    t = draw(terms())
    auction = Auction(t)
    price = st.integers(1, 60).map(lambda k: k * t.price_step_fen_per_t)
    quantity = st.integers(1, 40).map(lambda k: k * t.quantity_step_g)
    for seq in range(1, draw(st.integers(0, 30)) + 1):
        kind = draw(st.sampled_from(("bid", "bid", "bid", "revise", "withdraw")))
        bid_id = draw(st.integers(1, 25))
        bidder = draw(st.sampled_from(BIDDERS))
        at_s = draw(st.integers(OPEN, CLOSE - 1))
        if kind == "bid":
            auction.apply(SubmitBid(seq, bid_id, bidder, draw(price), draw(quantity), at_s))
        elif kind == "revise":
            auction.apply(ReviseBid(seq, bid_id, bidder, draw(price), draw(quantity), at_s))
        else:
            auction.apply(WithdrawBid(seq, bid_id, bidder, at_s))
    return t, auction


def cleared(auction: Auction) -> Cleared:
    [event] = auction.apply(Clear(10_000, CLOSE))
    assert isinstance(event, Cleared)
    return event


def reference(t: AuctionTerms, bids: list[Bid]) -> dict[int, tuple[int, int | None, int]]:
    """bid id → (filled, price paid, released), cleared plainly, one lot at a time."""
    open_bids = [b for b in bids if not b.withdrawn]
    valid = [b for b in open_bids if b.price_fen_per_t >= t.reserve_price_fen_per_t]
    valid.sort(key=lambda b: b.priority_seq)
    valid.sort(key=lambda b: b.price_fen_per_t, reverse=True)  # stable: time within a price
    filled = {b.bid_id: 0 for b in open_bids}
    lots_left = t.quantity_g // t.quantity_step_g
    for b in valid:
        while lots_left and filled[b.bid_id] < b.quantity_g:
            filled[b.bid_id] += t.quantity_step_g
            lots_left -= 1
    winners = [b for b in valid if filled[b.bid_id]]
    lowest = min((b.price_fen_per_t for b in winners), default=None)
    out: dict[int, tuple[int, int | None, int]] = {}
    for b in open_bids:
        f = filled[b.bid_id]
        paid_price = (
            None if not f else lowest if t.pricing == Pricing.UNIFORM else b.price_fen_per_t
        )
        bid_cash = b.price_fen_per_t * b.quantity_g / T
        frozen = bid_cash + -(-bid_cash * t.fee_bps // 10_000)
        paid = 0 if paid_price is None else paid_price * f / T
        fee = -(-paid * t.fee_bps // 10_000)
        assert frozen == int(frozen) and paid == int(paid)  # the lot and tick keep it whole
        out[b.bid_id] = (f, paid_price, int(frozen - paid - fee))
    return out


@settings(max_examples=examples(ci=100, thorough=300), deadline=None)
@given(auctions())
def test_clearing_agrees_with_the_plain_reference_bid_for_bid(
    case: tuple[AuctionTerms, Auction],
) -> None:
    t, auction = case
    bids = list(auction.bids())
    got = {
        a.bid_id: (a.filled_g, a.price_paid_fen_per_t, a.released_fen)
        for a in cleared(auction).allocations
    }
    assert got == reference(t, bids)


@settings(max_examples=examples(ci=100, thorough=300), deadline=None)
@given(auctions())
def test_clearing_keeps_its_promises(case: tuple[AuctionTerms, Auction]) -> None:
    t, auction = case
    event = cleared(auction)
    result, allocations = event.result, event.allocations
    winners = [a for a in allocations if a.filled_g]
    losers = [a for a in allocations if a.outcome == BidOutcome.LOST]
    # Never more than offered, and sold + unsold is the offer.
    assert result.sold_g == sum(a.filled_g for a in allocations) <= t.quantity_g
    assert result.sold_g + result.unsold_g == t.quantity_g
    # Every fill at or above the reserve, in lots, within its bid.
    for a in winners:
        assert a.price_fen_per_t >= t.reserve_price_fen_per_t
        assert a.filled_g % t.quantity_step_g == 0 and 0 < a.filled_g <= a.quantity_g
    # Price then time: no losing valid bid above a winner, and at most one partial fill.
    if winners:
        assert all(lo.price_fen_per_t <= min(w.price_fen_per_t for w in winners) for lo in losers)
        assert sum(a.outcome == BidOutcome.PARTIAL for a in allocations) <= 1
    if losers:
        assert result.unsold_g == 0  # a valid bid lost only because the offer ran out
    priority = {b.bid_id: b.priority_seq for b in auction.bids()}
    for w in winners:
        for lo in losers:
            if lo.price_fen_per_t == w.price_fen_per_t:
                assert priority[w.bid_id] < priority[lo.bid_id]
    # What each pays.
    for a in winners:
        assert a.price_paid_fen_per_t is not None and a.price_paid_fen_per_t <= a.price_fen_per_t
        if t.pricing == Pricing.UNIFORM:
            assert a.price_paid_fen_per_t == result.clearing_price_fen_per_t
        else:
            assert a.price_paid_fen_per_t == a.price_fen_per_t
    if winners:
        assert result.clearing_price_fen_per_t == min(a.price_fen_per_t for a in winners)
    # The money, exactly, for every bid: the hold is all paid, charged or released.
    for a in allocations:
        assert a.frozen_fen == t.frozen_fen(a.price_fen_per_t, a.quantity_g)
        assert a.frozen_fen == a.paid_fen + a.fee_fen + a.released_fen
        assert min(a.paid_fen, a.fee_fen, a.released_fen) >= 0
        if not a.filled_g:
            assert a.released_fen == a.frozen_fen
    assert result.revenue_fen == sum(a.paid_fen for a in allocations)
    # The frozen total before clearing is what the allocations account for.
    assert sum(auction.frozen_fen(b) for b in BIDDERS) == sum(a.frozen_fen for a in allocations)
    # The public result counts the open bids and names nobody.
    assert result.bid_count == len(allocations)
    assert not any(b in str(result) for b in (f"'{x}'" for x in BIDDERS))
