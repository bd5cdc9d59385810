"""One-way bidding, one example each: the window, every refusal, revision and withdrawal,
clearing under both pricing rules, undersubscription, the published result, and terms
from the shipped Guangdong rule set."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.market.auction import (
    Auction,
    AuctionRefusal,
    AuctionTerms,
    Bid,
    BidAccepted,
    BidOutcome,
    BidRevised,
    BidWithdrawn,
    Clear,
    Cleared,
    Pricing,
    Rejected,
    ReviseBid,
    SubmitBid,
    WithdrawBid,
    bidder_share_cap_g,
    refusal_error,
)
from pctrade.rules import shipped
from pctrade.rules.model import AuctionPricing

T = 1_000_000
OPEN, CLOSE = 1_000, 2_000
R = AuctionRefusal
TERMS = AuctionTerms(
    auction_id="GD-2026-1",
    seller="gd-auction",
    quantity_g=1_000 * T,
    reserve_price_fen_per_t=1_600,
    opens_at_s=OPEN,
    closes_at_s=CLOSE,
    bid_quantity_min_g=100 * T,
    bid_quantity_max_g=800 * T,
    quantity_step_g=T,
    price_step_fen_per_t=1,
)


class Room:
    """An auction and a sequencer that numbers each command."""

    def __init__(self, terms: AuctionTerms = TERMS) -> None:
        self.auction = Auction(terms)
        self.seq = 0

    def bid(self, bid_id: int, bidder: str, price: int, tonnes: int, at_s: int = OPEN) -> object:
        self.seq += 1
        [event] = self.auction.apply(SubmitBid(self.seq, bid_id, bidder, price, tonnes * T, at_s))
        return event

    def revise(self, bid_id: int, bidder: str, price: int, tonnes: int, at_s: int = OPEN) -> object:
        self.seq += 1
        [event] = self.auction.apply(ReviseBid(self.seq, bid_id, bidder, price, tonnes * T, at_s))
        return event

    def withdraw(self, bid_id: int, bidder: str, at_s: int = OPEN) -> object:
        self.seq += 1
        [event] = self.auction.apply(WithdrawBid(self.seq, bid_id, bidder, at_s))
        return event

    def clear(self, at_s: int = CLOSE) -> Cleared:
        self.seq += 1
        [event] = self.auction.apply(Clear(self.seq, at_s))
        assert isinstance(event, Cleared), event
        return event


def test_uniform_price_is_the_lowest_accepted_bid_and_the_marginal_bid_fills_in_part() -> None:
    room = Room()
    room.bid(1, "a", 1_800, 400)
    room.bid(2, "b", 1_700, 500)
    room.bid(3, "c", 1_700, 300)  # same price as b, later: b first
    room.bid(4, "d", 1_650, 200)  # valid, but nothing left
    room.bid(5, "a", 2_000, 100)
    cleared = room.clear()
    got = {
        a.bid_id: (a.outcome, a.filled_g // T, a.price_paid_fen_per_t) for a in cleared.allocations
    }
    assert got == {
        5: (BidOutcome.WON, 100, 1_700),
        1: (BidOutcome.WON, 400, 1_700),
        2: (BidOutcome.WON, 500, 1_700),
        3: (BidOutcome.LOST, 0, None),
        4: (BidOutcome.LOST, 0, None),
    }
    assert [a.bid_id for a in cleared.allocations] == [5, 1, 2, 3, 4]  # rank order
    r = cleared.result
    assert (r.sold_g, r.unsold_g, r.clearing_price_fen_per_t) == (1_000 * T, 0, 1_700)
    assert (r.bid_count, r.bidder_count, r.bid_quantity_g, r.cover_ratio_bps) == (
        5,
        4,
        1_500 * T,
        15_000,
    )
    assert (r.winning_bid_count, r.winning_bidder_count, r.revenue_fen) == (3, 2, 1_700 * 1_000)
    one = next(a for a in cleared.allocations if a.bid_id == 1)
    assert (one.frozen_fen, one.paid_fen, one.released_fen) == (1_800 * 400, 1_700 * 400, 100 * 400)


def test_the_marginal_bid_is_filled_in_part_to_what_is_left() -> None:
    room = Room()
    room.bid(1, "a", 1_900, 700)
    room.bid(2, "b", 1_800, 450)
    cleared = room.clear()
    marginal = cleared.allocations[1]
    assert (marginal.outcome, marginal.filled_g, marginal.price_paid_fen_per_t) == (
        BidOutcome.PARTIAL,
        300 * T,
        1_800,
    )
    assert marginal.released_fen == 1_800 * 450 - 1_800 * 300


def test_pay_as_bid_charges_each_winner_its_own_price() -> None:
    room = Room(replace(TERMS, pricing=Pricing.PAY_AS_BID))
    room.bid(1, "a", 1_900, 700)
    room.bid(2, "b", 1_800, 450)
    cleared = room.clear()
    assert [(a.price_paid_fen_per_t, a.paid_fen) for a in cleared.allocations] == [
        (1_900, 1_900 * 700),
        (1_800, 1_800 * 300),
    ]
    assert cleared.result.clearing_price_fen_per_t == 1_800
    assert cleared.result.average_price_fen_per_t == (1_900 * 700 + 1_800 * 300) // 1_000


def test_undersubscribed_all_pay_the_lowest_valid_bid_and_the_rest_returns_to_the_seller() -> None:
    room = Room(replace(TERMS, reserve_published=False))
    room.bid(1, "a", 1_900, 300)
    room.bid(2, "b", 1_650, 200)
    room.bid(3, "c", 1_500, 400)  # under the unpublished reserve: taken, never valid
    cleared = room.clear()
    assert [(a.bid_id, a.outcome, a.price_paid_fen_per_t) for a in cleared.allocations] == [
        (1, BidOutcome.WON, 1_650),
        (2, BidOutcome.WON, 1_650),
        (3, BidOutcome.BELOW_RESERVE, None),
    ]
    assert cleared.allocations[2].released_fen == cleared.allocations[2].frozen_fen == 1_500 * 400
    assert (cleared.result.sold_g, cleared.result.unsold_g) == (500 * T, 500 * T)
    assert cleared.result.reserve_price_fen_per_t is None  # not published


def test_nothing_valid_sells_nothing() -> None:
    cleared = Room().clear()
    r = cleared.result
    assert (r.sold_g, r.unsold_g, r.clearing_price_fen_per_t, r.average_price_fen_per_t) == (
        0,
        1_000 * T,
        None,
        None,
    )
    assert r.reserve_price_fen_per_t == 1_600 and cleared.allocations == ()


def test_the_fee_is_frozen_with_the_bid_and_charged_on_what_is_paid() -> None:
    room = Room(replace(TERMS, fee_bps=30))  # 0.3 %, rounded up to the fen
    accepted = room.bid(1, "a", 1_999, 799)
    cash = 1_999 * 799
    assert isinstance(accepted, BidAccepted) and accepted.frozen_fen == cash + 4_792  # 4,791.6
    room.bid(2, "b", 1_601, 300)
    [a, b] = room.clear().allocations
    assert (a.paid_fen, a.fee_fen) == (1_601 * 799, 3_838)  # 3,837.597 rounded up
    assert (b.filled_g, b.paid_fen, b.fee_fen) == (201 * T, 1_601 * 201, 966)  # 965.403
    for x in (a, b):
        assert x.frozen_fen == x.paid_fen + x.fee_fen + x.released_fen


def test_a_revision_down_keeps_priority_and_anything_else_loses_it() -> None:
    room = Room(replace(TERMS, bid_revision_allowed=True))
    room.bid(1, "a", 1_700, 600)
    room.bid(2, "b", 1_700, 600)
    down = room.revise(1, "a", 1_700, 500)
    assert isinstance(down, BidRevised) and down.priority_kept
    assert (down.frozen_before_fen, down.frozen_fen) == (1_700 * 600, 1_700 * 500)
    assert [a.filled_g // T for a in Room_clear_copy(room)] == [500, 500]
    up = room.revise(1, "a", 1_700, 600)
    assert isinstance(up, BidRevised) and not up.priority_kept  # now behind b
    assert [(a.bid_id, a.filled_g // T) for a in room.clear().allocations] == [(2, 600), (1, 400)]


def Room_clear_copy(room: Room) -> list:  # type: ignore[type-arg]
    """Clear a copy of the room's auction, leaving the room open."""
    copy = Auction(room.auction.terms, last_seq=room.seq, bids=room.auction.bids())
    [event] = copy.apply(Clear(room.seq + 1, CLOSE))
    assert isinstance(event, Cleared)
    return list(event.allocations)


