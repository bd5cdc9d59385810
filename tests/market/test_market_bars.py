"""Daily bars: block trades count in the volume and never in a price, wherever shown.

The day has two order-book trades (6,000 and 6,050 fen/t) and a block trade at 6,500,
above the order book's high. The bar over HTTP (``/market/contracts/{code}/bars``), on
the command line (``pctrade market bars``) and in ``MarketReports.daily_bars`` must
agree: high 6,050, low 6,000, last 6,050, and the block's 100,000 t in the volume.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner
from venue_world import CONTRACT, DAY, T, build_venues

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade.cli.main import app as cli
from pctrade.demo_blocks import run_block_trade
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import reads
from pctrade.market.commands import PlaceOrder

BLOCK_G = 100_000 * T
BOOK_G = 15 * T


def _trade(w: object, n: int, price: int, quantity_g: int) -> None:
    market, ids = w.market, w.accounts  # type: ignore[attr-defined]
    sell = PlaceOrder(CONTRACT, ids["alice"], f"s{n}", "sell", price, quantity_g)
    buy = PlaceOrder(CONTRACT, ids["steel"], f"b{n}", "buy", price, quantity_g)
    market.place("alice", f"ks{n}", sell)
    assert market.place("steel", f"kb{n}", buy)["trades"], "the order book did not trade"


def test_a_block_trade_above_the_books_high_moves_no_price_in_any_bar(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    _trade(w, 1, 6_000, 10 * T)
    _trade(w, 2, 6_050, 5 * T)
    run_block_trade(
        w.app,
        CONTRACT,
        seller="plat",
        seller_account=w.accounts["plat"],
        buyer="steel",
        buyer_account=w.accounts["steel"],
        quantity_g=BLOCK_G,
        price_fen_per_t=6_500,
    )
    expected = {
        "day": DAY.isoformat(),
        "open_fen_per_t": 6_000,
        "high_fen_per_t": 6_050,
        "low_fen_per_t": 6_000,
        "last_fen_per_t": 6_050,
        "volume_g": BOOK_G + BLOCK_G,
        "trades": 3,
        "close_fen_per_t": None,  # the day is not closed yet
        "carried": None,
    }
    assert reads.bars(any_store, CONTRACT, DAY, DAY) == [expected]

    report = w.app.market_reports.daily_bars(CONTRACT, DAY.isoformat(), DAY.isoformat())
    assert len(report) == 1
    shared = ("open_fen_per_t", "high_fen_per_t", "low_fen_per_t", "last_fen_per_t")
    assert {k: report[0][k] for k in (*shared, "volume_g", "trades")} == {
        k: expected[k] for k in (*shared, "volume_g", "trades")
    }

    create_logins(w.app, ["alice"], "correct horse battery")
    client = TestClient(api_for(w.app))
    answer = client.get(
        f"/market/contracts/{CONTRACT}/bars",
        params={"first": DAY.isoformat(), "last": DAY.isoformat()},
        headers=bearer(w.app, "alice", "correct horse battery", 3_600),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["bars"] == [expected]

    if not any_store.url.startswith("sqlite"):
        return  # the command line's own store on PostgreSQL outlives it: pytest flags that
    day = DAY.isoformat()
    args = ["market", "bars", CONTRACT, "--first", day, "--last", day, "--db", any_store.url]
    out = CliRunner().invoke(cli, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    row = next(line for line in out.output.splitlines() if day in line)
    assert row.count("¥60.50/t") == 2 and "¥65.00/t" not in row  # high and last; no block
