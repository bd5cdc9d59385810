"""What goes into an auction (commands) and what comes out (events and results).

Every command carries ``seq``, its place in the auction's durable sequence (time
priority among equal prices is this sequence, never a clock), and ``at_s``, the Unix
second the service recorded it at (which the window is checked against). One command
yields one event:

    SubmitBid ─▶ BidAccepted (freeze ``frozen_fen``), or Rejected
    ReviseBid ─▶ BidRevised (the hold goes from ``frozen_before_fen`` to ``frozen_fen``)
    WithdrawBid ─▶ BidWithdrawn (release ``released_fen``), or Rejected
    Clear     ─▶ Cleared: the public ``AuctionResult`` and one ``Allocation`` per bid

An ``Allocation`` is what the service does for one bid, exactly:
``frozen_fen = paid_fen + fee_fen + released_fen``; ``filled_g`` goes from the seller to
the bidder against ``paid_fen`` (to the seller) and ``fee_fen`` (to the fee account).
What is unsold (``AuctionResult.unsold_g``) is released back to the seller.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from pctrade.market.auction.codes import AuctionRefusal
from pctrade.market.auction.terms import Pricing


class BidOutcome(StrEnum):
    WON = "won"  # filled in full
    PARTIAL = "partial"  # the marginal bid: filled in part
    LOST = "lost"  # valid, but the offer ran out before it
    BELOW_RESERVE = "below_reserve"  # priced under an unpublished reserve: never valid


# ---- commands ----------------------------------------------------------------------


class SubmitBid(NamedTuple):
    seq: int
    bid_id: int  # the service's number for it; never reused in the auction
    bidder: str
    price_fen_per_t: int
    quantity_g: int
    at_s: int


class ReviseBid(NamedTuple):
    """New price and quantity. A lower quantity at the same price keeps time priority."""

    seq: int
    bid_id: int
    bidder: str
    price_fen_per_t: int
    quantity_g: int
    at_s: int


class WithdrawBid(NamedTuple):
    seq: int
    bid_id: int
    bidder: str
    at_s: int


class Clear(NamedTuple):
    seq: int
    at_s: int


AuctionCommand = SubmitBid | ReviseBid | WithdrawBid | Clear


# ---- events ------------------------------------------------------------------------


class BidAccepted(NamedTuple):
    seq: int
    bid_id: int
    bidder: str
    price_fen_per_t: int
    quantity_g: int
    frozen_fen: int  # to freeze now: cash at the bid price, and the fee on it


class BidRevised(NamedTuple):
    seq: int
    bid_id: int
    bidder: str
    price_fen_per_t: int
    quantity_g: int
    frozen_before_fen: int
    frozen_fen: int  # the hold's new amount
    priority_kept: bool


class BidWithdrawn(NamedTuple):
    seq: int
    bid_id: int
    bidder: str
    released_fen: int


class Rejected(NamedTuple):
    seq: int
    bid_id: int | None  # None for Clear
    code: AuctionRefusal


class Allocation(NamedTuple):
    """One bid's outcome: what it got, what it pays, and what of its hold is released."""

    bid_id: int
    bidder: str
    price_fen_per_t: int  # bid
    quantity_g: int  # bid
    outcome: BidOutcome
    filled_g: int
    price_paid_fen_per_t: int | None  # None when nothing was filled
    frozen_fen: int
    paid_fen: int  # to the seller
    fee_fen: int  # to the fee account
    released_fen: int  # back to the bidder: frozen − paid − fee


class AuctionResult(NamedTuple):
    """What is published: no bidder is named."""

    auction_id: str
    pricing: Pricing
    offered_g: int
    sold_g: int
    unsold_g: int  # returns to the seller
    clearing_price_fen_per_t: int | None  # the lowest accepted bid's price; None: none sold
    average_price_fen_per_t: int | None  # revenue / sold, rounded down (pay-as-bid differs)
    revenue_fen: int  # what the seller receives
    reserve_price_fen_per_t: int | None  # only when the terms publish it
    bid_count: int  # bids open at the close
    bidder_count: int
    bid_quantity_g: int  # their quantity together
    cover_ratio_bps: int  # bid_quantity_g / offered_g, in basis points, rounded down
    winning_bid_count: int
    winning_bidder_count: int


class Cleared(NamedTuple):
    seq: int
    result: AuctionResult
    allocations: tuple[Allocation, ...]  # in rank order, below-reserve bids last


AuctionEvent = BidAccepted | BidRevised | BidWithdrawn | Rejected | Cleared


# ---- state -------------------------------------------------------------------------


class Bid(NamedTuple):
    """A bid as the auction (and the registry) keeps it."""

    bid_id: int
    bidder: str
    price_fen_per_t: int
    quantity_g: int
    priority_seq: int  # its submission's seq, or the seq of the revision that moved it
    withdrawn: bool = False