def test_a_withdrawn_bid_releases_its_hold_and_is_not_cleared() -> None:
    room = Room(replace(TERMS, bid_revision_allowed=True))
    room.bid(1, "a", 1_700, 600)
    assert room.withdraw(1, "a") == BidWithdrawn(2, 1, "a", 1_700 * 600)
    assert room.auction.frozen_fen("a") == 0
    assert room.clear().allocations == ()


@pytest.mark.parametrize(
    ("bid", "code"),
    [
        ((1, "a", 1_700, 100, OPEN - 1), R.AUCTION_NOT_OPEN),
        ((1, "a", 1_700, 100, CLOSE), R.AUCTION_CLOSED),
        ((9, "a", 1_700, 0, OPEN), R.QUANTITY_NOT_POSITIVE),
        ((9, "a", 1_700, 99, OPEN), R.BID_BELOW_MIN),
        ((9, "a", 1_700, 801, OPEN), R.BID_ABOVE_MAX),
        ((9, "a", 0, 100, OPEN), R.PRICE_NOT_POSITIVE),
        ((9, "a", 1_599, 100, OPEN), R.BID_BELOW_RESERVE),
        ((1, "b", 1_700, 100, OPEN), R.DUPLICATE_BID_ID),
    ],
)
def test_a_bad_bid_is_refused_with_its_code_and_freezes_nothing(
    bid: tuple[int, str, int, int, int], code: AuctionRefusal
) -> None:
    room = Room()
    room.bid(1, "a", 1_800, 100)
    before = room.auction.bids()
    assert room.bid(*bid) == Rejected(2, bid[0], code)
    assert room.auction.bids() == before


