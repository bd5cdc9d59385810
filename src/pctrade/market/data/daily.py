"""A contract's trading day in numbers: open, high, low, close, volume and turnover.

The closing price (收盘价) is the national market's: 上海环境能源交易所《关于全国碳排放权
交易相关事项的公告》(2021-06-22) on listing-agreement trading says the open is the day's
first listing-agreement trade, and "收盘价为当日挂牌协议交易所有成交的加权平均价。当日无
成交的，以上一个交易日的收盘价为当日收盘价" — the close is the volume-weighted average
price of the day's listing-agreement trades, and the previous close when there were
none. The close is the next trading day's reference price, around which the price band
is drawn (``TradingParams.reference_price_fen_per_t``). So:

- only ``TradeMode.LISTING`` trades set the open, high, low, last and close: block
  trades and auction fills count in the day's volume and turnover but never move a
  price. ``day_prices`` is that rule, and every bar pctrade shows is made with it (this
  module's, and the market's ``/bars`` and ``pctrade market bars`` through
  ``market.reads.bars``);
- the volume-weighted average is exact (integer sums) and then rounded to the price
  step, half up: ``round(Σ price × quantity / Σ quantity / step) × step`` with halves
  going up. The notice does not say how the average is rounded; half up to the tick is
  pctrade's assumption (securities exchanges round their weighted closes this way, 四舍
  五入), and it keeps the close a price an order may carry. Since every listing trade is
  on the tick, the rounded close lies between the day's low and high;
- a day without listing trades carries the previous close over (``close_carried_over``)
  and has no high or low; a contract's first day without a trade has no close at all.

Turnover (成交额) is reported in fen: each trade is worth ``price_fen_per_t × quantity_g
/ 1,000,000``, summed exactly and rounded half up once for the day. Settlement rounds
each fill's cash its own way; the statement of record is the registry's, not this sum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import G_PER_T
from pctrade.market.data.records import TradeMode, TradeRecord, in_sequence


class DayPrices(NamedTuple):
    """A day's trades in prices and quantities; only listing-agreement trades set a price."""

    open_fen_per_t: int | None  # the first listing trade's; without one, the previous close
    high_fen_per_t: int | None  # None: no listing-agreement trade that day
    low_fen_per_t: int | None
    last_fen_per_t: int | None  # the last listing trade's
    volume_g: int  # every mode
    turnover_fen: int
    listing_volume_g: int  # listing-agreement trades only
    listing_turnover_fen: int
    trades: int  # every mode


class DailyBar(NamedTuple):
    contract: str
    day: date
    previous_close_fen_per_t: int | None  # the day's reference price
    open_fen_per_t: int | None
    high_fen_per_t: int | None  # None: no listing-agreement trade today
    low_fen_per_t: int | None
    last_fen_per_t: int | None
    close_fen_per_t: int | None  # the next day's reference price
    close_carried_over: bool  # no listing-agreement trade: the previous close stands
    volume_g: int  # every mode
    turnover_fen: int
    listing_volume_g: int  # listing-agreement trades only
    listing_turnover_fen: int
    trades: int


