"""What the market's venues show (``market.venue_reads``): an auction's public terms and
result, newest first and naming no bidder; block proposals waiting for the party they
are addressed to, and for no one else."""

from __future__ import annotations

from market_world import at
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from pctrade.ledger.model import SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import venue_reads
from pctrade.market.venue_commands import (
    AcceptBlock,
    AnnounceAuction,
    ClearAuction,
    ProposeBlock,
    SubmitBid,
)


def test_an_auction_is_shown_announced_then_with_its_result(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    now_s = int(at(DAY, 13, 30).timestamp())
    cmd = AnnounceAuction(
        CEA_CONTRACT, int(SystemAccount.AUCTION), 10_000 * T, 4_000, now_s, now_s + 3_600
    )
    aid = int(w.app.auctions.announce("reg", "an1", cmd)["auction_id"])
    [shown] = venue_reads.auctions(any_store, CEA_CONTRACT)
    assert (shown["auction_id"], shown["state"], shown["result"]) == (aid, "open", None)
    assert shown["quantity_g"] == 10_000 * T
    for n, name in enumerate(("steel", "plat")):
        bid = SubmitBid(CEA_CONTRACT, aid, w.accounts[name], 4_500, 5_000 * T)
        w.app.auctions.bid(name, f"b{n}", bid)
    w.clock.now = at(DAY, 14, 30)
    w.app.auctions.clear("reg", "clr", ClearAuction(CEA_CONTRACT, aid))
    [cleared] = venue_reads.auctions(any_store, CEA_CONTRACT)
    assert cleared["state"] == "cleared"
    assert cleared["result"]["sold_g"] == 10_000 * T
    assert "steel" not in str(cleared) and "plat" not in str(cleared)  # no bidder named
    assert venue_reads.auctions(any_store, CONTRACT) == []


def test_a_block_proposal_waits_for_its_counterparty_until_answered(any_store: SqlStore) -> None:
    w = build_venues(any_store)
    steel, plat = w.accounts["steel"], w.accounts["plat"]
    cmd = ProposeBlock(CONTRACT, steel, "plat", "buy", 100_000 * T, 6_500, 600)
    p = w.app.blocks.propose("steel", "p1", cmd)
    [waiting] = venue_reads.blocks_for(any_store, "plat")
    assert (waiting["contract"], waiting["proposal_id"]) == (CONTRACT, p["proposal_id"])
    assert (waiting["proposer"], waiting["side"]) == ("steel", "buy")
    assert venue_reads.blocks_for(any_store, "steel") == []  # the proposer's, not its answer
    w.app.blocks.accept("plat", "a1", AcceptBlock(CONTRACT, p["proposal_id"], plat))
    assert venue_reads.blocks_for(any_store, "plat") == []
