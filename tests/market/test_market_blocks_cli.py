"""``pctrade market`` block, auction and report commands (issue 13, item 7)."""

from __future__ import annotations

from typer.testing import CliRunner
from venue_world import CEA_CONTRACT, CONTRACT, DAY, T, build_venues

from pctrade.cli.market_blocks import app
from pctrade.demo_blocks import run_block_trade
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def test_statement_bars_and_a_refusal_from_the_command_line(
    store: SqlStore, sqlite_url: str
) -> None:
    w = build_venues(store)
    acc = w.accounts
    run_block_trade(
        w.app,
        CONTRACT,
        seller="plat",
        seller_account=acc["plat"],
        buyer="steel",
        buyer_account=acc["steel"],
        quantity_g=100_000 * T,
        price_fen_per_t=6_300,
    )
    runner = CliRunner()
    day = DAY.isoformat()
    args = ["statement", str(acc["steel"]), day, "--as", "steel", "--db", sqlite_url]
    out = runner.invoke(app, args, env=ENV)
    assert out.exit_code == 0, out.output
    assert "block" in out.output and "-630315000" in out.output.replace(",", "")
    out = runner.invoke(app, ["bars", CONTRACT, day, day, "--db", sqlite_url], env=ENV)
    assert out.exit_code == 0 and '"volume_g": 100000000000' in out.output
    refused = ["auction-clear", CEA_CONTRACT, "99", "--as", "registry", "--db", sqlite_url]
    out = runner.invoke(app, refused, env=ENV)
    assert out.exit_code == 2 and "unknown_auction" in out.output
