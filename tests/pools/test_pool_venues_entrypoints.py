"""Pool sells over HTTP and on the command line (``pool`` on an order's and a block
proposal's body, ``--pool``): the platform sells, the emitter buys, the contributors are
paid; a refusal answers its code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pool_venue_world import CONTRACT, DAY, PLATFORM, VenueWorld, at, build, cash
from typer.testing import CliRunner, Result

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.cli.main import app as cli
from pctrade.ledger.sql.store import SqlStore

PASSWORD = "correct horse battery"


def test_a_pool_sell_and_a_pool_block_over_http(any_store: SqlStore) -> None:
    w = build(any_store)
    acc = w.accounts
    parties = [PLATFORM, "steel"]
    create_logins(w.app, parties, PASSWORD)
    auth = {p: bearer(w.app, p, PASSWORD, 86_400) for p in parties}
    client = TestClient(api_for(w.app))
    n = iter(range(1_000))

    def post(who: str, path: str, body: object) -> Any:
        return client.post(path, json=body, headers={**auth[who], "Idempotency-Key": f"k{next(n)}"})

    base = f"/market/contracts/{CONTRACT}"
    sell = {"account": acc[PLATFORM], "client_order_id": "p1", "side": "sell",
            "price_fen_per_t": 8_000, "quantity_g": 300_000, "pool": w.pool_id}  # fmt: skip
    placed = post(PLATFORM, f"{base}/orders", sell)
    assert placed.status_code == 201, placed.text
    assert placed.json()["entries"] == []
    too_much = post(PLATFORM, f"{base}/orders", {**sell, "client_order_id": "p2",
                                                  "quantity_g": 1_000_000})  # fmt: skip
    assert too_much.status_code == 409 and too_much.json()["code"] == "exceeds_pool"
    buy = {"account": acc["steel"], "client_order_id": "b1", "side": "buy",
           "price_fen_per_t": 8_000, "quantity_g": 300_000}  # fmt: skip
    bought = post("steel", f"{base}/orders", buy)
    assert bought.json()["state"] == "filled", bought.text
    assert cash(w.store, acc["alice"]) > 0

    w.clock.now = at(DAY, 13, 30)
    block = {"account": acc[PLATFORM], "counterparty": "steel", "side": "sell",
             "quantity_g": 900_000 + 40_000, "price_fen_per_t": 8_000, "expires_in_s": 600,
             "pool": w.pool_id}  # fmt: skip
    proposed = post(PLATFORM, f"{base}/blocks", {**block, "quantity_g": 1_000_000})
    assert proposed.json()["code"] == "exceeds_pool"  # 940,000 g are left
    other = post("steel", f"{base}/blocks", {**block, "account": acc["steel"]})
    assert other.status_code == 403 and other.json()["code"] == "not_pool_platform"
    now_s = int(w.clock.now.timestamp())
    offer = {"account": acc[PLATFORM], "quantity_g": 500_000, "reserve_price_fen_per_t": 7_600,
             "opens_at_s": now_s, "closes_at_s": now_s + 600, "pool": w.pool_id}  # fmt: skip
    announced = post(PLATFORM, f"{base}/auctions", offer)
    assert announced.status_code == 201, announced.text
    assert announced.json()["entries"] == []  # nothing frozen: the pool's holds deliver
    report = verify(w.store)
    assert report.ok, report.problems


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[VenueWorld, str]]:
    url = f"sqlite:///{tmp_path / 'pools.db'}"
    store = SqlStore(url)
    bootstrap.migrate(store)
    w = build(store)
    built = bootstrap.build

    def on_the_world_clock(*args: Any, **kwargs: Any) -> Any:
        return built(*args, **{**kwargs, "clock": w.clock})

    monkeypatch.setattr(bootstrap, "build", on_the_world_clock)
    yield w, url
    store.dispose()


def run(url: str, *args: str, code: int = 0) -> str:
    env = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": ""}
    result: Result = CliRunner().invoke(cli, [*args, "--db", url], env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_pool_sell_on_the_command_line(cli_world: tuple[VenueWorld, str]) -> None:
    w, url = cli_world
    plat, steel = str(w.accounts[PLATFORM]), str(w.accounts["steel"])
    out = run(url, "market", "place", CONTRACT, plat, "sell", "80yuan", "300kg", "--as",
              PLATFORM, "--id", "p1", "--pool", w.pool_id)  # fmt: skip
    assert "open" in out
    out = run(url, "market", "place", CONTRACT, steel, "buy", "80yuan", "300kg", "--as",
              "steel", "--id", "b1")  # fmt: skip
    assert "filled" in out
    refused = run(url, "market", "place", CONTRACT, plat, "sell", "80yuan", "2t", "--as",
                  PLATFORM, "--id", "p2", "--pool", w.pool_id, code=2)  # fmt: skip
    assert "exceeds_pool" in refused
    assert cash(w.store, w.accounts["bob"]) > 0
