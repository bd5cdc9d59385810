"""What market data and surveillance read: a trade, as the market records it.

A ``TradeRecord`` is one fill, whatever the trading mode, with both sides named (party
and account) so surveillance can see who traded with whom; the public views made from
it (``tape``, ``daily``) name no one. The market's service builds these from its trade
table; nothing here reads a database.

Within a contract, trades are ordered by ``seq`` (the contract's durable sequence, the
same numbers the matching engine sees) and then ``trade_id``; ``day`` is the trading
day the trade belongs to, as the market's calendar says, and ``at`` its time (in the
market's own time zone; the functions here only compare times of one market).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class TradeMode(StrEnum):
    LISTING = "listing"  # 挂牌协议交易: the continuous order book
    BLOCK = "block"  # 大宗协议交易: bilateral, above the size threshold
    AUCTION = "auction"  # 单向竞价: one seller, sealed bids


class TradeRecord(NamedTuple):
    trade_id: int
    contract: str
    seq: int
    day: date
    at: datetime
    buyer_party: str
    seller_party: str
    buyer_account: str
    seller_account: str
    price_fen_per_t: int
    quantity_g: int
    mode: TradeMode


def in_sequence(trade: TradeRecord) -> tuple[str, int, int]:
    """The sort key of the contract's order: contract, seq, trade id."""
    return trade.contract, trade.seq, trade.trade_id
