"""The numbers an order is checked against: tick, lot, maximum size, price band.

They come from the ``[trading]`` section of the rule set in force (the field names are
the rule set's) and from the contract's reference price, the previous close (DESIGN
§11: "±10 % of previous close"); the market's service builds one ``TradingParams`` per
contract and trading day and hands it to the book. The engine reads nothing else.

The band is inclusive and snapped inward to the tick, so every price inside it is a
price an order may carry: with a reference of 5,005 fen/t, ±10 % and a 10 fen tick the
exact limits 4,504.5 and 5,505.5 become 4,510 and 5,500. A ``reference_price_fen_per_t``
of ``None`` means no band (a contract's first day, before any close).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import BPS

# The national market lets a taker choose among the best five opposite price levels
# (see ``pctrade.market.engine.book``, "Choosing levels").
TAKER_LEVELS_MAX_NATIONAL = 5


@dataclass(frozen=True, slots=True)
class TradingParams:
    price_step_fen_per_t: int  # the tick
    quantity_step_g: int  # the lot: every quantity is a multiple of it
    order_quantity_max_g: int  # an order's quantity is at most this (inclusive)
    price_limit_bps: int  # the band: ± this share of the reference price
    reference_price_fen_per_t: int | None  # the previous close; None: no band
    taker_levels_max: int = TAKER_LEVELS_MAX_NATIONAL  # how many levels a taker may choose

    def __post_init__(self) -> None:
        for name in ("price_step_fen_per_t", "quantity_step_g", "taker_levels_max"):
            _require(getattr(self, name) > 0, f"{name} must be positive")
        _require(
            self.order_quantity_max_g >= self.quantity_step_g,
            "order_quantity_max_g must be at least one lot",
        )
        _require(0 <= self.price_limit_bps < BPS, "price_limit_bps must be in [0, 10000)")
        ref = self.reference_price_fen_per_t
        if ref is not None:
            _require(ref > 0, "reference_price_fen_per_t must be positive")
            low, high = self.band()
            _require(low <= high, "the band holds no price on the tick")

    def band(self) -> tuple[int, int]:
        """The lowest and highest price an order may carry, inclusive, on the tick.

        Without a reference price the band is every positive price on the tick.
        """
        tick = self.price_step_fen_per_t
        ref = self.reference_price_fen_per_t
        if ref is None:
            return tick, _NO_CEILING
        # Exact integer bounds: ceil(ref × (1 − r)) and floor(ref × (1 + r)), then inward.
        low = -(-ref * (BPS - self.price_limit_bps) // BPS)
        high = ref * (BPS + self.price_limit_bps) // BPS
        low = -(-low // tick) * tick
        high = high // tick * tick
        return max(low, tick), high


# Above any price a 64-bit column holds: "no ceiling" without a special case in the book.
_NO_CEILING = 2**63


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValidationError(message, code="bad_trading_params")
