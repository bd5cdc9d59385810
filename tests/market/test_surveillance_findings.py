"""The abnormal-trading report: for each signature a case that fires and a near miss
that does not, under the national rule set's [surveillance] figures; and the report's
order, citations and determinism."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

from market_records import CONTRACT, DAY, T, Tape

from pctrade.market.data import TradeMode, TradeRecord
from pctrade.market.engine import Side
from pctrade.market.surveillance import (
    SAME_PARTY,
    FindingKind,
    OrderRecord,
    Relation,
    abnormal_trading_report,
)
from pctrade.market.surveillance.concentration import concentration
from pctrade.market.surveillance.layering import layering
from pctrade.market.surveillance.spikes import price_spikes
from pctrade.market.surveillance.wash import wash_trades
from pctrade.rules import RuleSet, shipped

CN = shipped().by_version("CN/2021-02-01")
BUY, SELL = Side.BUY, Side.SELL


def _kinds(rule_set: RuleSet, *kinds: str) -> RuleSet:
    assert rule_set.surveillance is not None
    rules = dataclasses.replace(rule_set.surveillance, related_kinds=kinds)
    return dataclasses.replace(rule_set, surveillance=rules)


# ---- wash trades -------------------------------------------------------------------


def test_frequent_trades_between_declared_relations_are_wash_trades() -> None:
    tape = Tape()
    trades = [tape.trade("a", "b", 6_000, 1, at_s=i) for i in range(2)]
    trades.append(tape.trade("b", "a", 6_000, 1, at_s=9))
    trades.append(tape.trade("a", "c", 6_000, 1, at_s=10))  # c is not related
    [found] = wash_trades(trades, [Relation("b", "a", "declared")], CN)
    assert found.kind is FindingKind.WASH_TRADE and found.parties == ("a", "b")
    assert found.trade_ids == (1, 2, 3) and found.volume_g == 3 * T
    assert (found.measure, found.measured, found.threshold) == ("trades", 3, 3)
    assert found.rule.keys == ("related_kinds", "wash_trades_min")
    assert "declared" in found.detail


def test_one_large_trade_between_a_partys_own_accounts_is_a_wash_trade() -> None:
    tape = Tape()
    trades = [tape.trade("a", "a", 6_000, 10_000, mode=TradeMode.BLOCK)]
    [found] = wash_trades(trades, [], CN)
    assert found.parties == ("a",) and found.measure == "volume_g"
    assert found.measured == found.threshold == 10_000 * T
    assert wash_trades(trades, [], _kinds(CN, "declared")) == []  # same_party not counted


def test_near_misses_are_not_wash_trades() -> None:
    tape = Tape()
    two = [tape.trade("a", "b", 6_000, 9_999 // 2) for _ in range(2)]  # 2 trades, 9,998 t
    assert wash_trades(two, [Relation("a", "b", "declared")], CN) == []
    three = [tape.trade("a", "b", 6_000, 1) for _ in range(3)]
    assert wash_trades(three, [], CN) == []  # unrelated
    assert wash_trades(three, [Relation("a", "b", "neighbours")], CN) == []  # kind not counted
    assert wash_trades(three, [Relation("a", "a", "declared")], CN) == []  # no such pair
    assert wash_trades(three, [Relation("a", "b", "same_agent")], CN) != []
    assert SAME_PARTY in CN.require_surveillance().related_kinds


# ---- layering ----------------------------------------------------------------------


def _layers(
    tape: Tape,
    *,
    n: int = 3,
    behind: int = 10,
    cancel_after_s: float = 30,
    touch: int = 6_000,
    placed_at_s: float = 0,
) -> list[OrderRecord]:
    """``n`` buy orders of the spoofer ``behind`` fen and more below the touch, cancelled."""
    out = []
    for i in range(n):
        o = tape.place("spoofer", BUY, touch - behind * (i + 1), 5, touch, at_s=placed_at_s + i)
        out += [o, tape.cancel(o, at_s=placed_at_s + i + cancel_after_s)]
    return out


def _sale(tape: Tape, at_s: float = 40, seller: str = "spoofer") -> TradeRecord:
    return tape.trade("victim", seller, 6_000, 2, at_s=at_s)


def test_layers_cancelled_while_the_party_sells_are_layering() -> None:
    tape = Tape()
    orders = _layers(tape)
    trades = [_sale(tape), _sale(tape, at_s=45)]
    [found] = layering(trades, orders, CN)
    assert found.kind is FindingKind.LAYERING and found.parties == ("spoofer",)
    assert found.trade_ids == (1, 2) and found.order_ids == (1, 2, 3)
    assert (found.measured, found.threshold) == (10_000, 5_000)
    assert "layering_cancel_s_max" in found.rule.keys and found.volume_g == 4 * T
    assert "3 buy orders" in found.detail and "sold" in found.detail


def test_layering_near_misses() -> None:
    def fires(orders: list[OrderRecord], trades: list[TradeRecord]) -> bool:
        return layering(trades, orders, CN) != []

    tape = Tape()
    assert not fires(_layers(tape, n=2), [_sale(tape)])  # two layers, not three
    assert not fires(_layers(tape, cancel_after_s=61), [_sale(tape, at_s=100)])  # slow cancels
    assert not fires(_layers(tape, behind=0), [_sale(tape)])  # at the touch
    assert not fires(_layers(tape, behind=2), [_sale(tape)])  # 3.3–10 bps: the first two near
    assert fires(_layers(tape, n=3, behind=6), [_sale(tape)])  # 6 fen of 6,000 is 10 bps
    assert not fires(_layers(tape), [_sale(tape, seller="someone")])  # no opposite trade
    assert not fires(_layers(tape), [tape.trade("spoofer", "x", 6_000, 2, at_s=40)])  # bought
    assert not fires(_layers(tape, placed_at_s=-301), [_sale(tape, at_s=0)])  # window passed
    assert not fires(_layers(tape, placed_at_s=1), [_sale(tape, at_s=0)])  # placed after it
    genuine = tape.place("spoofer", BUY, 5_950, 16, 6_000, at_s=5)  # 16 t kept: 15/31 < 50 %
    assert not fires([*_layers(tape), genuine], [_sale(tape)])
    assert not fires(
        [o._replace(touch_fen_per_t=None) for o in _layers(tape)], [_sale(tape)]
    )  # an empty side: no touch to be away from


def test_an_order_at_the_touch_is_never_a_layer_even_with_no_distance_required() -> None:
    assert CN.surveillance is not None
    anywhere = dataclasses.replace(CN.surveillance, layering_away_bps_min=0)
    rules = dataclasses.replace(CN, surveillance=anywhere)
    tape = Tape()
    assert layering([_sale(tape)], _layers(tape, behind=0), rules) == []
    assert layering([_sale(tape)], _layers(tape, behind=1), rules) != []


# ---- price spikes ------------------------------------------------------------------


def test_a_trade_beyond_the_band_of_a_recent_trade_or_the_close_is_a_spike() -> None:
    tape = Tape()
    trades = [
        tape.trade("a", "b", 6_200, 1, at_s=0),  # 3.33 % above the previous close
        tape.trade("a", "b", 6_000, 1, at_s=10),  # 3.23 % below 6,200
        tape.trade("c", "d", 9_000, 200_000, at_s=20, mode=TradeMode.BLOCK),  # never a spike
    ]
    found = price_spikes(trades, {CONTRACT: 6_000}, CN)
    assert [(f.trade_ids, f.measured) for f in found] == [((1,), 333), ((1, 2), 322)]
    assert found[0].parties == ("a", "b") and "previous close" in found[0].detail
    assert found[1].rule.keys == ("spike_bps", "spike_window_s")


def test_price_spike_near_misses() -> None:
    tape = Tape()
    exactly = [tape.trade("a", "b", 6_000, 1, at_s=0), tape.trade("a", "b", 6_180, 1, at_s=1)]
    assert price_spikes(exactly, {CONTRACT: 6_000}, CN) == []  # 3 % is not beyond 3 %
    later = [tape.trade("a", "b", 6_000, 1, at_s=0), tape.trade("a", "b", 6_190, 1, at_s=301)]
    assert price_spikes(later, {CONTRACT: 6_000}, CN) == []  # the reference left the window
    assert price_spikes(later[1:], {}, CN) == []  # no close, no earlier trade


def test_the_previous_close_of_a_later_day_is_the_period_s_own_vwap() -> None:
    tape = Tape()
    day1 = [tape.trade("a", "b", 5_900, 1), tape.trade("a", "b", 6_100, 1, at_s=400)]
    day2 = tape.trade("a", "b", 6_190, 1, day=DAY + timedelta(days=1))
    found = price_spikes([*day1, day2], {}, CN)  # day 1 closes at 6,000
    assert [f.trade_ids for f in found] == [(3,)] and found[0].measured == 316


# ---- concentration ----------------------------------------------------------------


def _day(buyer_tonnes: int, total: int = 1_000) -> list[TradeRecord]:
    tape = Tape()
    trades = [tape.trade("big", f"s{i}", 6_000, buyer_tonnes // 4) for i in range(4)]
    rest = total - buyer_tonnes
    trades += [tape.trade(f"b{i}", f"s{i}", 6_000, rest // 4) for i in range(4)]
    trades.append(tape.trade("big", "s0", 6_000, 50_000, mode=TradeMode.BLOCK))
    return trades


def test_a_party_buying_more_than_its_share_of_the_day_is_concentrated() -> None:
    [found] = concentration(_day(400), CN)
    assert found.kind is FindingKind.CONCENTRATION and found.parties == ("big",)
    assert (found.measured, found.threshold) == (4_000, 3_000) and len(found.trade_ids) == 4
    assert "bought" in found.detail and found.volume_g == 400 * T


def test_concentration_near_misses() -> None:
    assert concentration(_day(300), CN) == []  # 30 % is not above 30 %
    assert concentration(_day(396, total=996), CN) == []  # a day below 1,000 t


# ---- the report --------------------------------------------------------------------


def _period() -> tuple[list[TradeRecord], list[OrderRecord], list[Relation]]:
    tape = Tape()
    orders = _layers(tape)
    trades = [
        _sale(tape),
        *(tape.trade("a", "b", 6_000, 1, at_s=50 + i) for i in range(3)),
        tape.trade("a", "b", 6_300, 1, at_s=60),
        tape.trade("big", "c", 6_000, 1_000, at_s=70),
    ]
    return trades, orders, [Relation("a", "b", "common_control")]


def test_the_report_orders_findings_by_kind_and_cites_the_rule_set() -> None:
    trades, orders, relations = _period()
    report = abnormal_trading_report(trades, orders, relations, CN, {CONTRACT: 6_000})
    kinds = [f.kind for f in report.findings]
    assert kinds == sorted(kinds, key=list(FindingKind).index)
    assert set(kinds) == set(FindingKind)
    assert (report.rule_set, report.digest) == (CN.version, CN.digest)
    assert (report.first_day, report.last_day, report.trades) == (DAY, DAY, len(trades))
    for f in report.findings:
        assert f.rule.rule_set == CN.version and f.rule.sources == CN.surveillance.cited.sources  # type: ignore[union-attr]
        assert set(f.rule.assumed) == set(f.rule.keys)  # every figure is an assumption


def test_the_report_does_not_depend_on_the_order_records_arrive_in() -> None:
    trades, orders, relations = _period()
    first = abnormal_trading_report(trades, orders, relations, CN, {CONTRACT: 6_000})
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(trades)
        rng.shuffle(orders)
        again = abnormal_trading_report(trades, orders, relations[::-1], CN, {CONTRACT: 6_000})
        assert again == first


def test_an_empty_period_has_no_findings() -> None:
    report = abnormal_trading_report([], [], [], CN)
    assert report.findings == () and report.first_day is None


def test_the_close_a_spike_is_measured_from_is_on_the_instrument_s_own_tick() -> None:
    # Day 1 averages 6,025; PCER's tick is 100 fen (CN [trading] lots), so its close is
    # 6,000 and day 2's 6,200 is 3.33 % above it; on the market's 1 fen tick the close
    # would be 6,025, and 6,200 only 2.90 % above: no spike.
    tape = Tape()
    day1 = [tape.trade("a", "b", 5_900, 1), tape.trade("a", "b", 6_150, 1, at_s=400)]
    day2 = tape.trade("a", "b", 6_200, 1, day=DAY + timedelta(days=1))
    assert price_spikes([*day1, day2], {}, CN) == []
    found = price_spikes([*day1, day2], {}, CN, {CONTRACT: "PCER"})
    assert [f.trade_ids for f in found] == [(3,)] and found[0].measured == 333
