"""Paid allocation end to end (issue 15): the regulator caps Guangdong's 2026, an auction
run issues allowances into the auction account, the market's one-way bidding sells them
(uniform price, DvP), a buyer that is a key emitter surrenders what it bought against
its verified emissions, and the cap-integrity report, from the journal alone, counts
the run as auctioned and reconciles to the gram. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from market_world import DAY, T, at, build_market, cash

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance import queries
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.status import Status
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import queries as market_queries
from pctrade.market.commands import ListContract
from pctrade.market.venue_commands import AnnounceAuction, ClearAuction, SubmitBid

AUCTION = int(SystemAccount.AUCTION)
CAP_G = 50_000 * T
OFFERED_G = 10_000 * T
BATCH = "CEA-GD-ALLOC-2026-001"
CONTRACT = "CEA-GD-2026"
BIDS = (("steel", 4_500, 5_000), ("plat", 4_300, 4_000), ("alice", 4_100, 2_000))
CLEARING_FEN_PER_T = 4_100  # the lowest winning bid: alice is filled 1,000 t of 2,000
FILLED_T = {"steel": 5_000, "plat": 4_000, "alice": 1_000}
STEEL_EMISSIONS_G = 4_000 * T


def _balance(store: SqlStore, account: int, state: State = State.AVAILABLE) -> int:
    with store.reader() as uow:
        batch = uow.batch_named(BATCH)
        assert batch is not None
        return uow.balance(account, batch.asset_id, state)


def test_an_auction_run_sold_by_one_way_bidding_counts_as_auctioned_and_reconciles(
    any_store: SqlStore,
) -> None:
    w = build_market(any_store)
    app, ids = w.app, w.accounts
    app.registry.open_account("registry", "o-ver", c.OpenAccount("verco", Role.VERIFIER, "V"))
    for name in ("steel", "plat"):
        app.registry.deposit("reg", f"big-{name}", c.Deposit(ids[name], 10**9, f"b2-{name}"))

    # The regulator's cap and its auction run: one entry issuing into the auction account.
    app.compliance.set_cap("reg", "cap", cc.SetCap("GD", "2026", CAP_G))
    run_cmd = cc.RunAllocation("GD", "2026", "auction", auctioned_g=OFFERED_G)
    preview = app.compliance.preview("reg", run_cmd)
    assert (preview.cap.auctioned_g, preview.cap.free_g, preview.cap.reserve_g) == (
        OFFERED_G,
        0,
        CAP_G - OFFERED_G,
    )
    run = app.compliance.run_allocation("reg", "auction-run", run_cmd)
    assert run.payload["batch"]["denomination"] == BATCH
    assert _balance(any_store, AUCTION) == OFFERED_G

    # The market sells it by one-way bidding from the auction account.
    listing = ListContract("CEA", "GD", "2026", reference_price_fen_per_t=4_000)
    app.market.list_contract("registry", "list-cea", listing)
    w.clock.now = at(DAY, 13, 30)
    opens = int(w.clock.now.timestamp())
    announce = AnnounceAuction(CONTRACT, AUCTION, OFFERED_G, 4_000, opens, opens + 3_600)
    auction_id = int(app.auctions.announce("reg", "announce", announce)["auction_id"])
    assert _balance(any_store, AUCTION, State.FROZEN) == OFFERED_G
    for n, (name, price, tonnes) in enumerate(BIDS):
        bid = SubmitBid(CONTRACT, auction_id, ids[name], price, tonnes * T)
        app.auctions.bid(name, f"bid-{n}", bid)
    w.clock.now = at(DAY, 14, 31)
    result = app.auctions.clear("reg", "clear", ClearAuction(CONTRACT, auction_id))["result"]
    assert result["clearing_price_fen_per_t"] == CLEARING_FEN_PER_T
    assert result["sold_g"] == OFFERED_G and result["unsold_g"] == 0
    for name, tonnes in FILLED_T.items():
        assert _balance(any_store, ids[name]) == tonnes * T
    assert _balance(any_store, AUCTION) == _balance(any_store, AUCTION, State.FROZEN) == 0
    assert cash(any_store, AUCTION) == CLEARING_FEN_PER_T * OFFERED_G // T
    # The fills are paid allocation, not the market's price: a market-value fine's
    # average (``market.queries.allowance_trades``) does not count them.
    with any_store.reader() as uow:
        priced = market_queries.allowance_trades(uow, "GD", DAY, DAY)
    assert (priced.trades, priced.quantity_g, priced.cash_fen) == (0, 0, 0)

    # The steelworks surrenders what it bought against its verified emissions.
    streams = (SourceStream("coke", STEEL_EMISSIONS_G, "g", 1_000),)
    report = app.compliance.submit_report(
        "steel", "report", cc.SubmitReport("GD", "2026", ids["steel"], streams)
    )
    report_id = str(report.payload["report_id"])
    app.compliance.verify_report("verco", "verify", cc.VerifyReport(report_id, STEEL_EMISSIONS_G))
    app.compliance.confirm_report("reg", "confirm", cc.ConfirmReport(report_id))
    surrender = SurrenderUnits(ids["steel"], "GD", "2026", (BATCH,), (STEEL_EMISSIONS_G,))
    app.surrenders.surrender("steel", "surrender", surrender)
    status = app.compliance_reports.status(ids["steel"], "GD", "2026")
    assert (status.report.status, status.report.shortfall_g) == (Status.A, 0)

    # From the journal alone: cap = free + auctioned + reserve, and the allowances add up.
    integrity = app.compliance_reports.integrity()
    assert list(integrity.problems()) == []
    period = integrity.periods[("GD", "2026")]
    assert (period.cap.grams, period.free.grams, period.auctioned.grams) == (CAP_G, 0, OFFERED_G)
    assert period.auctioned.seqs == [run.seq]
    assert period.reserve_g == CAP_G - OFFERED_G
    assert period.allowances_surrendered.grams == STEEL_EMISSIONS_G
    gd = integrity.allowances["GD"]
    assert gd.allocated.grams == OFFERED_G and gd.surrendered.grams == STEEL_EMISSIONS_G
    assert gd.held_g == OFFERED_G - STEEL_EMISSIONS_G  # banked by the buyers
    assert gd.lhs_g == gd.rhs_g
    cap = queries.cap_status(any_store, "GD", "2026")
    assert (cap["auctioned_g"], cap["free_g"], cap["reserve_g"]) == (
        OFFERED_G,
        0,
        CAP_G - OFFERED_G,
    )
    checked = verify(any_store)
    assert checked.ok, checked.problems
