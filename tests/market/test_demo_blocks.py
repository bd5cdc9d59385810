"""The demo's block trade and allowance auction helpers (issue 13, item 8)."""

from __future__ import annotations

from venue_world import CEA_CONTRACT, CONTRACT, T, build_venues

from pctrade.bootstrap.contexts import verify
from pctrade.demo_blocks import run_allowance_auction, run_block_trade
from pctrade.ledger.sql.store import SqlStore


def test_the_demo_runs_a_block_trade_and_an_auction_and_verify_passes(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    acc = w.accounts
    block = run_block_trade(
        w.app,
        CONTRACT,
        seller="plat",
        seller_account=acc["plat"],
        buyer="steel",
        buyer_account=acc["steel"],
        quantity_g=100_000 * T,
        price_fen_per_t=6_300,
    )
    assert block["state"] == "agreed" and block["trade"] is not None
    again = run_block_trade(
        w.app,
        CONTRACT,
        seller="plat",
        seller_account=acc["plat"],
        buyer="steel",
        buyer_account=acc["steel"],
        quantity_g=100_000 * T,
        price_fen_per_t=6_300,
    )
    assert again == block  # a rerun replays
    result = run_allowance_auction(
        w.app,
        CEA_CONTRACT,
        quantity_g=20_000 * T,
        reserve_price_fen_per_t=4_000,
        issue_batch="CEA-GD-ALLOC-2026-002",
        bids=[
            ("steel", acc["steel"], 4_300, 10_000 * T),
            ("plat", acc["plat"], 4_200, 8_000 * T),
            ("alice", acc["alice"], 4_100, 3_000 * T),
        ],
    )
    assert result["sold_g"] == 20_000 * T and result["clearing_price_fen_per_t"] == 4_100
    assert result["winning_bidder_count"] == 3 and result["cover_ratio_bps"] == 10_500
    report = verify(any_store)
    assert report.ok, report.problems
