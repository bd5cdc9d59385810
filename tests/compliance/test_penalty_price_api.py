"""The penalty's price through the app as wired (bootstrap hands compliance the market's
query): over HTTP, on the CLI and on the emitter desk, for a Shenzhen emitter short of
its 2025 allowances, valued at the one trade of Shenzhen allowances in its window.

Shenzhen (3 × the six months' average price) because its period's window, 1 January to
30 June 2026, holds the year world's day (2 March 2026) and has passed on the CLI's wall
clock, so the same trade prices the provisional status and the final one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from year_world import T, Year, build

from api_support import api_for
from identity_support import PASSWORD, bearer, create_logins
from pctrade.api.app import create_app
from pctrade.cli.main import app as cli
from pctrade.ledger import commands as c
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract, PlaceOrder

PARTIES = ("reg", "plant-a", "plant-b")
PRICE_FEN_PER_T = 6_012
SHORT_T = 900
FINE_FEN = 3 * SHORT_T * PRICE_FEN_PER_T  # Shenzhen: three times the value
_HIDDEN = re.compile(r'name="(csrf_token|idempotency_key)" value="([^"]+)"')
_TAG, _SPACE = re.compile(r"<[^>]+>"), re.compile(r"\s+")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Year, str]]:
    url = f"sqlite:///{tmp_path / 'price.db'}"
    y = build(SqlStore(url))
    assert datetime(2026, 1, 1, tzinfo=UTC) < y.clock() < datetime(2026, 6, 30, tzinfo=UTC)
    y.cap("SZ", 10_000 * T)
    cea = y.allocate("SZ", {"plant-a": 1_000, "plant-b": 1_000})  # 825 t each
    y.confirm("plant-a", "SZ", SHORT_T * T)  # nothing surrendered: 900 t short
    reg, a, b = y.app.registry, y.accounts["plant-a"], y.accounts["plant-b"]
    reg.deposit("reg", "d-a", c.Deposit(a, 100_000_000, "bank-a"))
    listing = ListContract("CEA", "SZ", "2025", reference_price_fen_per_t=6_000)
    contract = y.app.market.list_contract("registry", "list-sz", listing)["contract"]
    y.app.market.place("plant-b", "s", PlaceOrder(contract, b, "s", "sell", PRICE_FEN_PER_T, T))
    y.app.market.place("plant-a", "b", PlaceOrder(contract, a, "b", "buy", PRICE_FEN_PER_T, T))
    assert cea.startswith("CEA-SZ-")
    create_logins(y.app, PARTIES, PASSWORD)
    yield y, url
    y.app.close()


def _market_price(price: dict[str, Any]) -> None:
    assert price == {
        "price_fen_per_t": PRICE_FEN_PER_T,
        "basis": "market",
        "first_day": "2026-01-01",
        "last_day": "2026-06-30",
        "trades": 1,
        "quantity_g": T,
        "cash_fen": PRICE_FEN_PER_T,
    }


def test_the_price_over_http(world: tuple[Year, str]) -> None:
    y, _ = world
    headers = {p: bearer(y.app, p, PASSWORD) for p in PARTIES}
    path = f"/compliance/status/SZ/2025/{y.accounts['plant-a']}"
    with TestClient(api_for(y.app)) as client:
        status = client.get(path, headers=headers["plant-a"]).json()
        assert (status["status"], status["shortfall_g"], status["final"]) == ("B", 900 * T, False)
        penalty = status["penalty"]
        assert (penalty["fine_min_fen"], penalty["fine_max_fen"]) == (FINE_FEN, FINE_FEN)
        assert penalty["rule_set"] == "SZ/2021-12-16"
        _market_price(penalty["price"])

        given = client.get(path, params={"price_fen_per_t": 7_000}, headers=headers["plant-a"])
        assert given.json()["penalty"]["price"]["basis"] == "given"
        assert given.json()["penalty"]["fine_min_fen"] == 3 * SHORT_T * 7_000
        for bad in (0, -5, "sixty"):
            refused = client.get(path, params={"price_fen_per_t": bad}, headers=headers["plant-a"])
            assert refused.status_code == 422, refused.text

        report = client.get("/compliance/status/SZ/2025", headers=headers["reg"]).json()
        _market_price(report["price"])
        assert report["penalty_rule_set"] == "SZ/2021-12-16"


def test_the_price_on_the_cli(world: tuple[Year, str]) -> None:
    y, url = world
    account = str(y.accounts["plant-a"])
    env = {"COLUMNS": "240", "PCTRADE_DATABASE_URL": ""}

    def status(*extra: str) -> str:
        args = ["compliance", "status", "SZ", "2025", account, "--as", "plant-a", "--db", url]
        result = CliRunner().invoke(cli, [*args, *extra], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return _SPACE.sub(" ", result.output)

    out = status()  # the wall clock: past the deadline, the same window and trade
    assert "status B" in out and "final" in out
    assert "¥162,324.00" in out and "rule set 规则 SZ/2021-12-16" in out
    assert "¥60.12/t, the average of 1 allowance trade (1 t) 2026-01-01 – 2026-06-30" in out
    given = status("--price-fen-per-t", "7000")
    assert "¥70.00/t, the price given" in given and "¥189,000.00" in given
    as_json = status("--json")
    assert '"basis": "market"' in as_json
    bad = CliRunner().invoke(
        cli,
        ["compliance", "status", "SZ", "2025", account, "--as", "plant-a", "--db", url,
         "--price-fen-per-t", "0"],
        env=env,
        catch_exceptions=False,
    )  # fmt: skip
    assert bad.exit_code != 0 and "bad_price" in bad.output


@pytest.mark.parametrize(
    ("lang", "valued"),
    [
        (
            "en",
            "¥60.12/t, the average price of the allowance trades from Jan 1, 2026 to "
            "Jun 30, 2026 (trades: 1, 1 t)",
        ),
        ("zh", "¥60.12/吨，2026年1月1日至2026年6月30日配额成交的平均成交价格（1 笔，1 吨）"),
    ],
)
def test_the_price_on_the_emitter_desk(world: tuple[Year, str], lang: str, valued: str) -> None:
    y, _ = world
    with TestClient(create_app(y.app)) as client:  # its own: the pages keep their app
        fields = dict(_HIDDEN.findall(client.get("/web/login").text))
        fields |= {"username": "plant-a", "password": PASSWORD, "next": ""}
        assert client.post("/web/login", data=fields, follow_redirects=False).status_code == 303
        html = client.get(f"/web/desk?lang={lang}").text
    main = html[html.index("<main") : html.index("</main>")]
    text = _SPACE.sub(" ", _TAG.sub(" ", main))
    assert "SZ 2025" in text
    assert "¥162,324.00" in text and "SZ/2021-12-16" in text
    assert valued in text, text
