"""The market as a context of the ledger: its op type, its audits and its tables."""

from __future__ import annotations

from pctrade.ledger.extensions import Context, OperationType
from pctrade.market.audit import audit_reservations, audit_trades
from pctrade.market.model import MarketOp, check_settlement
from pctrade.market.sql import store

MARKET = Context(
    "market",
    operations=(OperationType(MarketOp.TRADE_SETTLE, check=check_settlement),),
    audits=(audit_trades, audit_reservations),
    metadata=(store.metadata,),
)
