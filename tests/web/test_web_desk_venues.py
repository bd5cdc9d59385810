"""The desk's other ways to trade: accepting a block proposal made to the emitter and
bidding in an open auction, each shown on the desk and answered through its form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from console_world import (
    CEMENT,
    CEMENT_LOGIN,
    EMITTER,
    TRADING_NOW,
    account_of,
    form_fields,
    main_text,
    sign_in,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pctrade.bootstrap import App
from pctrade.compliance import commands as cc
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger.model import SystemAccount
from pctrade.market import venue_reads
from pctrade.market.venue_commands import AnnounceAuction, ProposeBlock

CEA_2025 = "CEA-GD-2025"
CEA_2026 = "CEA-GD-2026"
BLOCK_G = 100_000 * G_PER_T  # the national market's block threshold


@pytest.fixture
def cement(web: FastAPI) -> Iterator[TestClient]:
    with TestClient(web) as client:
        sign_in(client, CEMENT_LOGIN)
        yield client


def _afternoon(app: App) -> None:
    clock = app.clock
    assert isinstance(clock, SetClock)
    clock.now = TRADING_NOW + timedelta(hours=3, minutes=30)  # 13:30 China time


def test_a_block_proposed_to_the_emitter_is_shown_and_accepted(
    cement: TestClient, console_app: App
) -> None:
    _afternoon(console_app)
    nanyue = account_of(console_app, EMITTER)
    proposal = ProposeBlock(CEA_2025, nanyue, CEMENT, "buy", BLOCK_G, 5_800, 600)
    pid = int(console_app.blocks.propose(EMITTER, "w3:block", proposal)["proposal_id"])
    page = cement.get("/web/desk?lang=en").text
    assert f"{CEA_2025} #{pid}: nanyue-power buy 100,000 t @ ¥58.00/t" in main_text(page)
    fields = {
        **form_fields(page, "/web/desk/blocks"),
        "account": str(account_of(console_app, CEMENT)),
        "contract": CEA_2025,
        "proposal": str(pid),
    }
    done = cement.post("/web/desk/blocks?lang=en", data=fields)
    assert done.status_code == 200 and "Block trade accepted" in done.text
    assert venue_reads.blocks_for(console_app.store, CEMENT) == []
    again = cement.post("/web/desk/blocks?lang=en", data=fields)
    assert "already done" in again.text


def test_an_open_auction_takes_the_emitters_bid_and_refuses_one_below_the_reserve(
    cement: TestClient, console_app: App
) -> None:
    _afternoon(console_app)
    run = cc.RunAllocation("GD", "2026", "auction", auctioned_g=2_000 * G_PER_T)
    console_app.compliance.run_allocation("mee", "w3:auction-run", run)
    opens = int(console_app.clock().timestamp())
    announce = AnnounceAuction(
        CEA_2026, int(SystemAccount.AUCTION), 2_000 * G_PER_T, 4_500, opens, opens + 3_600
    )
    aid = int(console_app.auctions.announce("mee", "w3:announce", announce)["auction_id"])
    page = cement.get("/web/desk?lang=en").text
    assert f"{CEA_2026} #{aid}: 2,000 t, reserve ¥45.00/t" in main_text(page)
    bid = {
        **form_fields(page, "/web/desk/bids"),
        "account": str(account_of(console_app, CEMENT)),
        "contract": CEA_2026,
        "auction": str(aid),
        "price": "44",
        "quantity": "1000",
    }
    low = cement.post("/web/desk/bids", data=bid)
    assert low.status_code in (409, 422)
    assert '<code class="error-code">bid_below_reserve</code>' in low.text
    fields = form_fields(low.text, "/web/desk/bids")
    done = cement.post("/web/desk/bids?lang=en", data={**bid, **fields, "price": "46"})
    assert done.status_code == 200 and "Bid submitted" in done.text
