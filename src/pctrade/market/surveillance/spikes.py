"""Price spikes: a trade priced far from a recent trade or from the previous close.

The exchanges watch orders "申报价格明显偏离行情展示的最新成交价" (priced clearly away from
the last trade shown; the CCER trading rules of 2023) and, in securities, 拉抬打压: moving
the price within a short time. pctrade's signature, per contract, on listing-agreement
trades (the ones that make the price; block trades have their own wider band and do
not move the close): a trade fires when its price is more than ``spike_bps`` away from
a reference price, relative to the reference. The references are the prices of the
contract's earlier listing trades in the ``spike_window_s`` seconds before it and, for
the day's first listing trade, the previous close. The reference farthest from the
trade is the one reported (the earliest, among equals).

Trades of a contract are taken in its sequence, which is also the order of their
times (one writer numbers them as they happen), so the window slides forward.

The previous close of each day is worked out as the market's close is
(``pctrade.market.data.closing_price``), from ``previous_closes`` (the close before the
period, per contract) and the period's own trades.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from pctrade.kernel.units import BPS
from pctrade.market.data.daily import closing_price
from pctrade.market.data.records import TradeMode, TradeRecord, in_sequence
from pctrade.market.surveillance.findings import Finding, FindingKind, cite, price_step
from pctrade.rules.model import RuleSet, Surveillance

_KEYS = ("spike_bps", "spike_window_s")
Reference = tuple[int, TradeRecord | None]  # a price, and its trade (None: the close)


def price_spikes(
    trades: Iterable[TradeRecord],
    previous_closes: Mapping[str, int | None],
    rule_set: RuleSet,
    instruments: Mapping[str, str] | None = None,
) -> list[Finding]:
    """``instruments``: each contract's instrument, whose own tick (``[trading] lots``)
    rounds the closes the spikes are measured from, as the market's close does."""
    rules = rule_set.require_surveillance()
    market_tick = price_step(rule_set)
    assert rule_set.trading is not None  # price_step refused a rule set without
    by_contract: dict[str, list[TradeRecord]] = defaultdict(list)
    for t in sorted(trades, key=in_sequence):
        by_contract[t.contract].append(t)
    findings: list[Finding] = []
    for contract, all_trades in by_contract.items():
        instrument = (instruments or {}).get(contract)
        tick = (
            market_tick
            if instrument is None
            else rule_set.trading.for_instrument(instrument).price_step_fen_per_t
        )
        closes = _closes_before(all_trades, previous_closes.get(contract), tick)
        listing = [t for t in all_trades if t.mode is TradeMode.LISTING]
        start = 0  # the first listing trade that may still be in the window
        for i, t in enumerate(listing):
            while start < i and (
                listing[start].day != t.day
                or (t.at - listing[start].at).total_seconds() > rules.spike_window_s
            ):
                start += 1
            first_of_day = i == 0 or listing[i - 1].day != t.day
            refs = _references(listing[start:i], t, first_of_day, closes[t.day], rules)
            found = _farthest_beyond(t, refs, rules.spike_bps)
            if found is not None:
                findings.append(_finding(t, found, rule_set, rules))
    return findings


def _closes_before(
    trades: list[TradeRecord], first: int | None, tick: int
) -> dict[date, int | None]:
    """Each trading day's previous close, chained through the period's days."""
    by_day: dict[date, list[TradeRecord]] = defaultdict(list)
    for t in trades:
        by_day[t.day].append(t)
    out: dict[date, int | None] = {}
    close = first
    for day in sorted(by_day):
        out[day] = close
        close = closing_price(by_day[day], close, tick)
    return out


def _references(
    window: list[TradeRecord],
    t: TradeRecord,
    first_of_day: bool,
    previous_close: int | None,
    rules: Surveillance,
) -> list[Reference]:
    earlier: list[Reference] = [
        (e.price_fen_per_t, e)
        for e in window
        if 0 <= (t.at - e.at).total_seconds() <= rules.spike_window_s
    ]
    if first_of_day and previous_close is not None:
        return [(previous_close, None), *earlier]
    return earlier


def _farthest_beyond(t: TradeRecord, refs: list[Reference], spike_bps: int) -> Reference | None:
    best: Reference | None = None
    for ref in refs:
        if best is None or _farther(t.price_fen_per_t, ref[0], best[0]):
            best = ref
    # beyond: |p − ref| / ref > spike_bps / BPS, exactly
    if best is None or abs(t.price_fen_per_t - best[0]) * BPS <= spike_bps * best[0]:
        return None
    return best


def _farther(price: int, a: int, b: int) -> bool:
    """Whether ``price`` is relatively farther from ``a`` than from ``b``, exactly."""
    return abs(price - a) * b > abs(price - b) * a


def _move(t: TradeRecord, ref: int) -> int:
    """The move in bps of the reference, rounded down: for ordering and the report."""
    return abs(t.price_fen_per_t - ref) * BPS // ref


def _finding(t: TradeRecord, ref: Reference, rule_set: RuleSet, rules: Surveillance) -> Finding:
    price, ref_trade = ref
    against = "the previous close" if ref_trade is None else f"trade {ref_trade.trade_id}"
    trade_ids = (t.trade_id,) if ref_trade is None else (ref_trade.trade_id, t.trade_id)
    return Finding(
        kind=FindingKind.PRICE_SPIKE,
        contract=t.contract,
        day=t.day,
        parties=tuple(sorted({t.buyer_party, t.seller_party})),
        trade_ids=trade_ids,
        order_ids=(),
        volume_g=t.quantity_g,
        measure="move_bps",
        measured=_move(t, price),
        threshold=rules.spike_bps,
        detail=f"{t.price_fen_per_t} fen/t against {price} fen/t of {against}",
        rule=cite(rule_set, "surveillance", rules.cited, _KEYS),
    )
