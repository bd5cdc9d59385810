"""A market for block trades and auctions: the service tests' world, with big holdings.

On top of ``market_world``: the platform holds 300,000 t of a third CCER batch, the
emitter and the institution's cash is enough for a block trade, the auction account
(``SystemAccount.AUCTION``) holds a CEA allocation batch to auction (contract
``CEA-GD-2026``, listed under CN), and the clock stands at 13:30 on Monday 2026-12-07,
in the afternoon (block) session.
"""

from __future__ import annotations

from market_world import CONTRACT, DAY, MarketWorld, T, at, build_market, holdings, market_rows

from pctrade.ledger import commands as c
from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract
from pctrade.rules import RuleBook

CEA_CONTRACT = "CEA-GD-2026"
CEA_BATCH = "CEA-GD-ALLOC-2026-001"
BIG_BATCH = "CCER-CN-AFF0009-2026Q3-001"
__all__ = ["CEA_CONTRACT", "CONTRACT", "DAY", "T", "build_venues", "frozen_state"]


def build_venues(store: SqlStore, rules: RuleBook | None = None) -> MarketWorld:
    w = build_market(store, rules=rules)
    reg = w.app.registry
    ids = w.accounts
    ids["auction"] = int(SystemAccount.AUCTION)
    reg.issue("reg", "i-big", c.Issue(BIG_BATCH, [ids["plat"]], [300_000 * T]))
    reg.issue("reg", "i-cea", c.Issue(CEA_BATCH, [ids["auction"]], [10_000 * T]))
    for name in ("steel", "fund", "plat"):
        reg.deposit("reg", f"big-{name}", c.Deposit(ids[name], 1_000_000_000, f"bank2-{name}"))
    cea = ListContract("CEA", "GD", "2026", reference_price_fen_per_t=4_000)
    w.market.list_contract("registry", "list-cea", cea)
    w.clock.now = at(DAY, 13, 30)
    return w


def frozen_state(store: SqlStore) -> tuple[object, ...]:
    """Everything a refusal must leave as it was: balances, holds, the market's rows."""
    balances, holds = holdings(store)
    return balances, holds, market_rows(store)
