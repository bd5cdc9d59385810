"""The market as a context of the ledger: its op type, its audits and its tables."""

from __future__ import annotations

from pctrade.ledger.extensions import Context, OperationType
from pctrade.market.audit import audit_reservations, audit_trades
from pctrade.market.model import MarketOp, check_settlement
from pctrade.market.sql import store, venues
from pctrade.market.venue_audit import audit_venues
from pctrade.market.venue_model import check_auction_settlement

MARKET = Context(
    "market",
    operations=(
        OperationType(MarketOp.TRADE_SETTLE, check=check_settlement),
        OperationType(MarketOp.AUCTION_SETTLE, check=check_auction_settlement),
    ),
    audits=(audit_trades, audit_reservations, audit_venues),
    metadata=(store.metadata, venues.metadata),
)
