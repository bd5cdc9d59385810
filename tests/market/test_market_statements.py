"""The daily settlement statement reconciles to the journal (issue 13, item 5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from market_world import MarketWorld, at, cash
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_ASSET, CASH_NAME, State, SystemAccount
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import CloseDay, PlaceOrder
from pctrade.market.model import CHINA_STANDARD_TIME
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)

MARKET_OPS = ("trade_settle", "auction_settle")
# What a statement line says that its settlement entry says too (not the trade's mode).
LINE_FIELDS = (
    "trade",
    "contract",
    "side",
    "quantity_g",
    "price_fen_per_t",
    "gross_fen",
    "fee_fen",
    "net_fen",
    "entry_seq",
)


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


def _from_journal(store: SqlStore, account: int, day: date) -> dict[str, Any]:
    """The statement's positions and lines from every entry of the journal alone: each
    entry's own local day, its postings to the account, its settlement payload."""
    sums = {k: {"cash_fen": 0, "credits_g": 0} for k in ("opening", "closing", "settled")}
    lines = []
    with store.reader() as uow:
        for entry in uow.stream_journal():
            moment = datetime.fromisoformat(entry.header.ts.replace("Z", "+00:00"))
            local = moment.astimezone(CHINA_STANDARD_TIME).date()
            settles = entry.header.op_type in MARKET_OPS
            mine = [
                x
                for x in entry.postings
                if x.account_id == account and x.state in (State.AVAILABLE, State.FROZEN)
            ]
            for x in mine if local <= day else []:
                kind = "cash_fen" if x.asset_id == CASH_ASSET else "credits_g"
                sums["closing"][kind] += x.delta
                if local < day:
                    sums["opening"][kind] += x.delta
                elif settles:
                    sums["settled"][kind] += x.delta
            p = entry.header.payload
            if settles and local == day and account in (p["buyer"], p["seller"]):
                buys = p["buyer"] == account
                fee = p["buyer_fee_fen"] if buys else p["seller_fee_fen"]
                lines.append(
                    {
                        "trade": p["trade"],
                        "contract": p["contract"],
                        "side": "buy" if buys else "sell",
                        "quantity_g": p["quantity_g"],
                        "price_fen_per_t": p["price_fen_per_t"],
                        "gross_fen": p["cash_fen"],
                        "fee_fen": fee,
                        "net_fen": -(p["cash_fen"] + fee) if buys else p["cash_fen"] - fee,
                        "entry_seq": entry.header.seq,
                    }
                )
    return {**sums, "lines": lines}


def test_the_statement_read_by_indexes_is_the_one_the_journal_gives(
    any_store: SqlStore,
) -> None:
    """Two trading days with entries of other kinds around them: every account's
    statement of every day, from before the first to after the last, is the one a pass
    over the whole journal derives (positions, and each line from its settlement entry)."""
    w = _trading_day(any_store)
    acc = w.accounts
    w.clock.now = at(DAY, 15, 30)
    w.market.close_day("registry", "close-1", CloseDay(CONTRACT, DAY.isoformat()))
    nxt = DAY + timedelta(days=1)
    w.clock.now = at(nxt, 10, 0)
    w.market.place("steel", "o3", PlaceOrder(CONTRACT, acc["steel"], "s2", "sell", 6_020, 3 * T))
    w.market.place("alice", "o4", PlaceOrder(CONTRACT, acc["alice"], "b2", "buy", 6_020, 2 * T))
    w.app.registry.transfer("alice", "t1", c.Transfer(acc["alice"], acc["bob"], CASH_NAME, 1_000))
    w.app.registry.deposit("reg", "d-late", c.Deposit(acc["steel"], 5_000, "bank-late"))
    days = [DAY - timedelta(days=1), DAY, nxt, nxt + timedelta(days=1)]
    for name in ("steel", "plat", "alice", "bob", "auction"):
        for day in days:
            st = w.app.market_reports.statement("reg", acc[name], day.isoformat())
            journal = _from_journal(any_store, acc[name], day)
            for part in ("opening", "closing", "settled"):
                assert st[part] == journal[part], (name, day, part)
            lines = [{k: x[k] for k in LINE_FIELDS} for x in st["lines"]]
            assert lines == journal["lines"], (name, day)
    steel_next = w.app.market_reports.statement("steel", acc["steel"], nxt.isoformat())
    assert steel_next["opening"]["credits_g"] == (7 + 100_000 + 3_001) * T  # not zero
    assert [x["side"] for x in steel_next["lines"]] == ["sell"]
