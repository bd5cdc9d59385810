"""Market data and a participant's own orders and trades: reads, no writes.

    my_orders(store, actor, contract=None)        the actor's orders, newest first
    my_trades(store, actor, account_id)           trades of an account the actor holds
    trades(store, contract, day=None, after=0)    a contract's trades (public, no accounts)
    depth(store, contract)                        the best five levels of each side
    closes(store, contract)                       the closes, newest first
    pool_committed_g(uow, pool_id)                what a pool's open sells still claim
    bids_in_pool_auction(uow, pool_id, account)   a standing bid in the pool's auction
    allowance_trades(uow, jurisdiction, first, last)  a jurisdiction's allowance trades
                                                      in a window: count, grams, cash

Depth is read from the registry's open orders (the truth a book is rebuilt from), so
every process answers the same. Public reads (trades, depth, closes) name no account.
Daily bars are ``market.reads.bars`` (the one way pctrade makes a bar).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pctrade.kernel.errors import NotFound, ValidationError
from pctrade.ledger.model import Instrument
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import account_of, require_holder
from pctrade.ledger.write import acting_party
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb

PAGE_MAX = 500
DEPTH_LEVELS = 5
Row = dict[str, Any]
_PUBLIC_TRADE = ("trade_id", "day", "seq", "taker_side", "price_fen_per_t", "quantity_g", "ts")


def _limit(limit: int) -> int:
    if not 0 < limit <= PAGE_MAX:
        raise ValidationError(f"limit is 1 to {PAGE_MAX}", code="bad_limit")
    return limit


def _contract(uow: Any, code: str) -> Row:
    found = db.contract(uow, code)
    if found is None:
        raise NotFound(f"no contract {code}", code="unknown_contract")
    return found


def contracts(store: Store) -> list[Row]:
    with store.reader() as uow:
        return db.contracts_all(uow)


def my_orders(store: Store, actor: str, contract: str | None = None, limit: int = 100) -> list[Row]:
    with store.reader() as uow:
        acting_party(uow, actor)
        cid = None if contract is None else int(_contract(uow, contract)["contract_id"])
        return db.orders_of_owner(uow, actor, cid, _limit(limit))


def my_trades(store: Store, actor: str, account_id: int, limit: int = 100) -> list[Row]:
    with store.reader() as uow:
        require_holder(uow, acting_party(uow, actor), account_of(uow, account_id))
        return db.trades_of_account(uow, account_id, _limit(limit))


def trades(
    store: Store, contract: str, day: str | None = None, after: int = 0, limit: int = 100
) -> list[Row]:
    with store.reader() as uow:
        cid = int(_contract(uow, contract)["contract_id"])
        rows = db.trades_of(uow, cid, day, after, _limit(limit))
    return [{k: r[k] for k in (*_PUBLIC_TRADE, "entry_seq")} for r in rows]


def depth(store: Store, contract: str, levels: int = DEPTH_LEVELS) -> Row:
    if not 0 < levels <= DEPTH_LEVELS:
        raise ValidationError(f"depth is 1 to {DEPTH_LEVELS} levels", code="bad_limit")
    with store.reader() as uow:
        cid = int(_contract(uow, contract)["contract_id"])
        bids, asks = db.depth(uow, cid, "buy", levels), db.depth(uow, cid, "sell", levels)
    return {
        "contract": contract,
        "bids": [{"price_fen_per_t": p, "quantity_g": q, "orders": n} for p, q, n in bids],
        "asks": [{"price_fen_per_t": p, "quantity_g": q, "orders": n} for p, q, n in asks],
    }


def closes(store: Store, contract: str, limit: int = 100) -> list[Row]:
    with store.reader() as uow:
        cid = int(_contract(uow, contract)["contract_id"])
        return db.closes_of(uow, cid, _limit(limit))


def bids_in_pool_auction(uow: UnitOfWork, pool_id: str, account_id: int) -> bool:
    """Whether the account has a standing bid in an auction of the pool not yet cleared:
    it may not then become a seller in it by depositing (the auctions refuse a bid from
    a contributor, ``own_auction``; the pools ask this before a deposit)."""
    return vdb.pool_auction_bids(uow, pool_id, account_id) > 0


def pool_committed_g(uow: UnitOfWork, pool_id: str) -> int:
    """What the pool's open sells still claim of its free units, on every contract: open
    sell orders' remaining, open block proposals and auctions (``market.pool_sells``). The pools
    refuse a withdrawal that would leave less free than this, in the same transaction.
    An auction not yet cleared claims its whole offer."""
    return (
        vdb.pool_open_orders_g(uow, pool_id)
        + vdb.pool_open_proposals_g(uow, pool_id)
        + vdb.pool_open_auctions_g(uow, pool_id)
    )


# The secondary market's trades: the order book's and block trades. An auction's fills
# are paid allocation, the regulator selling at a clearing price its reserve shapes,
# not a price the market made between its participants.
MARKET_TRADE_MODES = ("listing", "block")


@dataclass(frozen=True, slots=True)
class TradeTotals:
    trades: int
    quantity_g: int
    cash_fen: int


def allowance_trades(uow: UnitOfWork, jurisdiction: str, first: date, last: date) -> TradeTotals:
    """The jurisdiction's allowance (CEA) trades of every vintage on the trading days
    ``first``..``last``, both included, in the order book and in blocks: what a
    market-value fine's price is averaged over (compliance's ``AllowanceTradesOf``).
    Contracts are keyed by instrument, jurisdiction and vintage ([trading] contract_key),
    and an allowance's price is its jurisdiction's whatever its vintage."""
    row = db.instrument_trade_totals(
        uow,
        str(Instrument.CEA),
        jurisdiction,
        first.isoformat(),
        last.isoformat(),
        MARKET_TRADE_MODES,
    )
    return TradeTotals(row["trades"], row["quantity_g"], row["cash_fen"])