def test_off_lot_off_tick_and_over_the_bidder_cap_are_refused() -> None:
    room = Room(replace(TERMS, price_step_fen_per_t=10, bidder_quantity_max_g=500 * T))
    room.seq += 1
    assert room.auction.apply(SubmitBid(room.seq, 1, "a", 1_700, 100 * T + 1, OPEN)) == [
        Rejected(room.seq, 1, R.QUANTITY_OFF_LOT)
    ]
    assert room.bid(1, "a", 1_705, 100) == Rejected(room.seq, 1, R.PRICE_OFF_TICK)
    assert isinstance(room.bid(1, "a", 1_700, 400), BidAccepted)
    assert room.bid(2, "a", 1_700, 101) == Rejected(room.seq, 2, R.BIDDER_LIMIT_EXCEEDED)
    assert isinstance(room.bid(2, "a", 1_700, 100), BidAccepted)  # exactly the cap
    assert isinstance(room.bid(3, "b", 1_700, 500), BidAccepted)  # another bidder's own cap


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda r: r.revise(9, "a", 1_700, 100), R.BID_NOT_FOUND),
        (lambda r: r.revise(1, "b", 1_700, 100), R.NOT_BID_OWNER),
        (lambda r: r.withdraw(1, "b"), R.NOT_BID_OWNER),
        (lambda r: r.revise(1, "a", 1_700, 100, at_s=CLOSE), R.AUCTION_CLOSED),
        (lambda r: r.withdraw(1, "a", at_s=CLOSE + 5), R.AUCTION_CLOSED),
        (lambda r: r.revise(1, "a", 1_700, 50), R.BID_BELOW_MIN),
    ],
)
def test_a_bad_revision_or_withdrawal_is_refused_and_changes_nothing(
    change: object, code: AuctionRefusal
) -> None:
    room = Room(replace(TERMS, bid_revision_allowed=True))
    room.bid(1, "a", 1_800, 100)
    before = room.auction.bids()
    event = change(room)  # type: ignore[operator]
    assert isinstance(event, Rejected) and event.code == code
    assert room.auction.bids() == before


def test_a_withdrawn_bid_cannot_be_revised_and_irrevocable_bids_cannot_change() -> None:
    room = Room(replace(TERMS, bid_revision_allowed=True))
    room.bid(1, "a", 1_800, 100)
    room.withdraw(1, "a")
    assert room.revise(1, "a", 1_800, 100) == Rejected(room.seq, 1, R.BID_WITHDRAWN)
    fixed = Room()  # Guangdong: 每笔申报一经提交不可撤销
    fixed.bid(1, "a", 1_800, 100)
    assert fixed.revise(1, "a", 1_900, 100) == Rejected(2, 1, R.REVISION_NOT_ALLOWED)
    assert fixed.withdraw(1, "a") == Rejected(3, 1, R.REVISION_NOT_ALLOWED)


