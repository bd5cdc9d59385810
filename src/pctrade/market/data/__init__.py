"""Market data (行情): daily bars and the close, the depth snapshot, the trade tape.

Pure functions over plain records, with exact integer arithmetic: the market's service
hands them the trades it recorded (``TradeRecord``) and the engine's ``Depth``, and
publishes what comes back. The close of a day (``daily.closing_price``, the national
market's rule) is the next day's reference price. Nothing here reads a database, a
clock or a global rule set (an import contract, ``market-data-surveillance-pure``).
"""

from __future__ import annotations

from pctrade.market.data.daily import (
    DailyBar,
    DayPrices,
    closing_price,
    daily_bar,
    daily_series,
    day_prices,
    div_half_up,
    turnover_fen,
)
from pctrade.market.data.depth import (
    DEPTH_LEVELS,
    DepthLevel,
    DepthSnapshot,
    depth_public,
    depth_snapshot,
)
from pctrade.market.data.records import TradeMode, TradeRecord, in_sequence
from pctrade.market.data.tape import TAPE_PAGE_MAX, TapeEntry, trade_tape

__all__ = [
    "DEPTH_LEVELS",
    "TAPE_PAGE_MAX",
    "DailyBar",
    "DayPrices",
    "DepthLevel",
    "DepthSnapshot",
    "TapeEntry",
    "TradeMode",
    "TradeRecord",
    "closing_price",
    "daily_bar",
    "daily_series",
    "day_prices",
    "depth_public",
    "depth_snapshot",
    "div_half_up",
    "in_sequence",
    "trade_tape",
    "turnover_fen",
]
