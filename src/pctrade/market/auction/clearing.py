"""Clearing a one-way auction: who gets what, at which price, and what is released.

The rule, after Guangdong's paid-allocation auctions (广东省碳排放配额有偿发放, 2014
and 2015 notices of the Guangzhou exchange; see the GD rule set's sources):

1. Bids priced below the reserve are not valid (the reserve is "the lowest valid
   price", 竞价最低有效价格); they win nothing and are released in full.
2. Valid bids are ranked by price, highest first, and at equal prices by time: the
   lower ``priority_seq`` first (价格优先、时间优先). EU Regulation 1031/2010, Art. 7(2),
   breaks ties at random instead; pctrade follows the Chinese rule.
3. They are filled in rank order until the offer runs out. The marginal bid may be
   filled in part; since the offer and every bid are whole lots, so is that part.
4. Uniform pricing: every winner pays the lowest accepted bid's price — when the bids
   do not cover the offer, that is the lowest valid bid's price ("所有的申报均按最低申报
   价成交"); otherwise the marginal bid's ("成交价统一取竞买成功者当中的最低申报价").
   Pay-as-bid: every winner pays its own price.
5. What no valid bid takes is unsold and returns to the seller (Guangdong sells what is
   bid for; EU Art. 7(5) would cancel such an auction instead — not followed).

Money, per bid: ``frozen = cash(bid price, bid quantity) + fee`` at submission;
``paid = cash(price paid, filled)``; ``fee = ceil(paid × fee_bps / 10,000)``;
``released = frozen − paid − fee``. Since the price paid is at most the bid price and
the fill at most the bid, ``released >= 0``, and all of it is exact integer fen.
"""

from __future__ import annotations

from collections.abc import Iterable

from pctrade.kernel.errors import IntegrityError
from pctrade.kernel.units import BPS, G_PER_T
from pctrade.market.auction.messages import Allocation, AuctionResult, Bid, BidOutcome
from pctrade.market.auction.terms import AuctionTerms, Pricing


def rank(bids: Iterable[Bid]) -> list[Bid]:
    """Price priority, then time priority."""
    return sorted(bids, key=lambda b: (-b.price_fen_per_t, b.priority_seq))


def clear(terms: AuctionTerms, bids: Iterable[Bid]) -> tuple[AuctionResult, tuple[Allocation, ...]]:
    """The result and every open bid's allocation (withdrawn bids are ignored)."""
    open_bids = [b for b in bids if not b.withdrawn]
    reserve = terms.reserve_price_fen_per_t
    valid = rank(b for b in open_bids if b.price_fen_per_t >= reserve)
    invalid = sorted((b for b in open_bids if b.price_fen_per_t < reserve), key=_by_seq)
    fills = _fills(terms.quantity_g, valid)
    winners = [b for b, f in zip(valid, fills, strict=True) if f]
    clearing = winners[-1].price_fen_per_t if winners else None
    allocations = [
        _allocate(terms, b, f, _paid_price(terms.pricing, b, f, clearing))
        for b, f in zip(valid, fills, strict=True)
    ] + [_allocate(terms, b, 0, None) for b in invalid]
    result = _result(terms, open_bids, allocations, clearing)
    return result, tuple(allocations)


def _by_seq(b: Bid) -> int:
    return b.priority_seq


def _fills(offered_g: int, ranked: list[Bid]) -> list[int]:
    left_g = offered_g
    fills = []
    for b in ranked:
        filled = min(b.quantity_g, left_g)
        fills.append(filled)
        left_g -= filled
    return fills


def _paid_price(pricing: Pricing, bid: Bid, filled_g: int, clearing: int | None) -> int | None:
    if not filled_g:
        return None
    return clearing if pricing == Pricing.UNIFORM else bid.price_fen_per_t


def _allocate(terms: AuctionTerms, bid: Bid, filled_g: int, price: int | None) -> Allocation:
    frozen = terms.frozen_fen(bid.price_fen_per_t, bid.quantity_g)
    paid = terms.cash_fen(price, filled_g) if price is not None else 0
    fee = terms.fee_fen(paid)
    released = frozen - paid - fee
    if released < 0 or (price is not None and price > bid.price_fen_per_t):
        raise IntegrityError(f"bid {bid.bid_id}: pays more than it froze", code="auction_clearing")
    if bid.price_fen_per_t < terms.reserve_price_fen_per_t:
        outcome = BidOutcome.BELOW_RESERVE
    elif not filled_g:
        outcome = BidOutcome.LOST
    else:
        outcome = BidOutcome.WON if filled_g == bid.quantity_g else BidOutcome.PARTIAL
    return Allocation(
        bid.bid_id,
        bid.bidder,
        bid.price_fen_per_t,
        bid.quantity_g,
        outcome,
        filled_g,
        price,
        frozen,
        paid,
        fee,
        released,
    )


def _result(
    terms: AuctionTerms, bids: list[Bid], allocations: list[Allocation], clearing: int | None
) -> AuctionResult:
    sold_g = sum(a.filled_g for a in allocations)
    revenue_fen = sum(a.paid_fen for a in allocations)
    bid_quantity_g = sum(b.quantity_g for b in bids)
    winners = [a for a in allocations if a.filled_g]
    return AuctionResult(
        auction_id=terms.auction_id,
        pricing=terms.pricing,
        offered_g=terms.quantity_g,
        sold_g=sold_g,
        unsold_g=terms.quantity_g - sold_g,
        clearing_price_fen_per_t=clearing,
        average_price_fen_per_t=revenue_fen * G_PER_T // sold_g if sold_g else None,
        revenue_fen=revenue_fen,
        reserve_price_fen_per_t=terms.reserve_price_fen_per_t if terms.reserve_published else None,
        bid_count=len(bids),
        bidder_count=len({b.bidder for b in bids}),
        bid_quantity_g=bid_quantity_g,
        cover_ratio_bps=bid_quantity_g * BPS // terms.quantity_g,
        winning_bid_count=len(winners),
        winning_bidder_count=len({a.bidder for a in winners}),
    )
