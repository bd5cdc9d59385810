"""Daily bars and the close: the national market's VWAP of listing trades, on the tick,
carried over when nothing traded; block trades count in volume and never in a price."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from market_records import CONTRACT, DAY, T, Tape

from hypothesis_budget import examples
from pctrade.kernel.errors import ValidationError
from pctrade.market.data import (
    TradeMode,
    TradeRecord,
    closing_price,
    daily_bar,
    daily_series,
    day_prices,
    div_half_up,
    turnover_fen,
)

TICKS = st.sampled_from([1, 5, 10, 100])
MODES = st.sampled_from([TradeMode.LISTING, TradeMode.LISTING, TradeMode.BLOCK, TradeMode.AUCTION])


@st.composite
def day_trades(draw: st.DrawFn, tick: int, day: date = DAY) -> list[TradeRecord]:
    tape = Tape()
    rows = draw(
        st.lists(st.tuples(st.integers(1, 20_000), st.integers(1, 500_000), MODES), max_size=40)
    )
    return [
        tape.trade("b", "s", ticks * tick, 0, day=day, mode=mode)._replace(quantity_g=grams)
        for ticks, grams, mode in rows
    ]


@settings(max_examples=examples(ci=100, thorough=200), deadline=None)
@given(data=st.data(), tick=TICKS, previous=st.none() | st.integers(1, 20_000))
def test_a_bar_keeps_low_below_open_and_close_below_high_and_sums_the_volume(
    data: st.DataObject, tick: int, previous: int | None
) -> None:
    previous_close = None if previous is None else previous * tick
    trades = data.draw(day_trades(tick))
    bar = daily_bar(CONTRACT, DAY, trades, previous_close, tick)
    listing = [t for t in trades if t.mode is TradeMode.LISTING]
    assert bar.volume_g == sum(t.quantity_g for t in trades)
    assert bar.listing_volume_g == sum(t.quantity_g for t in listing)
    assert bar.trades == len(trades)
    exact = sum(t.price_fen_per_t * t.quantity_g for t in trades)
    assert abs(bar.turnover_fen * T - exact) * 2 <= T
    # the bar's prices and quantities are day_prices', the rule the market's /bars uses
    prices = day_prices(CONTRACT, DAY, trades, previous_close)
    assert {k: getattr(bar, k) for k in prices._fields} == prices._asdict()
    if listing:
        assert bar.last_fen_per_t == listing[-1].price_fen_per_t
        assert bar.low_fen_per_t is not None and bar.high_fen_per_t is not None
        assert bar.open_fen_per_t is not None and bar.close_fen_per_t is not None
        assert bar.low_fen_per_t <= bar.open_fen_per_t <= bar.high_fen_per_t
        assert bar.low_fen_per_t <= bar.close_fen_per_t <= bar.high_fen_per_t
        assert bar.close_fen_per_t % tick == 0 and not bar.close_carried_over
        assert bar.open_fen_per_t == listing[0].price_fen_per_t
        # the close is the VWAP rounded to the nearest tick
        q = sum(t.quantity_g for t in listing)
        n = sum(t.price_fen_per_t * t.quantity_g for t in listing)
        assert abs(bar.close_fen_per_t * q - n) * 2 <= tick * q
    else:
        assert bar.close_fen_per_t == bar.open_fen_per_t == previous_close
        assert bar.close_carried_over and bar.high_fen_per_t is bar.low_fen_per_t is None
        assert bar.last_fen_per_t is None


@settings(max_examples=examples(ci=75, thorough=150), deadline=None)
@given(data=st.data(), tick=TICKS, previous=st.integers(1, 20_000))
def test_block_trades_and_auctions_never_move_the_close(
    data: st.DataObject, tick: int, previous: int
) -> None:
    trades = data.draw(day_trades(tick))
    listing = [t for t in trades if t.mode is TradeMode.LISTING]
    assert closing_price(trades, previous * tick, tick) == closing_price(
        listing, previous * tick, tick
    )


@settings(max_examples=100, deadline=None)
@given(
    tick=TICKS,
    first=st.none() | st.integers(1, 20_000),
    traded=st.lists(st.booleans(), min_size=1, max_size=8),
    data=st.data(),
)
def test_each_close_is_the_next_days_reference_and_carries_over_when_nothing_traded(
    tick: int, first: int | None, traded: list[bool], data: st.DataObject
) -> None:
    days = [DAY + timedelta(days=i) for i in range(len(traded))]
    trades = [
        t for d, on in zip(days, traded, strict=True) if on for t in data.draw(day_trades(tick, d))
    ]
    first_close = None if first is None else first * tick
    bars = daily_series(CONTRACT, days, trades, first_close, tick)
    previous = first_close
    for bar in bars:
        assert bar.previous_close_fen_per_t == previous
        if not any(t.day == bar.day and t.mode is TradeMode.LISTING for t in trades):
            assert bar.close_fen_per_t == previous and bar.close_carried_over
        previous = bar.close_fen_per_t


def test_the_close_is_the_volume_weighted_average_rounded_half_up_to_the_tick() -> None:
    tape = Tape()
    # 1 t at 6,000 and 3 t at 6,010: VWAP 6,007.5 → 6,010 on a 10 fen tick (half up)
    # and 6,008 on a 1 fen tick; a block trade at 9,000 changes nothing.
    trades = [
        tape.trade("a", "b", 6_000, 1),
        tape.trade("c", "d", 6_010, 3),
        tape.trade("e", "f", 9_000, 200_000, mode=TradeMode.BLOCK),
    ]
    assert closing_price(trades, 5_000, 10) == 6_010
    assert closing_price(trades, 5_000, 1) == 6_008
    # 3 t at 6,000 and 1 t at 6,010: 6,002.5 → 6,000 on a 10 fen tick (below the half)
    low = [tape.trade("a", "b", 6_000, 3), tape.trade("c", "d", 6_010, 1)]
    assert closing_price(low, 5_000, 10) == 6_000
    assert closing_price([], 5_000, 10) == 5_000
    assert closing_price([], None, 10) is None
    bar = daily_bar(CONTRACT, DAY, trades, 5_000, 10)
    assert (bar.open_fen_per_t, bar.high_fen_per_t, bar.low_fen_per_t) == (6_000, 6_010, 6_000)
    assert bar.volume_g == 200_004 * T and bar.listing_volume_g == 4 * T
    assert bar.turnover_fen == 6_000 + 3 * 6_010 + 200_000 * 9_000
    assert bar.listing_turnover_fen == 6_000 + 3 * 6_010


def test_rounding_is_half_up_and_turnover_rounds_once() -> None:
    assert [div_half_up(n, 4) for n in (1, 2, 3, 5, 6)] == [0, 1, 1, 1, 2]
    tape = Tape()
    # 0.5 t at 1 fen/t twice: 0.5 fen each, 1 fen together (rounded once, not per trade)
    halves = [tape.trade("a", "b", 1, 0)._replace(quantity_g=T // 2) for _ in range(2)]
    assert turnover_fen(halves) == 1


def test_a_bar_refuses_trades_of_another_contract_or_day() -> None:
    tape = Tape()
    with pytest.raises(ValidationError) as exc:
        daily_bar(CONTRACT, DAY, [tape.trade("a", "b", 1, 1, contract="X")], None, 1)
    assert exc.value.code == "bad_trades"
    other_day = tape.trade("a", "b", 1, 1, day=DAY + timedelta(days=1))
    with pytest.raises(ValidationError):
        daily_series(CONTRACT, [DAY], [other_day], None, 1)
    with pytest.raises(ValidationError):
        daily_series(CONTRACT, [DAY, DAY], [], None, 1)
    with pytest.raises(ValidationError) as exc:
        closing_price([], None, 0)
    assert exc.value.code == "bad_trading_params"
