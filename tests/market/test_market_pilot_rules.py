"""Contracts under the pilots' rule sets (Guangdong, Beijing) list and trade by their
own ``[trading]``: their sessions, their band, their calendar — the rules are data."""

from __future__ import annotations

import pytest
from market_world import DAY, T, at, build_market

from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import AmendOrder, ListContract, PlaceOrder

# (rule set, batch, the contract's code, a price at the top of its band, a moment in the
# national market's session that is outside its own)
PILOTS = [
    ("GD", "CCER-GD-AFF0010-2027-001", "CCER-GD-2027", 6_600, (13, 15)),
    ("BJ", "CCER-BJ-AFF0001-2027-001", "CCER-BJ-2027", 7_150, (15, 0)),
]


@pytest.mark.parametrize(("market", "batch", "code", "high", "closed"), PILOTS)
def test_a_pilot_contract_lists_and_trades_under_its_own_rules(
    store: SqlStore, market: str, batch: str, code: str, high: int, closed: tuple[int, int]
) -> None:
    w = build_market(store)
    acc, m = w.accounts, w.market
    w.app.registry.issue("reg", "i-pilot", c.Issue(batch, [acc["alice"]], [20 * T]))
    parts = code.split("-")
    listing = ListContract(parts[0], parts[1], parts[2], market, reference_price_fen_per_t=6_000)
    listed = m.list_contract("registry", "l-pilot", listing)
    assert (listed["contract"], listed["rule_set"].split("/")[0]) == (code, market)

    sold = m.place("alice", "a1", PlaceOrder(code, acc["alice"], "s1", "sell", 6_000, 3 * T))
    bought = m.place("steel", "e1", PlaceOrder(code, acc["steel"], "b1", "buy", 6_000, 2 * T))
    assert bought["state"] == "filled" and len(bought["trades"]) == 1
    up = AmendOrder(code, sold["order_id"], high, 3 * T)  # 1 t left, at the band's top
    assert m.amend("alice", "a2", up)["state"] == "open"

    # the band is the pilot's: ±10 % in Guangdong, ±20 % in Beijing
    band_bps = 1_000 if market == "GD" else 2_000
    outside = 6_000 * (10_000 + band_bps) // 10_000 + 10
    with pytest.raises(PctradeError) as refused:
        m.place("steel", "e2", PlaceOrder(code, acc["steel"], "b2", "buy", outside, T))
    assert refused.value.code == "price_outside_band"
    # its sessions too: open in the national market's afternoon, closed in its own
    w.clock.now = at(DAY, *closed)
    with pytest.raises(PctradeError) as shut:
        m.place("steel", "e3", PlaceOrder(code, acc["steel"], "b3", "buy", 6_000, T))
    assert shut.value.code == "market_closed"
    w.clock.now = at(DAY, 14, 0)
    late = m.place("steel", "e4", PlaceOrder(code, acc["steel"], "b4", "buy", high, T))
    assert late["state"] == "filled"  # alice's amended order, at its price
