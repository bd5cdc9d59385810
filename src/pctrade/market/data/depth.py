"""The depth snapshot (五档行情): the best five price levels of each side of a book.

The engine answers ``OrderBook.depth(levels)`` with a ``Depth``: bids best (highest)
first, asks best (lowest) first, each level's open quantity and order count. This
module turns it into what the market shows, numbered 买一…买五 and 卖一…卖五 (level 1
is the best), with the spread, and as plain JSON-ready values for the API and the
stream. Five levels, because that is what a taker may choose from on the national
market (``pctrade.market.engine.book``, "Choosing levels"); owners are never shown.

The snapshot is checked as it is made: each side strictly ordered, no level empty, and
the book not crossed; a depth that fails is the engine's fault, reported as an
integrity error rather than shown.
"""

from __future__ import annotations

from typing import NamedTuple

from pctrade.kernel.errors import IntegrityError, ValidationError
from pctrade.kernel.units import format_carbon, format_money
from pctrade.market.engine import TAKER_LEVELS_MAX_NATIONAL, Depth, LevelView

DEPTH_LEVELS = TAKER_LEVELS_MAX_NATIONAL
DEPTH_LEVELS_MAX = 50  # a bound on what a caller may ask for


class DepthLevel(NamedTuple):
    level: int  # 1 is the best price of its side
    price_fen_per_t: int
    quantity_g: int
    orders: int


class DepthSnapshot(NamedTuple):
    contract: str
    seq: int  # the last command the book had applied: the snapshot's place in the stream
    bids: tuple[DepthLevel, ...]  # best (highest) first
    asks: tuple[DepthLevel, ...]  # best (lowest) first
    spread_fen_per_t: int | None  # best ask − best bid; None when a side is empty


def depth_snapshot(
    contract: str, seq: int, depth: Depth, levels: int = DEPTH_LEVELS
) -> DepthSnapshot:
    """The best ``levels`` of each side of the engine's ``depth``, numbered and checked."""
    if not 1 <= levels <= DEPTH_LEVELS_MAX:
        raise ValidationError(f"levels must be in 1..{DEPTH_LEVELS_MAX}", code="bad_limit")
    bids = _numbered(depth.bids[:levels], descending=True)
    asks = _numbered(depth.asks[:levels], descending=False)
    spread = None
    if bids and asks:
        spread = asks[0].price_fen_per_t - bids[0].price_fen_per_t
        if spread <= 0:
            raise IntegrityError(f"{contract}: the book is crossed at seq {seq}")
    return DepthSnapshot(contract, seq, bids, asks, spread)


def _numbered(side: tuple[LevelView, ...], *, descending: bool) -> tuple[DepthLevel, ...]:
    prices = [lv.price_fen_per_t for lv in side]
    ordered = sorted(set(prices), reverse=descending)
    if prices != ordered or any(lv.quantity_g <= 0 or lv.orders <= 0 for lv in side):
        raise IntegrityError("a depth side is out of order or holds an empty level")
    return tuple(
        DepthLevel(i, lv.price_fen_per_t, lv.quantity_g, lv.orders)
        for i, lv in enumerate(side, start=1)
    )


def depth_public(snapshot: DepthSnapshot) -> dict[str, object]:
    """The snapshot as JSON-ready values: integers, with display strings beside them."""

    def side(levels: tuple[DepthLevel, ...]) -> list[dict[str, object]]:
        return [
            {
                "level": lv.level,
                "price_fen_per_t": lv.price_fen_per_t,
                "price": f"{format_money(lv.price_fen_per_t)}/t",
                "quantity_g": lv.quantity_g,
                "quantity": format_carbon(lv.quantity_g),
                "orders": lv.orders,
            }
            for lv in levels
        ]

    return {
        "contract": snapshot.contract,
        "seq": snapshot.seq,
        "bids": side(snapshot.bids),
        "asks": side(snapshot.asks),
        "spread_fen_per_t": snapshot.spread_fen_per_t,
    }
