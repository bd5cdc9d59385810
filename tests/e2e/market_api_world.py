"""The market's API tests' world: the funded cast on a trading day, a CCER contract.

The clock stands on Monday 2026-12-07, 10:00 China Standard Time (the morning
session). Alice is an eligible individual (real name, adult, risk assessment, 5 t of
CCER); Bob is not (no verified real name, under age, no risk assessment); steelco, the
key emitter, has ¥1,000,000 to buy with. CCER-CN-2026Q3 is listed at ¥80/t (band
¥72..¥88).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from api_world import PASSWORD, World

from identity_support import bearer
from pctrade.bootstrap import App
from pctrade.identity.commands import RecordFacts
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.ledger import commands as c

CONTRACT = "CCER-CN-2026Q3"
T = 1_000_000
PRICE = 8_000  # fen per tonne
TRADING_MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 CST, Monday
AFTER_CLOSE = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 15:30 CST
TOKEN_TTL_S = 24 * 3600


def open_market(world: World, wired: App, clock: Any) -> World:
    clock.now = TRADING_MORNING
    for party in [*world.headers]:
        if party != "plat-key":  # an API key does not expire
            world.headers[party] = bearer(wired, party, PASSWORD, TOKEN_TTL_S)
    alice = Facts(
        real_name_verified=True,
        real_name_verified_on=date(2026, 1, 5),
        real_name_method=VerificationMethod.CTID,
        risk_level=RiskLevel.C3,
        risk_assessed_on=date(2026, 1, 5),
        birth_date=date(1990, 3, 1),
    )
    wired.identity.record_facts("registry", "facts-alice", RecordFacts("alice", alice))
    bob = Facts(real_name_verified=False, birth_date=date(2012, 6, 1))
    wired.identity.record_facts("registry", "facts-bob", RecordFacts("bob", bob))
    steel = c.Deposit(world.accounts["steelco"], 100_000_000, "bank-steel")
    wired.registry.deposit("registry", "deposit-steel", steel)
    body = {
        "instrument": "CCER",
        "jurisdiction": "CN",
        "vintage": "2026Q3",
        "reference_price_fen_per_t": PRICE,
    }
    listed = world.post("registry", "/market/contracts", body)
    assert listed.status_code == 201, listed.text
    assert listed.json()["contract"] == CONTRACT
    return world


def order(
    world: World, who: str, side: str, price: int, qty: int, coid: str, **more: Any
) -> dict[str, Any]:
    return {
        "account": world.accounts[who],
        "client_order_id": coid,
        "side": side,
        "price_fen_per_t": price,
        "quantity_g": qty,
        **more,
    }


ORDERS = f"/market/contracts/{CONTRACT}/orders"
