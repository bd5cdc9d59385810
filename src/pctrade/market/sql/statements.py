"""What a daily settlement statement reads (``market.reports``), by indexes.

    trades_on(uow, account, day, limit)       the account's trade rows of the day
    posting_sums(uow, account, start, end)     its postings summed: before the day and in
                                               it, cash or credits, settlement or not

A statement used to sum the account's opening and closing positions by streaming the
whole journal, every entry of every account: at 10,000 orders that pass was most of its
time. The journal's postings carry an index by account (``ix_postings_account``:
account, seq), so the account's own postings are read there, each joined to its entry
(by its primary key) for the time and the operation type, and summed by the database
into at most eight numbers. The trades are read by the account's indexes on
``market_trades`` (migration 0018). What the statement reports is unchanged: each
posting of an entry stamped before the day's end counts, and those of the market's
settlement entries within the day are its ``settled`` change. A pool's sale
(``pool_settle``, issue 14) is the market's settlement on its buyer's side only: the
platform sells as the pool's agent and receives its fee, the contributors are paid in
the same entry, and the pools' statements report the sale to them; on their market
statements neither a line nor a settled change appears for it.

The entries' times are UTC text of one width (``ledger.journal.format_ts``), so the day's
bounds compare as text; the day is China Standard Time's.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pctrade.ledger.model import CASH_ASSET, State
from pctrade.market.model import POOL_SETTLE
from pctrade.market.sql.store import MARKET_SETTLEMENT_IN, Row, trades

# The journal's entries, read by plain SQL as the market reads them (never the ledger's sql).
_ENTRIES = sa.table("entries", sa.column("seq"), sa.column("op_type"))

_SUMS = sa.text(
    "SELECT CASE WHEN p.asset_id = :cash THEN 1 ELSE 0 END AS is_cash,"
    " CASE WHEN e.ts < :start THEN 0 ELSE 1 END AS on_day,"
    f" CASE WHEN e.{MARKET_SETTLEMENT_IN} OR (e.op_type = '{POOL_SETTLE}' AND EXISTS"
    " (SELECT 1 FROM market_trades t WHERE t.entry_seq = e.seq AND t.buyer_account = :account))"
    " THEN 1 ELSE 0 END AS settles,"
    " SUM(p.delta) AS delta"
    " FROM postings p JOIN entries e ON e.seq = p.seq"
    " WHERE p.account_id = :account AND p.state IN (:available, :frozen) AND e.ts < :end"
    " GROUP BY 1, 2, 3"
)


def posting_sums(uow: Any, account_id: int, start_ts: str, end_ts: str) -> list[Row]:
    """The account's available and frozen postings of entries stamped before ``end_ts``,
    summed per (cash or credits, before ``start_ts`` or not, settlement op or not)."""
    params = {
        "cash": CASH_ASSET,
        "start": start_ts,
        "end": end_ts,
        "account": account_id,
        "available": int(State.AVAILABLE),
        "frozen": int(State.FROZEN),
    }
    return [
        {
            "cash": bool(r.is_cash),
            "on_day": bool(r.on_day),
            "settles": bool(r.settles),
            "delta": int(r.delta),
        }
        for r in uow.execute(_SUMS, params)
    ]


def trades_on(uow: Any, account_id: int, day: str, limit: int) -> list[Row]:
    """The account's trades of every mode and contract on ``day``, in journal order; a
    pool's sale only on its buyer's side (the platform sells for the contributors, who
    are paid in the sale's entry: the pools' statements report it)."""
    c = trades.c
    e = _ENTRIES.c
    pool_sale = sa.select(e.seq).where(e.seq == c.entry_seq, e.op_type == POOL_SETTLE)
    mine = sa.or_(
        sa.and_(c.buyer_account == account_id, c.day == day),
        sa.and_(c.seller_account == account_id, c.day == day, ~pool_sale.exists()),
    )
    query = sa.select(trades).where(mine).order_by(c.entry_seq).limit(limit)
    return [dict(r._mapping) for r in uow.execute(query)]
