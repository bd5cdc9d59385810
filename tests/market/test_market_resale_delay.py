"""T+n: units bought on a trading day are sold from the n-th trading day after it, the
days counted on the rule set's calendar (weekends and the exchange's holidays do not
count)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from market_world import CONTRACT, DAY, T, at, build_market, holdings, market_rows

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.commands import CloseDay, PlaceOrder
from pctrade.market.model import resale_window
from pctrade.rules import RuleBook, shipped

# The national calendar of 2026: Wednesday 30 September, then the National Day holidays
# (1-2 and 5-7 October) around a weekend; Thursday 8 October is the first trading day
# after the 30th, Friday the 9th the second.
BOUGHT = date(2026, 9, 30)
FIRST, SECOND = date(2026, 10, 8), date(2026, 10, 9)


def _rules(delay_days: int) -> RuleBook:
    book = shipped()
    cn = book.in_force("CN", DAY)
    assert cn.trading is not None
    resale = replace(cn, trading=replace(cn.trading, resale_delay_days=delay_days))
    return RuleBook([resale, *(r for r in book.rule_sets() if r is not cn)])


def test_the_window_counts_trading_days_across_weekends_and_holidays() -> None:
    trading = shipped().in_force("CN", DAY).trading
    assert trading is not None
    trading_day = trading.is_trading_day
    assert resale_window(SECOND, 0, trading_day) == []
    assert resale_window(SECOND, 1, trading_day) == [SECOND]
    assert resale_window(FIRST, 2, trading_day) == [FIRST, BOUGHT]
    assert resale_window(SECOND, 2, trading_day) == [SECOND, FIRST]
    # a Monday's T+2 reaches back over the weekend to the Friday
    assert resale_window(date(2026, 12, 7), 2, trading_day) == [
        date(2026, 12, 7),
        date(2026, 12, 4),
    ]
    assert resale_window(SECOND, 3, trading_day) == [SECOND, FIRST, BOUGHT]


@pytest.mark.parametrize("delay_days", [1, 2])
def test_units_bought_sell_from_the_n_th_trading_day_after(
    any_store: SqlStore, delay_days: int
) -> None:
    w = build_market(any_store, rules=_rules(delay_days))
    m, steel, alice = w.market, w.accounts["steel"], w.accounts["alice"]

    def morning(on: date) -> None:
        w.clock.now = at(on, 10, 0)

    def close(on: date) -> None:
        w.clock.now = at(on, 15, 5)
        m.close_day("registry", f"close-{on}", CloseDay(CONTRACT, on.isoformat()))

    def sell(on: date) -> object:
        order = PlaceOrder(CONTRACT, steel, f"s-{on}", "sell", 6_000, T)
        try:
            return m.place("steel", f"sell-{on}", order)
        except PctradeError as exc:
            return exc.code

    morning(BOUGHT)
    m.place("alice", "a1", PlaceOrder(CONTRACT, alice, "a1", "sell", 6_000, 3 * T))
    bought = m.place("steel", "b1", PlaceOrder(CONTRACT, steel, "b1", "buy", 6_000, 3 * T))
    assert bought["filled_g"] == 3 * T  # steel holds nothing of the contract but these
    before = holdings(any_store), market_rows(any_store)
    assert sell(BOUGHT) == "resale_too_soon"  # T+1 and T+2: never the day they are bought
    assert (holdings(any_store), market_rows(any_store)) == before
    close(BOUGHT)

    morning(FIRST)  # eight calendar days on, but the first trading day after
    first = sell(FIRST)
    if delay_days == 1:
        assert isinstance(first, dict) and first["state"] == "open"
    else:
        assert first == "resale_too_soon"
    close(FIRST)

    morning(SECOND)
    second = sell(SECOND)
    assert isinstance(second, dict) and second["state"] == "open"
    report = verify(any_store)
    assert report.ok, report.problems
