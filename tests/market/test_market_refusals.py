"""Every bad order gets its own stable code and freezes or moves nothing (issue 13).

Each refusal is checked on SQLite and PostgreSQL against a snapshot of every balance,
every hold, the journal head and every market row, taken just before it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import resources

import pytest
import sqlalchemy as sa
from market_world import CONTRACT, DAY, MarketWorld, T, at, build_market, holdings, market_rows

from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import AmendOrder, CancelOrder, PlaceOrder
from pctrade.rules import RuleBook, load_text, shipped


def _state(store: SqlStore) -> object:
    with store.engine.connect() as conn:
        head = conn.execute(sa.select(schema.registry_head.c.last_seq)).scalar_one()
    return head, holdings(store), market_rows(store)


def _refused(w: MarketWorld, code: str, attempt: Callable[[], object]) -> str:
    before = _state(w.app.store)
    with pytest.raises(PctradeError) as err:
        attempt()
    assert err.value.code == code, err.value
    assert _state(w.app.store) == before
    return err.value.message


def _buy(w: MarketWorld, who: str, coid: str, price: int, qty: int) -> PlaceOrder:
    return PlaceOrder(CONTRACT, w.accounts[who], coid, "buy", price, qty)


def _sell(w: MarketWorld, who: str, coid: str, price: int, qty: int) -> PlaceOrder:
    return PlaceOrder(CONTRACT, w.accounts[who], coid, "sell", price, qty)


def test_orders_with_bad_numbers_are_refused_by_their_own_codes(any_store: SqlStore) -> None:
    w = build_market(any_store)  # reference 6,000 fen/t: band 5,400..6,600
    m = w.market
    _refused(
        w, "price_outside_band", lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_601, T))
    )
    _refused(
        w, "price_outside_band", lambda: m.place("alice", "k", _sell(w, "alice", "s", 5_399, T))
    )
    _refused(
        w, "quantity_off_lot", lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_000, T // 2))
    )
    too_big = 100_000 * T
    _refused(
        w,
        "quantity_above_max",
        lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_000, too_big)),
    )
    _refused(
        w, "quantity_not_positive", lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_000, 0))
    )
    _refused(w, "price_not_positive", lambda: m.place("steel", "k", _buy(w, "steel", "b", 0, T)))


def test_an_order_off_the_tick_is_refused(any_store: SqlStore) -> None:
    text = (resources.files("pctrade.rules") / "data" / "CN" / "2024-05-01.toml").read_text()
    coarse = load_text(text.replace("price_step_fen_per_t = 1 ", "price_step_fen_per_t = 10 "))
    others = [r for r in shipped().rule_sets() if r.version != coarse.version]
    w = build_market(any_store, rules=RuleBook([*others, coarse]))
    m = w.market
    _refused(w, "price_off_tick", lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_005, T)))
    m.place("steel", "k", _buy(w, "steel", "b", 6_010, T))


def test_insufficient_funds_and_credits_are_refused(any_store: SqlStore) -> None:
    w = build_market(any_store)
    m = w.market
    # steel has 1,000,000 yuan; 2,000 t at 6,000 fen/t is 12,000,000 fen plus the fee
    _refused(
        w,
        "insufficient_funds",
        lambda: m.place("steel", "k", _buy(w, "steel", "b", 6_000, 20_000 * T)),
    )
    _refused(
        w,
        "insufficient_credits",
        lambda: m.place("alice", "k", _sell(w, "alice", "s", 6_000, 101 * T)),
    )


def test_an_ineligible_individual_is_told_each_condition_and_the_pool(any_store: SqlStore) -> None:
    w = build_market(any_store)
    message = _refused(
        w, "not_eligible", lambda: w.market.place("carol", "k", _sell(w, "carol", "s", 6_000, T))
    )
    for condition in ("real_name_not_verified", "under_age", "no_risk_assessment"):
        assert condition in message
    assert "pool" in message and "CN/2024-05-01" in message
    # an institution with no facts, and the regulator, may not trade either
    _refused(w, "not_eligible", lambda: w.market.place("fund", "k", _buy(w, "fund", "b", 6_000, T)))


def test_orders_outside_a_session_or_on_a_closed_day_are_refused(any_store: SqlStore) -> None:
    w = build_market(any_store)
    order = _buy(w, "steel", "b", 6_000, T)
    for moment in (
        at(DAY, 9, 29),
        at(DAY, 12, 0),
        at(DAY, 15, 0),
        at(date(2026, 12, 5), 10, 0),  # a Saturday
        at(date(2026, 10, 1), 10, 0),  # 国庆
    ):
        w.clock.now = moment
        _refused(w, "market_closed", lambda: w.market.place("steel", "k", order))
    w.clock.now = at(DAY, 13, 0)
    w.market.place("steel", "k", order)


def test_units_bought_today_are_not_sold_today(any_store: SqlStore) -> None:
    w = build_market(any_store)
    m = w.market
    m.place("alice", "k1", _sell(w, "alice", "s1", 6_000, 3 * T))
    m.place("steel", "k2", _buy(w, "steel", "b1", 6_000, 3 * T))
    _refused(
        w, "resale_too_soon", lambda: m.place("steel", "k3", _sell(w, "steel", "s2", 6_000, T))
    )


def test_cancelling_or_amending_a_filled_or_anothers_order_is_refused(any_store: SqlStore) -> None:
    w = build_market(any_store)
    m = w.market
    ask = m.place("alice", "k1", _sell(w, "alice", "s1", 6_000, 3 * T))["order_id"]
    bid = m.place("bob", "k2", _buy(w, "bob", "b1", 5_900, 3 * T))["order_id"]
    _refused(w, "not_order_owner", lambda: m.cancel("steel", "k3", CancelOrder(CONTRACT, ask)))
    amend = AmendOrder(CONTRACT, bid, 5_950, 3 * T)
    _refused(w, "not_order_owner", lambda: m.amend("alice", "k3", amend))
    m.place("steel", "k4", _buy(w, "steel", "b2", 6_000, 3 * T))
    _refused(w, "order_filled", lambda: m.cancel("alice", "k5", CancelOrder(CONTRACT, ask)))
    _refused(
        w, "order_filled", lambda: m.amend("alice", "k5", AmendOrder(CONTRACT, ask, 6_000, 4 * T))
    )
    _refused(w, "order_not_found", lambda: m.cancel("alice", "k5", CancelOrder(CONTRACT, 999)))


def test_a_duplicate_client_order_id_is_refused(any_store: SqlStore) -> None:
    w = build_market(any_store)
    w.market.place("steel", "k1", _buy(w, "steel", "same", 5_900, T))
    _refused(
        w,
        "duplicate_client_order_id",
        lambda: w.market.place("steel", "k2", _buy(w, "steel", "same", 5_800, T)),
    )
