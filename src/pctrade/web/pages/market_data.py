"""What the market pages show, from the market context's reads (the API's own).

Per contract: the best levels of each side (``market.reads.depth_at``), the latest
public trades (no party named), the daily bars from its listing on (``market.reads.bars``,
the one way pctrade makes a bar) and its auctions with their published results
(``market.venue_reads.auctions``). The overview lists the contracts with their last
close. Nothing here computes a price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pctrade.bootstrap import App
from pctrade.market import queries as market_queries
from pctrade.market import reads, venue_reads
from pctrade.market.reads import BARS_DAYS_MAX

TRADES_SHOWN = 100
Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ContractLine:
    contract: Row
    last_close_fen_per_t: int | None
    last_close_day: str | None


@dataclass(frozen=True, slots=True)
class ContractPage:
    contract: Row
    depth: Row
    trades: list[Row]  # newest first
    bars: list[Row]  # oldest first
    auctions: list[Row]  # newest first


def overview(app: App) -> list[ContractLine]:
    lines = []
    for c in market_queries.contracts(app.store):
        closes = reads.closes(app.store, str(c["code"]), 1)
        last = closes[0] if closes else None
        lines.append(
            ContractLine(
                c,
                None if last is None else last["close_fen_per_t"],
                None if last is None else str(last["day"]),
            )
        )
    return lines


def bar_range(listed_at: str, today: date) -> tuple[date, date]:
    """From the listing day to today, at most ``BARS_DAYS_MAX`` days (the read's bound);
    a clock before the listing (a scenario's) reads the listing's first year."""
    first = date.fromisoformat(listed_at[:10])
    last = max(today, first)
    return first, min(last, first + timedelta(days=BARS_DAYS_MAX - 1))


def contract_page(app: App, code: str) -> ContractPage:
    contract = reads.contract(app.store, code)
    first, last = bar_range(str(contract["listed_at"]), app.clock().date())
    trades = reads.public_trades(app.store, code, None, 0, TRADES_SHOWN).items
    return ContractPage(
        contract=contract,
        depth=reads.depth_at(app.store, code),
        trades=list(reversed(trades)),
        bars=reads.bars(app.store, code, first, last),
        auctions=venue_reads.auctions(app.store, code),
    )
