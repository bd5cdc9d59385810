"""The daily settlement statement reconciles to the journal (issue 13, item 5)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from market_world import MarketWorld, at, cash
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import PlaceOrder
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)

MARKET_OPS = ("trade_settle", "auction_settle")


def _journal_changes(store: SqlStore, account: int) -> tuple[int, int]:
    """The account's cash and credits changes by the market's settlement entries, from SQL."""
    p, e = schema.postings.c, schema.entries.c
    query = (
        sa.select(p.asset_id, sa.func.sum(p.delta))
        .select_from(schema.postings.join(schema.entries, p.seq == e.seq))
        .where(
            p.account_id == account,
            e.op_type.in_(MARKET_OPS),
            p.state.in_([int(State.AVAILABLE), int(State.FROZEN)]),
        )
        .group_by(p.asset_id)
    )
    with store.engine.connect() as conn:
        rows = [(int(a), int(d)) for a, d in conn.execute(query)]
    return (
        sum(d for a, d in rows if a == CASH_ASSET),
        sum(d for a, d in rows if a != CASH_ASSET),
    )


def _trading_day(store: SqlStore) -> MarketWorld:
    """An order-book trade, a block trade and an auction fill for the emitter, one day."""
    w = build_venues(store)
    acc = w.accounts
    steel, plat, alice = acc["steel"], acc["plat"], acc["alice"]
    w.clock.now = at(DAY, 13, 5)
    w.market.place("alice", "o1", PlaceOrder(CONTRACT, alice, "s1", "sell", 6_010, 7 * T))
    w.market.place("steel", "o2", PlaceOrder(CONTRACT, steel, "b1", "buy", 6_010, 7 * T))
    w.clock.now = at(DAY, 13, 30)
    p = w.app.blocks.propose(
        "plat", "p1", ProposeBlock(CONTRACT, plat, "steel", "sell", 100_000 * T, 6_333, 600)
    )
    w.app.blocks.accept("steel", "a1", AcceptBlock(CONTRACT, p["proposal_id"], steel))
    now_s = int(at(DAY, 13, 30).timestamp())
    offer = AnnounceAuction(
        CEA_CONTRACT, int(SystemAccount.AUCTION), 10_000 * T, 4_000, now_s, now_s + 600
    )
    aid = w.app.auctions.announce("reg", "an", offer)["auction_id"]
    w.app.auctions.bid("steel", "bid", SubmitBid(CEA_CONTRACT, aid, steel, 4_007, 3_001 * T))
    w.clock.now = at(DAY, 13, 45)
    w.app.auctions.clear("reg", "clr", ClearAuction(CEA_CONTRACT, aid))
    return w


def test_the_statement_lists_each_trade_and_reconciles_to_the_journal(
    any_store: SqlStore,
) -> None:
    w = _trading_day(any_store)
    app, acc = w.app, w.accounts
    for name in ("steel", "plat", "alice"):
        st = app.market_reports.statement(name, acc[name], DAY.isoformat())
        lines = st["lines"]
        cash_change, credits_change = _journal_changes(any_store, acc[name])
        assert st["net_cash_fen"] == cash_change == st["settled"]["cash_fen"]
        assert st["net_credits_g"] == credits_change == st["settled"]["credits_g"]
        assert st["closing"]["cash_fen"] == cash(any_store, acc[name]) + cash(
            any_store, acc[name], State.FROZEN
        )
        for line in lines:
            assert line["gross_fen"] == line["price_fen_per_t"] * line["quantity_g"] // T
            sign = -1 if line["side"] == "buy" else 1
            assert line["net_fen"] == sign * line["gross_fen"] - line["fee_fen"]
    steel = app.market_reports.statement("steel", acc["steel"], DAY.isoformat())
    assert [(x["mode"], x["side"]) for x in steel["lines"]] == [
        ("listing", "buy"),
        ("block", "buy"),
        ("auction", "buy"),
    ]
    assert len({x["entry_seq"] for x in steel["lines"]}) == 3
    # the world was built on the day itself: it opened empty
    assert steel["opening"] == {"cash_fen": 0, "credits_g": 0}
    assert steel["closing"]["credits_g"] == (7 + 100_000 + 3_001) * T


def test_only_the_holder_or_an_authority_reads_a_statement(any_store: SqlStore) -> None:
    w = _trading_day(any_store)
    app, acc = w.app, w.accounts
    with pytest.raises(PctradeError) as err:
        app.market_reports.statement("alice", acc["steel"], DAY.isoformat())
    assert err.value.code == "forbidden"
    assert app.market_reports.statement("reg", acc["steel"], DAY.isoformat())["lines"]
