"""An auction's announcement (竞价公告): what is sold, by whom, when, and how bids are read.

The seller — the regulator's auction account for paid allocation, or a large seller
such as a platform pool — announces the quantity, the reserve price, the bid window
(Unix seconds, open inclusive, close exclusive), the smallest and largest bid, the lot
and tick, the pricing rule, whether bids may be revised or withdrawn before the close,
whether the reserve is published, and optionally how much one bidder may bid for in
all. The defaults come from the rule set's ``[auctions]`` section; the market's
service fills the rest from the announcement.

Cash is exact: ``cash_fen = price_fen_per_t × quantity_g / 1,000,000`` is whole fen for
every price on the tick and quantity on the lot because the terms require
``tick × lot`` to be a multiple of 1,000,000 (1 fen/t × 1 t). A buyer's fee, when the
terms charge one, is ``ceil(cash_fen × fee_bps / 10,000)``. A bid freezes
``frozen_fen(price, quantity)`` = its cash plus that fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import BPS, G_PER_T


class Pricing(StrEnum):
    """What winners pay (the same values as the rule set's ``[auctions] pricing``)."""

    UNIFORM = "uniform"  # every winner pays the clearing price: the lowest accepted bid's
    PAY_AS_BID = "pay_as_bid"  # every winner pays its own bid price


@dataclass(frozen=True, slots=True)
class AuctionTerms:
    auction_id: str
    seller: str
    quantity_g: int  # offered; the seller's credits are frozen for it at announcement
    reserve_price_fen_per_t: int  # the lowest valid bid price (GD: 政策保留价)
    opens_at_s: int
    closes_at_s: int  # bids are taken while opens_at_s <= at_s < closes_at_s
    bid_quantity_min_g: int
    bid_quantity_max_g: int  # one bid's quantity, inclusive
    quantity_step_g: int  # the lot
    price_step_fen_per_t: int  # the tick
    pricing: Pricing = Pricing.UNIFORM
    bid_revision_allowed: bool = False
    reserve_published: bool = True
    bidder_quantity_max_g: int | None = None  # one bidder's open bids together
    fee_bps: int = 0  # the buyer's fee on the cash it pays

    def __post_init__(self) -> None:
        lot, tick = self.quantity_step_g, self.price_step_fen_per_t
        _require(bool(self.auction_id) and bool(self.seller), "auction_id and seller are needed")
        _require(lot > 0 and tick > 0, "the lot and tick must be positive")
        _require(lot * tick % G_PER_T == 0, "lot × tick must be a multiple of 1,000,000")
        _require(self.quantity_g > 0 and self.quantity_g % lot == 0, "quantity_g: lots")
        _require(
            self.reserve_price_fen_per_t > 0 and self.reserve_price_fen_per_t % tick == 0,
            "reserve_price_fen_per_t must be positive and on the tick",
        )
        _require(self.opens_at_s < self.closes_at_s, "the window must open before it closes")
        _require(
            0 < self.bid_quantity_min_g <= self.bid_quantity_max_g
            and self.bid_quantity_min_g % lot == 0
            and self.bid_quantity_max_g % lot == 0,
            "bid_quantity_min_g <= bid_quantity_max_g, both whole lots",
        )
        cap = self.bidder_quantity_max_g
        _require(
            cap is None or (cap >= self.bid_quantity_min_g and cap % lot == 0),
            "bidder_quantity_max_g must be whole lots and allow one smallest bid",
        )
        _require(0 <= self.fee_bps < BPS, "fee_bps must be in [0, 10000)")

    def cash_fen(self, price_fen_per_t: int, quantity_g: int) -> int:
        return price_fen_per_t * quantity_g // G_PER_T

    def fee_fen(self, cash_fen: int) -> int:
        return -(-cash_fen * self.fee_bps // BPS)

    def frozen_fen(self, price_fen_per_t: int, quantity_g: int) -> int:
        """What a bid freezes: its cash at its own price, and the fee on that."""
        cash_fen = self.cash_fen(price_fen_per_t, quantity_g)
        return cash_fen + self.fee_fen(cash_fen)


def bidder_share_cap_g(quantity_g: int, share_bps: int, quantity_step_g: int) -> int:
    """A share of the offer as a bidder's cap, rounded down to the lot (GD: 50 %)."""
    return quantity_g * share_bps // BPS // quantity_step_g * quantity_step_g


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValidationError(message, code="bad_auction_terms")
