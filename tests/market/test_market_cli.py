"""``pctrade market …``: listing, orders, the book, trades, bars and the close, as a
person types them (Typer's CliRunner), on the market test world's SQLite database.

The CLI builds its app with the system clock; here it is built on the world's clock
(``bootstrap.build`` wrapped), which the test moves through the day.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from market_world import DAY, MarketWorld, at, build_market
from typer.testing import CliRunner, Result

from pctrade import bootstrap
from pctrade.cli.main import app
from pctrade.ledger.sql.store import SqlStore

ENV = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
C = "CCER-CN-2026Q3"


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MarketWorld, str]]:
    url = f"sqlite:///{tmp_path / 'market.db'}"
    store = SqlStore(url)
    w = build_market(store)
    built = bootstrap.build

    def on_the_world_clock(*args: Any, **kwargs: Any) -> Any:
        return built(*args, **{**kwargs, "clock": w.clock})

    monkeypatch.setattr(bootstrap, "build", on_the_world_clock)
    yield w, url
    store.dispose()


def run(url: str, *args: str, code: int = 0) -> str:
    result: Result = CliRunner().invoke(app, [*args, "--db", url], env=ENV, catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_day_on_the_command_line(cli_world: tuple[MarketWorld, str]) -> None:
    w, url = cli_world
    alice, steel = str(w.accounts["alice"]), str(w.accounts["steel"])
    assert C in run(url, "market", "contracts")
    out = run(
        url, "market", "place", C, alice, "sell", "61yuan", "2t", "--as", "alice", "--id", "a1"
    )
    assert "order 委托 1 open" in out
    out = run(url, "market", "place", C, steel, "buy", "6150", "1t", "--as", "steel", "--id", "b1")
    assert "order 委托 2 filled" in out and f"{C}-2-1" in out
    book = run(url, "market", "depth", C)
    assert "五档 Depth" in book and "¥61.00/t" in book and "1 t" in book
    tape = run(url, "market", "trades", C)
    assert f"{C}-2-1" in tape and "buy" in tape
    amended = run(url, "market", "amend", C, "1", "61yuan", "1.5t", "--as", "alice", code=2)
    assert "error [quantity_off_lot]" in amended
    run(url, "market", "place", C, steel, "buy", "60yuan", "3t", "--as", "steel", "--id", "b2")
    assert "order 委托 3 cancelled" in run(url, "market", "cancel", C, "3", "--as", "steel")
    again = run(url, "market", "cancel", C, "3", "--as", "steel", code=2)
    assert "error [order_cancelled]" in again
    mine = run(url, "market", "orders", "--as", "steel")
    assert "b1" in mine and "b2" in mine and "cancelled" in mine
    carol = str(w.accounts["carol"])
    refused = run(
        url,
        "market",
        "place",
        C,
        carol,
        "sell",
        "61yuan",
        "1t",
        "--as",
        "carol",
        "--id",
        "c1",
        code=2,
    )
    for text in (
        "error [not_eligible]",
        "real_name_not_verified",
        "under_age",
        "no_risk_assessment",
        "pool",
    ):
        assert text in refused
    early = run(url, "market", "close-day", C, DAY.isoformat(), "--as", "registry", code=2)
    assert "error [session_not_ended]" in early
    w.clock.now = at(DAY, 15, 30)
    closed = run(url, "market", "close-day", C, DAY.isoformat(), "--as", "registry")
    assert "close 收盘 ¥61.00/t" in closed and "volume 成交量 1 t" in closed
    bars = run(url, "market", "bars", C, "--first", "2026-12-01", "--last", "2026-12-31")
    assert "2026-12-07" in bars and "¥61.00/t" in bars
    late = run(
        url,
        "market",
        "place",
        C,
        steel,
        "buy",
        "61yuan",
        "1t",
        "--as",
        "steel",
        "--id",
        "b9",
        code=2,
    )
    assert "error [market_closed]" in late


def test_listing_a_contract_is_the_operators(cli_world: tuple[MarketWorld, str]) -> None:
    _w, url = cli_world
    out = run(
        url,
        "market",
        "list-contract",
        "CEA",
        "GD",
        "2025",
        "--as",
        "registry",
        "--reference",
        "60yuan",
    )
    assert "listed 挂牌 CEA-GD-2025 under CN/" in out
    refused = run(url, "market", "list-contract", "CEA", "GD", "2024", "--as", "alice", code=2)
    assert "error [forbidden]" in refused
    listed = run(url, "market", "contracts")
    assert "CEA-GD-2025" in listed and "¥60.00/t" in listed
