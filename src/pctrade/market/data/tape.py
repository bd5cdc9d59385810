"""The trade tape (成交明细): a contract's trades in order, as the public sees them.

Each entry is a trade's contract, sequence, time, price, quantity and mode, and its
price change from the contract's previous trade on the tape; it names no party and no
account (DESIGN §10: public views carry no personal data). Pages follow the contract's
sequence: ``after_seq`` is the last seq a reader has, and a page holds at most
``limit`` entries (``TAPE_PAGE_MAX`` at most).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from pctrade.kernel.errors import ValidationError
from pctrade.market.data.records import TradeMode, TradeRecord, in_sequence

TAPE_PAGE_MAX = 1_000


class TapeEntry(NamedTuple):
    trade_id: int
    contract: str
    seq: int
    at: datetime
    price_fen_per_t: int
    quantity_g: int
    mode: TradeMode
    change_fen_per_t: int | None  # from the previous trade of the contract; None: first


def trade_tape(
    trades: Iterable[TradeRecord], contract: str, *, after_seq: int = 0, limit: int = 100
) -> tuple[TapeEntry, ...]:
    """The contract's trades after ``after_seq``, in sequence, at most ``limit``.

    ``trades`` should hold the contract's earlier trades too when a change is wanted
    for the first entry of a page: the change is from the previous trade given.
    """
    if not 1 <= limit <= TAPE_PAGE_MAX:
        raise ValidationError(f"limit must be in 1..{TAPE_PAGE_MAX}", code="bad_limit")
    ordered = sorted((t for t in trades if t.contract == contract), key=in_sequence)
    page: list[TapeEntry] = []
    previous: int | None = None
    for t in ordered:
        if t.seq > after_seq:
            change = None if previous is None else t.price_fen_per_t - previous
            page.append(
                TapeEntry(
                    t.trade_id,
                    t.contract,
                    t.seq,
                    t.at,
                    t.price_fen_per_t,
                    t.quantity_g,
                    t.mode,
                    change,
                )
            )
            if len(page) == limit:
                break
        previous = t.price_fen_per_t
    return tuple(page)
