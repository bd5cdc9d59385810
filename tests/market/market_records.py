"""Builders of the plain records market data and surveillance read, for the tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count

from pctrade.market.data import TradeMode, TradeRecord
from pctrade.market.engine import Side
from pctrade.market.surveillance import OrderAction, OrderRecord

T = 1_000_000  # grams in a tonne
DAY = date(2026, 3, 2)
OPEN = datetime(2026, 3, 2, 9, 30)
CONTRACT = "CEA-CN-2025"


class Tape:
    """Numbers trades and order actions as a market would: ids and seqs rise."""

    def __init__(self) -> None:
        self._seq = count(1)
        self._trade_id = count(1)
        self._order_id = count(1)

    def trade(
        self,
        buyer: str,
        seller: str,
        price: int,
        tonnes: int,
        *,
        at_s: float = 0,
        day: date = DAY,
        mode: TradeMode = TradeMode.LISTING,
        contract: str = CONTRACT,
    ) -> TradeRecord:
        at = datetime.combine(day, OPEN.time()) + timedelta(seconds=at_s)
        return TradeRecord(
            next(self._trade_id),
            contract,
            next(self._seq),
            day,
            at,
            buyer,
            seller,
            f"{buyer}-acct",
            f"{seller}-acct",
            price,
            tonnes * T,
            mode,
        )

    def place(
        self,
        party: str,
        side: Side,
        price: int,
        tonnes: int,
        touch: int | None,
        *,
        at_s: float = 0,
        contract: str = CONTRACT,
    ) -> OrderRecord:
        return OrderRecord(
            next(self._order_id),
            contract,
            next(self._seq),
            OPEN + timedelta(seconds=at_s),
            party,
            f"{party}-acct",
            side,
            OrderAction.PLACE,
            price,
            tonnes * T,
            touch,
        )

    def cancel(self, placed: OrderRecord, *, at_s: float) -> OrderRecord:
        return placed._replace(
            seq=next(self._seq),
            at=OPEN + timedelta(seconds=at_s),
            action=OrderAction.CANCEL,
            touch_fen_per_t=None,
        )
