"""The matching engine: pure domain code, commands in, events out (issue 13, item 7).

    book = OrderBook(TradingParams(price_step_fen_per_t=1, quantity_step_g=1_000_000,
                                   order_quantity_max_g=99_999_000_000,
                                   price_limit_bps=1_000, reference_price_fen_per_t=6_000))
    book.apply(Place(seq=1, order_id=1, client_order_id="a", owner="emitter-7",
                     side=Side.BUY, price_fen_per_t=6_010, quantity_g=5_000_000))
    # → [Accepted(...)], later Fill(...)s, Cancelled(...), Expired(...) at the Close

One ``OrderBook`` per contract, one writer per book: the market's sequencer numbers
every command (``seq``) as it records it durably and applies them in that order. The
book holds no clock, reads no rule set and does no I/O; the tick, lot, size limit and
band arrive as ``TradingParams``. What it knows is ``snapshot()``; ``rebuild()`` makes
the same book from the registry's open orders. The rules of matching (price-time
priority, taking chosen levels among the best five, amend, self-trade prevention, day
orders) and the order of refusal checks are in ``book``'s docstring; the messages and
their order in ``messages``; the codes in ``codes``.

The book's hot modules run compiled when the install built them (mypyc), else as the
Python they are written in: ``implementation`` chooses, first, and ``IMPLEMENTATION``
says which runs.

This package imports the standard library and the kernel only (an import contract).
"""

from __future__ import annotations

# First: it decides whether ``book`` and ``sides`` come from the compiled core or from
# their source, before anything below imports them.
from pctrade.market.engine.implementation import CHOSEN as IMPLEMENTATION

# isort: split
from pctrade.market.engine.book import OrderBook
from pctrade.market.engine.codes import CancelReason, Refusal, refusal_error
from pctrade.market.engine.messages import (
    Accepted,
    Amend,
    Amended,
    BookState,
    Cancel,
    Cancelled,
    Close,
    ClosedOrder,
    Command,
    Depth,
    Event,
    Expired,
    Fill,
    LevelView,
    OrderState,
    OrderView,
    Place,
    Rejected,
    RestingOrder,
    Side,
    TimeInForce,
)
from pctrade.market.engine.params import TAKER_LEVELS_MAX_NATIONAL, TradingParams

__all__ = [
    "IMPLEMENTATION",
    "TAKER_LEVELS_MAX_NATIONAL",
    "Accepted",
    "Amend",
    "Amended",
    "BookState",
    "Cancel",
    "CancelReason",
    "Cancelled",
    "Close",
    "ClosedOrder",
    "Command",
    "Depth",
    "Event",
    "Expired",
    "Fill",
    "LevelView",
    "OrderBook",
    "OrderState",
    "OrderView",
    "Place",
    "Refusal",
    "Rejected",
    "RestingOrder",
    "Side",
    "TimeInForce",
    "TradingParams",
    "refusal_error",
]
