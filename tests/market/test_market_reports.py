"""Surveillance and market-data queries over the registry (issue 13, item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from market_world import at, positions_rules
from venue_world import CONTRACT, DAY, T, build_venues

from pctrade.identity.commands import Onboard
from pctrade.identity.model import Facts, RiskLevel, VerificationMethod
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import AmendOrder, CancelOrder, PlaceOrder
from pctrade.market.venue_commands import AcceptBlock, ProposeBlock
from pctrade.rules import RuleBook


def test_order_actions_carry_the_touch_and_the_report_finds_a_dominant_party(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    acc = w.accounts
    w.clock.now = at(DAY, 13, 5)
    m = w.market
    first = m.place("steel", "o1", PlaceOrder(CONTRACT, acc["steel"], "b1", "buy", 5_990, 2 * T))
    second = m.place("steel", "o2", PlaceOrder(CONTRACT, acc["steel"], "b2", "buy", 5_980, 2 * T))
    m.amend("steel", "o3", AmendOrder(CONTRACT, second["order_id"], 5_985, 1 * T))
    m.cancel("steel", "o4", CancelOrder(CONTRACT, first["order_id"]))
    with any_store.reader() as uow:
        records = w.app.market_reports.order_records(uow, CONTRACT)
    got = [(r.action, r.price_fen_per_t, r.quantity_g, r.touch_fen_per_t) for r in records]
    assert got == [
        ("place", 5_990, 2 * T, None),  # the bid side was empty
        ("place", 5_980, 2 * T, 5_990),
        ("amend", 5_985, 1 * T, 5_990),
        ("cancel", 5_990, 2 * T, 5_990),
    ]
    m.place("steel", "o5", PlaceOrder(CONTRACT, acc["steel"], "b3", "buy", 6_000, 2_000 * T))
    m.place("plat", "o6", PlaceOrder(CONTRACT, acc["plat"], "s1", "sell", 6_000, 2_000 * T))
    w.clock.now = at(DAY, 13, 30)
    p = w.app.blocks.propose(
        "plat", "p1", ProposeBlock(CONTRACT, acc["plat"], "steel", "sell", 100_000 * T, 6_000, 600)
    )
    w.app.blocks.accept("steel", "a1", AcceptBlock(CONTRACT, p["proposal_id"], acc["steel"]))
    report = w.app.market_reports.abnormal_trading(
        "reg", CONTRACT, DAY.isoformat(), DAY.isoformat()
    )
    assert report["trades"] == 2 and report["order_actions"] == 6
    kinds = {(f["kind"], tuple(f["parties"])) for f in report["findings"]}
    # each side of the day's one listing trade is all of its volume (blocks do not count)
    assert kinds == {("concentration", ("steel",)), ("concentration", ("plat",))}
    tape = w.app.market_reports.tape(CONTRACT, DAY.isoformat(), DAY.isoformat())
    assert [(t["mode"], t["quantity_g"]) for t in tape] == [
        ("listing", 2_000 * T),
        ("block", 100_000 * T),
    ]
    assert "steel" not in str(tape)
    with pytest.raises(PctradeError) as err:
        w.app.market_reports.abnormal_trading("steel", CONTRACT, DAY.isoformat(), DAY.isoformat())
    assert err.value.code == "forbidden"


def test_the_large_holder_report_names_holders_above_the_threshold(any_store: SqlStore) -> None:
    rules = positions_rules()
    cn = rules.in_force("CN", DAY)
    assert cn.positions is not None
    lowered = replace(cn, positions=replace(cn.positions, disclosure_g=100 * T))
    book = RuleBook([lowered, *(r for r in rules.rule_sets() if r is not cn)])
    w = build_venues(any_store, rules=book)
    report = w.app.market_reports.large_holders("reg", "CN", DAY.isoformat())
    holders = {h["party"]: h["holding_g"] for h in report["holders"]}
    # the platform holds 300,050 t of CCER; the auction account (the registry's) 10,000 t CEA
    assert holders["plat"] == 300_100 * T
    assert "alice" not in holders  # 100 t, not above 100 t


def test_trades_between_two_people_one_platform_onboarded_are_wash_trades(
    any_store: SqlStore,
) -> None:
    w = build_venues(any_store)
    app = w.app
    facts = Facts(
        real_name_verified=True,
        real_name_verified_on=date(2026, 1, 5),
        real_name_method=VerificationMethod.CTID,
        risk_level=RiskLevel.C3,
        risk_assessed_on=date(2026, 1, 5),
        birth_date=date(1990, 3, 1),
    )
    ids = {}
    for name in ("dan", "eve"):
        cmd = Onboard(
            name, Role.INDIVIDUAL, name.title(), f"{name}-login", "pw-long-enough-1", facts
        )
        ids[name] = int(app.identity.onboard("plat", f"on-{name}", cmd).payload["account"])
    app.registry.issue(
        "reg", "i-dan", c.Issue("CCER-CN-AFF0010-2026Q3-001", [ids["dan"]], [10 * T])
    )
    app.registry.deposit("reg", "d-eve", c.Deposit(ids["eve"], 10_000_000, "bank-eve"))
    w.clock.now = at(DAY, 13, 5)
    for n in range(3):
        sell = PlaceOrder(CONTRACT, ids["dan"], f"s{n}", "sell", 6_000, 1 * T)
        app.market.place("dan", f"ws{n}", sell)
        buy = PlaceOrder(CONTRACT, ids["eve"], f"b{n}", "buy", 6_000, 1 * T)
        assert app.market.place("eve", f"wb{n}", buy)["trades"]
    report = app.market_reports.abnormal_trading("reg", CONTRACT, DAY.isoformat(), DAY.isoformat())
    wash = [f for f in report["findings"] if f["kind"] == "wash_trade"]
    assert [tuple(f["parties"]) for f in wash] == [("dan", "eve")]
    assert "same_agent" in wash[0]["detail"]
