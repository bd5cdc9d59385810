"""Why an auction command was refused: stable codes, checked in a fixed order.

A refused command changes nothing but the last sequence number seen, and yields one
``Rejected`` event with an ``AuctionRefusal``; the order of the checks is in
``auction``'s docstring. ``refusal_error`` turns a code into the kernel's error of the
right kind, for the market's service to raise.
"""

from __future__ import annotations

from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, NotFound, PctradeError, ValidationError


class AuctionRefusal(StrEnum):
    SEQUENCE_NOT_INCREASING = "sequence_not_increasing"  # the sequencer's fault
    # The window
    AUCTION_NOT_OPEN = "auction_not_open"  # before the window opens
    AUCTION_CLOSED = "auction_closed"  # at or after the window's close, or once cleared
    # Which bid
    DUPLICATE_BID_ID = "duplicate_bid_id"
    BID_NOT_FOUND = "bid_not_found"
    NOT_BID_OWNER = "not_bid_owner"
    BID_WITHDRAWN = "bid_withdrawn"
    REVISION_NOT_ALLOWED = "revision_not_allowed"  # the terms make bids irrevocable
    # The bid's numbers
    QUANTITY_NOT_POSITIVE = "quantity_not_positive"
    QUANTITY_OFF_LOT = "quantity_off_lot"
    BID_BELOW_MIN = "bid_below_min"
    BID_ABOVE_MAX = "bid_above_max"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRICE_OFF_TICK = "price_off_tick"
    BID_BELOW_RESERVE = "bid_below_reserve"  # only when the reserve is published
    BIDDER_LIMIT_EXCEEDED = "bidder_limit_exceeded"  # one bidder's open bids together
    # Clearing
    AUCTION_NOT_CLOSED = "auction_not_closed"  # clearing before the window's close
    AUCTION_ALREADY_CLEARED = "auction_already_cleared"


_KIND: dict[AuctionRefusal, type[PctradeError]] = {
    AuctionRefusal.SEQUENCE_NOT_INCREASING: Conflict,
    AuctionRefusal.AUCTION_NOT_OPEN: Conflict,
    AuctionRefusal.AUCTION_CLOSED: Conflict,
    AuctionRefusal.DUPLICATE_BID_ID: Conflict,
    AuctionRefusal.BID_NOT_FOUND: NotFound,
    AuctionRefusal.NOT_BID_OWNER: Forbidden,
    AuctionRefusal.BID_WITHDRAWN: Conflict,
    AuctionRefusal.REVISION_NOT_ALLOWED: Conflict,
    AuctionRefusal.QUANTITY_NOT_POSITIVE: ValidationError,
    AuctionRefusal.QUANTITY_OFF_LOT: ValidationError,
    AuctionRefusal.BID_BELOW_MIN: ValidationError,
    AuctionRefusal.BID_ABOVE_MAX: ValidationError,
    AuctionRefusal.PRICE_NOT_POSITIVE: ValidationError,
    AuctionRefusal.PRICE_OFF_TICK: ValidationError,
    AuctionRefusal.BID_BELOW_RESERVE: ValidationError,
    AuctionRefusal.BIDDER_LIMIT_EXCEEDED: Conflict,
    AuctionRefusal.AUCTION_NOT_CLOSED: Conflict,
    AuctionRefusal.AUCTION_ALREADY_CLEARED: Conflict,
}


def refusal_error(code: AuctionRefusal, message: str) -> PctradeError:
    """The kernel error for a refusal: its class says the kind, its code is the refusal."""
    return _KIND[code](message, code=code.value)
