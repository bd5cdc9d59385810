"""What contributors, the public and the regulator see of pool sales (issue 14 item 5)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sale_support import (
    POOL,
    TERMS,
    DepositForTest,
    PoolWorld,
    a_sale,
    deposit,
    open_pool,
    pool_world,
    sell,
)

from pctrade.kernel.errors import Forbidden, PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools import sale_reports as reports

POOL_2 = "POOL-GD-0002"


def _two_platforms(store: SqlStore) -> PoolWorld:
    """Two sales of POOL (platform ``plat``), one of POOL_2 (``plat2``, a 3% fee)."""
    pw = pool_world(store)
    w = pw.w
    opened = w.reg.open_account(
        "registry", "o-plat2", c.OpenAccount("plat2", Role.PLATFORM, "Plat2")
    )
    plat2 = int(opened.payload["account"])
    open_pool(w.reg, POOL_2, "plat2", plat2, replace(TERMS, fee_bps=300))
    deposit(w.reg, "bob", "dep-b2", DepositForTest(POOL_2, w.bob, pw.asset, 10))
    sell(w.reg, "s-1", a_sale(pw))
    sell(w.reg, "s-2", a_sale(pw, quantity_g=1_000, price=700_000, sale_id="S-2"))
    sale_2 = replace(
        a_sale(pw, quantity_g=10, sale_id="P2-1"), pool_id=POOL_2, platform_account=plat2
    )
    sell(w.reg, "s-3", replace(sale_2, pool_fee_bps=300))
    return pw


def test_a_contributor_has_a_line_per_sale_that_reads_gross_minus_fee_is_net(
    store: SqlStore,
) -> None:
    pw = _two_platforms(store)
    mine = reports.statement(store, "alice", pw.w.alice)
    assert [x["sale"] for x in mine["lines"]] == ["S-2", "S-1"]  # newest first
    assert [x["units_g"] for x in mine["lines"]] == [400, 800]  # 2 of the pool's 5 kg, then 2 of 3
    assert all(x["gross_fen"] - x["fee_fen"] == x["net_fen"] for x in mine["lines"])
    assert mine["lines"][1]["price_fen_per_t"] == 600_000
    bob = reports.statement(store, "bob", pw.w.bob, pool_id=POOL_2)
    assert [(x["sale"], x["units_g"]) for x in bob["lines"]] == [("P2-1", 10)]
    with pytest.raises(Forbidden):
        reports.statement(store, "bob", pw.w.alice)
    assert reports.statement(store, "reg", pw.w.alice)["net_fen"] == mine["net_fen"]


def test_contributors_see_every_sale_of_their_pool_and_strangers_do_not(store: SqlStore) -> None:
    _two_platforms(store)
    seen = reports.sales_of_pool(store, "alice", POOL)
    assert [(s["sale"], s["price_fen_per_t"], s["quantity_g"]) for s in seen["sales"]] == [
        ("S-1", 600_000, 2_000),
        ("S-2", 700_000, 1_000),
    ]
    assert seen["sales"][0]["pool_fee_fen"] == 59 and seen["sales"][0]["trade_fee_fen"] == 3
    page = reports.sales_of_pool(store, "plat", POOL, limit=1)
    assert [s["sale"] for s in page["sales"]] == ["S-1"]
    rest = reports.sales_of_pool(store, "plat", POOL, after_seq=page["next_after"])
    assert [s["sale"] for s in rest["sales"]] == ["S-2"] and rest["next_after"] is None
    with pytest.raises(Forbidden):
        reports.sales_of_pool(store, "alice", POOL_2)  # alice has no units in it
    with pytest.raises(PctradeError) as exc:
        reports.sales_of_pool(store, "alice", POOL, limit=0)
    assert exc.value.code == "bad_limit"


def test_the_public_page_aggregates_without_naming_anyone(store: SqlStore) -> None:
    pw = _two_platforms(store)
    page = reports.public_pool(store, POOL)
    assert (page["sales"], page["volume_g"], page["gross_fen"]) == (2, 3_000, 1_900)
    assert (page["price_min_fen_per_t"], page["price_max_fen_per_t"]) == (600_000, 700_000)
    assert page["price_avg_fen_per_t"] == 633_333
    assert page["contributors_paid"] == 2
    text = repr(page)
    assert all(str(a) not in text for a in (pw.w.alice, pw.w.bob, pw.w.steel))
    assert "alice" not in text and "steel" not in text


def test_the_regulator_sees_fee_levels_and_payout_delays_per_platform(store: SqlStore) -> None:
    _two_platforms(store)
    report = reports.fee_levels(store, "reg")
    rows = {p["platform"]: p for p in report["platforms"]}
    assert set(rows) == {"plat", "plat2"}
    assert (rows["plat"]["sales"], rows["plat"]["pool_fee_bps_max"]) == (2, 500)
    assert (rows["plat2"]["sales"], rows["plat2"]["pool_fee_bps_min"]) == (1, 300)
    assert rows["plat"]["pool_fee_effective_bps"] <= 500
    assert rows["plat"]["payout_delay_s_max"] == 0 == rows["plat2"]["payout_delay_s_avg"]
    with pytest.raises(Forbidden):
        reports.fee_levels(store, "alice")