def test_clearing_waits_for_the_close_and_happens_once_and_a_late_bid_is_refused() -> None:
    room = Room()
    room.bid(1, "a", 1_800, 100)
    assert room.auction.apply(Clear(5, CLOSE - 1)) == [Rejected(5, None, R.AUCTION_NOT_CLOSED)]
    room.seq = 5
    room.clear()
    assert room.auction.apply(Clear(7, CLOSE + 1)) == [Rejected(7, None, R.AUCTION_ALREADY_CLEARED)]
    assert room.auction.apply(SubmitBid(8, 2, "b", 1_800, 100 * T, CLOSE + 1)) == [
        Rejected(8, 2, R.AUCTION_CLOSED)
    ]
    assert room.auction.apply(Clear(8, CLOSE + 2)) == [Rejected(8, None, R.SEQUENCE_NOT_INCREASING)]


def test_every_refusal_has_a_kind() -> None:
    for code in AuctionRefusal:
        assert refusal_error(code, "no").code == code.value


@pytest.mark.parametrize(
    "change",
    [
        {"quantity_g": 0},
        {"quantity_g": 1_000 * T + 1},
        {"reserve_price_fen_per_t": 0},
        {"closes_at_s": OPEN},
        {"bid_quantity_min_g": 900 * T},  # above the max
        {"quantity_step_g": 1_000},  # lot × tick not a multiple of 1,000,000
        {"bidder_quantity_max_g": 50 * T},
        {"fee_bps": -1},
        {"seller": ""},
    ],
)
def test_bad_terms_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        replace(TERMS, **change)  # type: ignore[arg-type]
    assert caught.value.code == "bad_auction_terms"


def test_the_guangdong_rule_set_gives_its_published_auction_defaults() -> None:
    rules = shipped().by_version("GD/2022-05-06").require_auctions()
    assert (
        rules.pricing == AuctionPricing.UNIFORM and Pricing(rules.pricing.value) == Pricing.UNIFORM
    )
    assert not rules.bid_revision_allowed and rules.reserve_published
    assert rules.bid_quantity_min_g == 1_000 * T
    assert rules.bidder_share_max_bps is not None
    cap = bidder_share_cap_g(500_000 * T, rules.bidder_share_max_bps, rules.bid_quantity_step_g)
    assert cap == 250_000 * T  # 50 % of a 500,000 t offer
    terms = AuctionTerms(
        auction_id="GD-2016-3",
        seller="gd-auction",
        quantity_g=500_000 * T,
        reserve_price_fen_per_t=1_609,  # 16.09 yuan per t, the 2016 third auction's reserve
        opens_at_s=OPEN,
        closes_at_s=CLOSE,
        bid_quantity_min_g=rules.bid_quantity_min_g,
        bid_quantity_max_g=cap,
        quantity_step_g=rules.bid_quantity_step_g,
        price_step_fen_per_t=rules.price_step_fen_per_t,
        pricing=Pricing(rules.pricing.value),
        bid_revision_allowed=rules.bid_revision_allowed,
        reserve_published=rules.reserve_published,
        bidder_quantity_max_g=cap,
    )
    assert Auction(terms).apply(SubmitBid(1, 1, "e", 1_608, 1_000 * T, OPEN)) == [
        Rejected(1, 1, R.BID_BELOW_RESERVE)
    ]


def test_pricing_names_agree_with_the_rule_sets() -> None:
    assert {p.value for p in Pricing} == {p.value for p in AuctionPricing}


def test_an_auction_rebuilt_from_its_bids_clears_the_same() -> None:
    room = Room(replace(TERMS, bid_revision_allowed=True))
    for i, (price, tonnes) in enumerate(
        [(1_900, 300), (1_700, 400), (1_700, 500), (1_650, 100)], 1
    ):
        room.bid(i, f"p{i % 3}", price, tonnes)
    room.withdraw(2, "p2")
    again = Auction(room.auction.terms, last_seq=room.seq, bids=room.auction.bids())
    assert again.bids() == room.auction.bids()
    assert again.apply(Clear(room.seq + 1, CLOSE)) == [room.clear()]
    assert isinstance(Bid(1, "a", 1, 1, 1), tuple)