def div_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves up (both ≥ 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def turnover_fen(trades: Iterable[TradeRecord]) -> int:
    """The trades' worth in fen: the exact sum, rounded half up once."""
    return div_half_up(sum(t.price_fen_per_t * t.quantity_g for t in trades), G_PER_T)


def closing_price(
    trades: Iterable[TradeRecord], previous_close_fen_per_t: int | None, price_step_fen_per_t: int
) -> int | None:
    """The day's close: the VWAP of its listing trades on the tick, else the previous close."""
    _require_step(price_step_fen_per_t)
    notional = quantity_g = 0
    for t in trades:
        if t.mode is TradeMode.LISTING:
            notional += t.price_fen_per_t * t.quantity_g
            quantity_g += t.quantity_g
    return close_on_tick(notional, quantity_g, previous_close_fen_per_t, price_step_fen_per_t)


def close_on_tick(
    notional: int, quantity_g: int, previous_close_fen_per_t: int | None, price_step_fen_per_t: int
) -> int | None:
    """The close from the day's listing trades' Σ price × quantity and Σ quantity: their
    VWAP rounded half up to the tick, else (nothing traded) the previous close. The one
    rounding of a close: the market's ``close_day`` fixes it with this too, so the close
    it records is the one the bars report, and always a price an order can be placed at."""
    _require_step(price_step_fen_per_t)
    if not quantity_g:
        return previous_close_fen_per_t
    return div_half_up(notional, quantity_g * price_step_fen_per_t) * price_step_fen_per_t


def day_prices(
    contract: str,
    day: date,
    trades: Iterable[TradeRecord],
    previous_close_fen_per_t: int | None,
) -> DayPrices:
    """One contract's day in prices and quantities (others in ``trades`` are refused)."""
    day_trades = sorted(trades, key=in_sequence)
    stray = [t.trade_id for t in day_trades if t.contract != contract or t.day != day]
    if stray:
        raise ValidationError(
            f"trade {stray[0]} is not of {contract} on {day.isoformat()}", code="bad_trades"
        )
    listing = [t for t in day_trades if t.mode is TradeMode.LISTING]
    prices = [t.price_fen_per_t for t in listing]
    return DayPrices(
        open_fen_per_t=prices[0] if prices else previous_close_fen_per_t,
        high_fen_per_t=max(prices) if prices else None,
        low_fen_per_t=min(prices) if prices else None,
        last_fen_per_t=prices[-1] if prices else None,
        volume_g=sum(t.quantity_g for t in day_trades),
        turnover_fen=turnover_fen(day_trades),
        listing_volume_g=sum(t.quantity_g for t in listing),
        listing_turnover_fen=turnover_fen(listing),
        trades=len(day_trades),
    )


def daily_bar(
    contract: str,
    day: date,
    trades: Iterable[TradeRecord],
    previous_close_fen_per_t: int | None,
    price_step_fen_per_t: int,
) -> DailyBar:
    """One contract's day from its trades (others in ``trades`` are refused)."""
    day_trades = list(trades)
    p = day_prices(contract, day, day_trades, previous_close_fen_per_t)
    return DailyBar(
        contract=contract,
        day=day,
        previous_close_fen_per_t=previous_close_fen_per_t,
        open_fen_per_t=p.open_fen_per_t,
        high_fen_per_t=p.high_fen_per_t,
        low_fen_per_t=p.low_fen_per_t,
        last_fen_per_t=p.last_fen_per_t,
        close_fen_per_t=closing_price(day_trades, previous_close_fen_per_t, price_step_fen_per_t),
        close_carried_over=p.high_fen_per_t is None,
        volume_g=p.volume_g,
        turnover_fen=p.turnover_fen,
        listing_volume_g=p.listing_volume_g,
        listing_turnover_fen=p.listing_turnover_fen,
        trades=p.trades,
    )


def daily_series(
    contract: str,
    days: Sequence[date],
    trades: Iterable[TradeRecord],
    previous_close_fen_per_t: int | None,
    price_step_fen_per_t: int,
) -> tuple[DailyBar, ...]:
    """A bar for each trading day of ``days`` (the calendar's, ascending), each day's
    close becoming the next one's reference price; ``previous_close_fen_per_t`` is the
    close before the first day. Trades of other contracts are ignored; a trade on a day
    that is not in ``days`` is refused."""
    if list(days) != sorted(set(days)):
        raise ValidationError("trading days must ascend, each once", code="bad_trades")
    by_day: dict[date, list[TradeRecord]] = {d: [] for d in days}
    for t in trades:
        if t.contract == contract:
            if t.day not in by_day:
                raise ValidationError(
                    f"trade {t.trade_id} is on {t.day.isoformat()}, not a trading day given",
                    code="bad_trades",
                )
            by_day[t.day].append(t)
    bars: list[DailyBar] = []
    close = previous_close_fen_per_t
    for d in days:
        bar = daily_bar(contract, d, by_day[d], close, price_step_fen_per_t)
        bars.append(bar)
        close = bar.close_fen_per_t
    return tuple(bars)


def _require_step(price_step_fen_per_t: int) -> None:
    if price_step_fen_per_t <= 0:
        raise ValidationError("the price step must be positive", code="bad_trading_params")
