"""One-way bidding (单向竞价): a seller's offer, sealed bids, clearing (issue 13, item 4).

    auction = Auction(AuctionTerms(auction_id="GD-2026-1", seller="gd-auction",
                                   quantity_g=500_000_000_000, reserve_price_fen_per_t=1_609,
                                   opens_at_s=t0, closes_at_s=t1,
                                   bid_quantity_min_g=1_000_000_000,
                                   bid_quantity_max_g=250_000_000_000,
                                   quantity_step_g=1_000_000, price_step_fen_per_t=1))
    auction.apply(SubmitBid(seq=1, bid_id=1, bidder="emitter-7", price_fen_per_t=1_700,
                            quantity_g=2_000_000_000, at_s=t0 + 5))  # → [BidAccepted(...)]
    auction.apply(Clear(seq=9, at_s=t1))  # → [Cleared(result, allocations)]

Pure domain code: no clock (times are on the commands), no rule set (the numbers come
as ``AuctionTerms``), no I/O. The clearing rule and its sources are in ``clearing``;
the order of refusal checks in ``auction``; the messages in ``messages``. This package
imports the standard library and the kernel only: an import contract.
"""

from __future__ import annotations

from pctrade.market.auction.auction import Auction
from pctrade.market.auction.clearing import clear, rank
from pctrade.market.auction.codes import AuctionRefusal, refusal_error
from pctrade.market.auction.messages import (
    Allocation,
    AuctionCommand,
    AuctionEvent,
    AuctionResult,
    Bid,
    BidAccepted,
    BidOutcome,
    BidRevised,
    BidWithdrawn,
    Clear,
    Cleared,
    Rejected,
    ReviseBid,
    SubmitBid,
    WithdrawBid,
)
from pctrade.market.auction.terms import AuctionTerms, Pricing, bidder_share_cap_g

__all__ = [
    "Allocation",
    "Auction",
    "AuctionCommand",
    "AuctionEvent",
    "AuctionRefusal",
    "AuctionResult",
    "AuctionTerms",
    "Bid",
    "BidAccepted",
    "BidOutcome",
    "BidRevised",
    "BidWithdrawn",
    "Clear",
    "Cleared",
    "Pricing",
    "Rejected",
    "ReviseBid",
    "SubmitBid",
    "WithdrawBid",
    "bidder_share_cap_g",
    "clear",
    "rank",
    "refusal_error",
]
