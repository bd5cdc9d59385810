"""The registry is the truth: a restarted market rebuilds every book, nothing lost;
``verify`` finds a trade row that disagrees with its settlement, or is missing."""

from __future__ import annotations

import sqlalchemy as sa
from market_world import CONTRACT, T, build_market

from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries
from pctrade.market.commands import AmendOrder, CancelOrder, PlaceOrder
from pctrade.market.sql import store as mdb


def test_a_new_app_on_the_same_database_rebuilds_the_book_identically(any_store: SqlStore) -> None:
    w = build_market(any_store)
    m, acc = w.market, w.accounts
    m.place("alice", "a1", PlaceOrder(CONTRACT, acc["alice"], "s1", "sell", 6_050, 5 * T))
    m.place("bob", "b1", PlaceOrder(CONTRACT, acc["bob"], "s2", "sell", 6_050, 2 * T))
    m.place("plat", "p1", PlaceOrder(CONTRACT, acc["plat"], "s3", "sell", 6_020, 3 * T))
    bid = m.place("steel", "e1", PlaceOrder(CONTRACT, acc["steel"], "b1", "buy", 6_000, 4 * T))
    m.amend("steel", "e2", AmendOrder(CONTRACT, bid["order_id"], 6_010, 6 * T))
    gone = m.place("steel", "e3", PlaceOrder(CONTRACT, acc["steel"], "b2", "buy", 5_900, 1 * T))
    m.cancel("steel", "e4", CancelOrder(CONTRACT, gone["order_id"]))
    m.place("steel", "e5", PlaceOrder(CONTRACT, acc["steel"], "b3", "buy", 6_020, 1 * T))
    before, rebuilt = m.book_state(CONTRACT)
    assert before == rebuilt
    depth = queries.depth(any_store, CONTRACT)

    # "kill the server": a fresh app, nothing cached, on the same database
    again = bootstrap.build(any_store, clock=w.clock)
    after, _ = again.market.book_state(CONTRACT)
    assert after == before
    assert queries.depth(any_store, CONTRACT) == depth
    # it goes on where the old one stopped: plat's 2 t left at 6,020, then alice's 6,050,
    # which has time priority over bob's
    took = again.market.place(
        "steel", "e6", PlaceOrder(CONTRACT, acc["steel"], "b4", "buy", 6_050, 6 * T)
    )
    assert took["state"] == "filled" and len(took["trades"]) == 2
    asks = queries.depth(any_store, CONTRACT)["asks"]
    assert asks == [{"price_fen_per_t": 6_050, "quantity_g": 3 * T, "orders": 2}]
    # the old app's cached book is stale now, and repairs itself on its next command
    m.cancel("steel", "e7", CancelOrder(CONTRACT, bid["order_id"]))
    assert verify(any_store).ok


def test_verify_finds_a_tampered_or_missing_trade_row(any_store: SqlStore) -> None:
    w = build_market(any_store)
    acc = w.accounts
    w.market.place("alice", "a1", PlaceOrder(CONTRACT, acc["alice"], "s1", "sell", 6_000, 5 * T))
    w.market.place("steel", "e1", PlaceOrder(CONTRACT, acc["steel"], "b1", "buy", 6_000, 5 * T))
    assert verify(any_store).ok
    trades = mdb.trades
    with any_store.engine.begin() as conn:
        conn.execute(trades.update().values(quantity_g=4 * T))
    assert [p.code for p in verify(any_store).problems] == ["market_trade_mismatch"]
    with any_store.engine.begin() as conn:
        conn.execute(sa.delete(trades))
    assert [p.code for p in verify(any_store).problems] == ["market_settlement_without_trade"]
