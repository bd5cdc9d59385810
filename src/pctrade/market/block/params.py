"""The numbers a block trade is checked against, for one contract and trading day.

The market's service builds one ``BlockParams`` from the rule set in force — the
``[trading]`` section's tick, lot, ``block_quantity_min_g`` and ``block_price_limit_bps``,
and the ``[block_trades]`` section's sessions and ``proposal_expiry_max_s`` — and the
contract's reference price (the previous close). The desk reads nothing else.

The band is the engine's (``TradingParams.band``): inclusive, snapped inward to the
tick, with ±``block_price_limit_bps`` (national: ±30 %) instead of the listing band.

Time: commands carry Unix seconds (``at_s``); sessions are local times of day (seconds
after midnight), and ``utc_offset_s`` says how local time is got from Unix time. Every
jurisdiction shipped is in China Standard Time, UTC+8 without daylight saving, so the
default is 8 h. Whether the day is a trading day is the service's calendar's to say.

Cash: ``price_fen_per_t × quantity_g / 1,000,000`` is whole fen for every price on the
tick and quantity on the lot only if ``tick × lot`` is a multiple of 1,000,000; the
params refuse any other pair, so the desk never rounds a price. The buyer's fee is
``ceil(cash × fee_bps / 10,000)``: the buyer's hold covers the cash and that fee.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import BPS, G_PER_T
from pctrade.market.engine import TradingParams

CHINA_UTC_OFFSET_S = 8 * 3_600
SECONDS_PER_DAY = 86_400
SESSIONS_MAX = 8


@dataclass(frozen=True, slots=True)
class BlockParams:
    price_step_fen_per_t: int  # the tick
    quantity_step_g: int  # the lot
    block_quantity_min_g: int  # a block trade is at least this (inclusive)
    block_price_limit_bps: int  # the wide band: ± this share of the reference price
    reference_price_fen_per_t: int | None  # the previous close; None: no band
    sessions: tuple[tuple[int, int], ...]  # (open_s, close_s) local, close exclusive
    proposal_expiry_max_s: int  # a proposal stands at most this long
    fee_bps: int = 0  # the buyer's fee the cash hold must cover (the rule set's cap)
    utc_offset_s: int = CHINA_UTC_OFFSET_S

    def __post_init__(self) -> None:
        _require(self.block_quantity_min_g > 0, "block_quantity_min_g must be positive")
        _require(self.proposal_expiry_max_s > 0, "proposal_expiry_max_s must be positive")
        _require(0 <= self.fee_bps < BPS, "fee_bps must be in [0, 10000)")
        _require(abs(self.utc_offset_s) < SECONDS_PER_DAY, "utc_offset_s must be under a day")
        _require(
            self.price_step_fen_per_t * self.quantity_step_g % G_PER_T == 0,
            "price_step_fen_per_t × quantity_step_g must be a multiple of 1,000,000 "
            "so that every trade's cash is whole fen",
        )
        _require(1 <= len(self.sessions) <= SESSIONS_MAX, "there must be 1 to 8 sessions")
        previous_close_s = 0
        for open_s, close_s in self.sessions:
            _require(
                previous_close_s <= open_s < close_s <= SECONDS_PER_DAY,
                "sessions must be in time order, not overlapping, within a day",
            )
            previous_close_s = close_s
        self.band()  # the engine's checks of tick, lot and band

    def band(self) -> tuple[int, int]:
        """The lowest and highest price a block trade may carry, inclusive, on the tick."""
        return TradingParams(
            price_step_fen_per_t=self.price_step_fen_per_t,
            quantity_step_g=self.quantity_step_g,
            order_quantity_max_g=INT64_MAX,  # a block trade has a floor, not a ceiling
            price_limit_bps=self.block_price_limit_bps,
            reference_price_fen_per_t=self.reference_price_fen_per_t,
        ).band()

    def session_close_s(self, at_s: int) -> int | None:
        """The Unix second the session open at ``at_s`` closes, or None when none is open."""
        local_s = (at_s + self.utc_offset_s) % SECONDS_PER_DAY
        for open_s, close_s in self.sessions:
            if open_s <= local_s < close_s:
                return at_s - local_s + close_s
        return None

    def cash_fen(self, price_fen_per_t: int, quantity_g: int) -> int:
        """The cash of a trade: exact, since the tick and lot make it whole fen."""
        return price_fen_per_t * quantity_g // G_PER_T

    def fee_fen(self, cash_fen: int) -> int:
        """The buyer's fee on a trade's cash, rounded up to the fen."""
        return -(-cash_fen * self.fee_bps // BPS)


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValidationError(message, code="bad_block_params")
