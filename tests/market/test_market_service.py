"""The market's service on SQLite and PostgreSQL: orders, fills settled DvP, the close."""

from __future__ import annotations

from importlib import resources

import pytest
from market_world import CONTRACT, DAY, T, at, build_market, cash, holdings, market_rows

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import IdempotencyConflict
from pctrade.ledger.model import CASH_ASSET, State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import AmendOrder, CancelOrder, CloseDay, PlaceOrder
from pctrade.rules.book import RuleBook, shipped
from pctrade.rules.loader import load_text


def _verify(store: SqlStore) -> None:
    report = verify(store)
    assert report.ok, report.problems


def test_a_fill_settles_cash_credits_and_fees_in_one_entry(any_store: SqlStore) -> None:
    w = build_market(any_store)
    a, s = w.accounts["alice"], w.accounts["steel"]
    sell = w.market.place("alice", "k1", PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 10 * T))
    assert sell["state"] == "open" and len(sell["entries"]) == 1
    buy = w.market.place("steel", "k2", PlaceOrder(CONTRACT, s, "b1", "buy", 6_100, 4 * T))
    assert buy["state"] == "filled" and len(buy["trades"]) == 1
    cash_paid = 6_000 * 4
    fee = cash_paid * 5 // 10_000
    # the buyer paid the maker's price plus the fee; the rest of its reserve came back
    assert cash(any_store, s) == 100_000_000 - cash_paid - fee
    assert cash(any_store, s, State.FROZEN) == 0
    assert cash(any_store, a) == 100_000_000 + cash_paid - fee
    assert cash(any_store, SystemAccount.FEES) == 2 * fee
    balances, _ = holdings(any_store)
    bought = sum(v for (acc, asset, st), v in balances.items() if acc == s and asset != CASH_ASSET)
    assert bought == 4 * T
    # the sell keeps 6 t frozen, exactly its remaining reservation
    frozen = sum(
        v
        for (acc, asset, st), v in balances.items()
        if acc == a and asset != CASH_ASSET and st == int(State.FROZEN)
    )
    assert frozen == 6 * T
    _verify(any_store)


def test_replay_answers_the_same_and_another_command_under_the_key_is_refused(
    any_store: SqlStore,
) -> None:
    w = build_market(any_store)
    cmd = PlaceOrder(CONTRACT, w.accounts["alice"], "s1", "sell", 6_000, 10 * T)
    first = w.market.place("alice", "k1", cmd)
    again = w.market.place("alice", "k1", cmd)
    assert again["replayed"] and again["order_id"] == first["order_id"]
    other = PlaceOrder(CONTRACT, w.accounts["alice"], "s2", "sell", 6_000, 10 * T)
    with pytest.raises(IdempotencyConflict):
        w.market.place("alice", "k1", other)


def test_cancel_and_amend_move_the_holds_exactly(any_store: SqlStore) -> None:
    w = build_market(any_store)
    s = w.accounts["steel"]
    placed = w.market.place("steel", "k1", PlaceOrder(CONTRACT, s, "b1", "buy", 6_000, 10 * T))
    oid = placed["order_id"]
    reserve = 60_000 + 60_000 * 5 // 10_000
    assert cash(any_store, s, State.FROZEN) == reserve
    w.market.amend("steel", "k2", AmendOrder(CONTRACT, oid, 6_200, 12 * T))
    reserve = 6_200 * 12 + 6_200 * 12 * 5 // 10_000
    assert cash(any_store, s, State.FROZEN) == reserve
    w.market.amend("steel", "k3", AmendOrder(CONTRACT, oid, 6_200, 2 * T))
    assert cash(any_store, s, State.FROZEN) == 6_200 * 2 + 6_200 * 2 * 5 // 10_000
    w.market.cancel("steel", "k4", CancelOrder(CONTRACT, oid))
    assert cash(any_store, s, State.FROZEN) == 0
    assert cash(any_store, s) == 100_000_000
    _verify(any_store)


