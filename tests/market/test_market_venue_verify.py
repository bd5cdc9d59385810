"""``verify`` finds a tampered block trade or auction settlement (issue 13, item 6)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from market_world import at
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from pctrade.bootstrap.contexts import verify
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import EntryHeader
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.model import Held
from pctrade.market.sql import store as mdb
from pctrade.market.sql import venues as vdb
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)
from pctrade.market.venue_model import AuctionFill, check_auction_settlement, plan_auction_settle


def _codes(store: SqlStore) -> list[str]:
    return sorted({p.code for p in verify(store).problems})


def _block_and_auction(store: SqlStore) -> None:
    w = build_venues(store)
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    p = w.app.blocks.propose(
        "steel", "p1", ProposeBlock(CONTRACT, steel, "plat", "buy", 100_000 * T, 6_500, 600)
    )
    w.app.blocks.accept("plat", "a1", AcceptBlock(CONTRACT, p["proposal_id"], plat))
    now_s = int(at(DAY, 13, 30).timestamp())
    auction = AnnounceAuction(
        CEA_CONTRACT, int(SystemAccount.AUCTION), 10_000 * T, 4_000, now_s, now_s + 600
    )
    aid = w.app.auctions.announce("reg", "an", auction)["auction_id"]
    w.app.auctions.bid("steel", "b1", SubmitBid(CEA_CONTRACT, aid, steel, 4_100, 2_000 * T))
    w.clock.now = at(DAY, 13, 45)
    w.app.auctions.clear("reg", "c", ClearAuction(CEA_CONTRACT, aid))
    assert verify(store).ok, verify(store).problems


@pytest.mark.parametrize("mode", ["block", "auction"])
def test_verify_finds_a_tampered_block_or_auction_trade_row(any_store: SqlStore, mode: str) -> None:
    _block_and_auction(any_store)
    t = mdb.trades
    with any_store.engine.begin() as conn:
        conn.execute(t.update().where(t.c.mode == mode).values(price_fen_per_t=1))
    assert _codes(any_store) == ["market_trade_mismatch"]
    with any_store.engine.begin() as conn:
        conn.execute(sa.delete(t).where(t.c.mode == mode))
    lost = "market_block_without_trade" if mode == "block" else "market_bid_without_trade"
    assert _codes(any_store) == sorted([lost, "market_settlement_without_trade"])


def test_verify_finds_a_proposal_or_bid_whose_holds_do_not_match(any_store: SqlStore) -> None:
    _block_and_auction(any_store)
    with any_store.engine.begin() as conn:
        conn.execute(vdb.proposals.update().values(outcome=None))
    assert "market_venue_hold_mismatch" in _codes(any_store)
    with any_store.engine.begin() as conn:
        conn.execute(vdb.proposals.update().values(outcome="agreed"))
        conn.execute(vdb.bids.update().values(trade_id=None))
    assert _codes(any_store) == ["market_bid_without_trade"]


def _entry(plan_postings: Postings, payload: dict[str, object]) -> StoredEntry:
    header = EntryHeader(7, "auction_settle", "registry", "k", "h", "2026-12-07T05:00:00Z", payload)
    return StoredEntry(header, "0" * 64, "0" * 64, plan_postings)


def test_replay_finds_an_auction_settlement_that_moved_other_amounts() -> None:
    fill = AuctionFill("t-1", "CEA-GD-2026", 1, 2, 4_100, 2_000 * T, 5, 1000, 3)
    frozen = 4_100 * 2_000 + 4_100
    plan = plan_auction_settle(fill, [Held(10, CASH_ASSET, frozen)], [Held(11, 9, 2_000 * T)])
    assert list(check_auction_settlement(_entry(plan.postings, plan.payload))) == []
    rows = list(plan.postings)
    # the fee account skims one fen more, the seller one fen less
    bent = [
        Posting(x.account_id, x.asset_id, x.state, x.delta + 1)
        if x.account_id == SystemAccount.FEES
        else Posting(x.account_id, x.asset_id, x.state, x.delta - 1)
        if x.account_id == 3 and x.asset_id == CASH_ASSET and x.state == State.AVAILABLE
        else x
        for x in rows
    ]
    problems = list(check_auction_settlement(_entry(Postings.of(bent), plan.payload)))
    assert [p.code for p in problems] == ["market_settlement_mismatch"]
    lying = {**plan.payload, "buyer_fee_fen": 0}
    problems = list(check_auction_settlement(_entry(plan.postings, lying)))
    assert [p.code for p in problems] == ["market_settlement_mismatch"]
