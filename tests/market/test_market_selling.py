"""What a holder is told before selling (``market.selling``): the market's own decision.

Alice holds 35 kg of carbon-inclusive PCER, Bob 5 kg (less than the 10 kg lot the
national rules make the personal-credit minimum). The read says Alice may sell and
Bob may not, naming the condition; the market then decides the same way when each
places a sell, so a wallet never says "you may" where the market would refuse.
"""

from __future__ import annotations

from datetime import date

import pytest
from market_world import DAY, MarketWorld, at, build_market

from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import ListContract, PlaceOrder
from pctrade.market.eligibility import NotEligible
from pctrade.market.selling import SellStanding, direct_selling
from personal_credits import issue_pcer

KG = 1_000
PCER = "PCER-GD-2026Q3"


def _world(store: SqlStore) -> MarketWorld:
    w = build_market(store)
    issue_pcer(
        w.app, {w.accounts["alice"]: 35 * KG, w.accounts["bob"]: 5 * KG}, day=date(2026, 9, 15)
    )
    listing = ListContract("PCER", "GD", "2026Q3", reference_price_fen_per_t=8_000)
    w.market.list_contract("registry", "list-pcer", listing)
    w.clock.now = at(DAY, 10, 0)
    return w


def _pcer(w: MarketWorld, who: str) -> SellStanding:
    shown = direct_selling(w.app.store, w.app.rules, who, w.accounts[who], DAY)
    return next(s for s in shown if s.contract == PCER)


def test_the_read_and_the_market_agree_on_who_may_sell_directly(any_store: SqlStore) -> None:
    w = _world(any_store)
    alice = _pcer(w, "alice")
    bob = _pcer(w, "bob")
    assert (alice.held_g, alice.available_g, alice.lot_g) == (35 * KG, 35 * KG, 10 * KG)
    assert alice.eligible and alice.reference_price_fen_per_t == 8_000
    assert not bob.eligible
    assert [str(code) for code, _ in bob.decision.failed] == ["holding_below_min"]
    assert bob.decision.rule_set.startswith("CN/")
    order = PlaceOrder(PCER, w.accounts["bob"], "b", "sell", 8_000, 10 * KG)
    with pytest.raises(NotEligible) as refused:
        w.market.place("bob", "k-bob", order)
    assert refused.value.failed == bob.decision.failed
    sell = PlaceOrder(PCER, w.accounts["alice"], "a", "sell", 8_000, 10 * KG)
    w.market.place("alice", "k-alice", sell)
    # The order froze one lot: still held (the minimum counts it), no longer offered.
    after = _pcer(w, "alice")
    assert (after.held_g, after.available_g) == (35 * KG, 25 * KG)


def test_only_contracts_held_are_shown(any_store: SqlStore) -> None:
    w = _world(any_store)
    shown = direct_selling(any_store, w.app.rules, "steel", w.accounts["steel"], DAY)
    assert PCER not in [s.contract for s in shown]