def test_the_close_expires_orders_and_fixes_the_vwap_as_next_reference(any_store: SqlStore) -> None:
    w = build_market(any_store)
    a, b, s = w.accounts["alice"], w.accounts["bob"], w.accounts["steel"]
    w.market.place("alice", "k1", PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 1 * T))
    w.market.place("bob", "k2", PlaceOrder(CONTRACT, b, "s2", "sell", 6_003, 2 * T))
    w.market.place("steel", "k3", PlaceOrder(CONTRACT, s, "b1", "buy", 6_003, 3 * T))
    w.market.place("steel", "k4", PlaceOrder(CONTRACT, s, "b2", "buy", 5_900, 3 * T))
    with pytest.raises(Exception) as early:
        w.market.close_day("registry", "c0", CloseDay(CONTRACT, DAY.isoformat()))
    assert getattr(early.value, "code", None) == "session_not_ended"
    w.clock.now = at(DAY, 15, 5)
    closed = w.market.close_day("registry", "c1", CloseDay(CONTRACT, DAY.isoformat()))
    # (6,000 × 1 + 6,003 × 2) / 3 = 6,002
    assert closed["close_fen_per_t"] == 6_002 and not closed["carried"]
    assert cash(any_store, s, State.FROZEN) == 0
    again = w.market.close_day("registry", "c2", CloseDay(CONTRACT, DAY.isoformat()))
    assert again["replayed"] and again["close_fen_per_t"] == 6_002
    _verify(any_store)
    # the next trading day's band is ±10 % around 6,002
    nxt = DAY.replace(day=8)
    w.clock.now = at(nxt, 9, 45)
    with pytest.raises(Exception) as band:
        w.market.place("steel", "k5", PlaceOrder(CONTRACT, s, "b3", "buy", 6_700, 1 * T))
    assert getattr(band.value, "code", None) == "price_outside_band"
    w.market.place("steel", "k6", PlaceOrder(CONTRACT, s, "b3", "buy", 6_600, 1 * T))
    w.clock.now = at(nxt, 15, 0)
    carried = w.market.close_day("registry", "c3", CloseDay(CONTRACT, nxt.isoformat()))
    assert carried["carried"] and carried["close_fen_per_t"] == 6_002
    _verify(any_store)
    rows = market_rows(any_store)
    assert len(rows["market_trades"]) == 2


def test_the_close_is_on_the_tick_the_bars_report(any_store: SqlStore) -> None:
    # On a 10 fen tick, 1 t at 6,000 and 3 t at 6,010 average 6,007.5: the close is
    # 6,010 (half up to the tick, as data.daily's bars say), not 6,008 (to the fen),
    # which no order of the next day could be placed at.
    text = (resources.files("pctrade.rules") / "data" / "CN" / "2024-05-01.toml").read_text()
    coarse = load_text(text.replace("price_step_fen_per_t = 1 ", "price_step_fen_per_t = 10 "))
    others = [r for r in shipped().rule_sets() if r.version != coarse.version]
    w = build_market(any_store, rules=RuleBook([*others, coarse]))
    a, b, s = w.accounts["alice"], w.accounts["bob"], w.accounts["steel"]
    w.market.place("alice", "k1", PlaceOrder(CONTRACT, a, "s1", "sell", 6_000, 1 * T))
    w.market.place("bob", "k2", PlaceOrder(CONTRACT, b, "s2", "sell", 6_010, 3 * T))
    w.market.place("steel", "k3", PlaceOrder(CONTRACT, s, "b1", "buy", 6_010, 4 * T))
    w.clock.now = at(DAY, 15, 5)
    closed = w.market.close_day("registry", "c1", CloseDay(CONTRACT, DAY.isoformat()))
    assert closed["close_fen_per_t"] == 6_010
    _verify(any_store)
