"""Layering and spoofing (虚假申报, 频繁申报和撤销申报): many orders on one side, away
from the touch, placed and soon cancelled, while the same party trades on the other side.

The exchanges watch "频繁申报和撤销申报，或大额申报后撤销申报，可能影响交易价格或误导其他
交易主体" (the CCER trading rules of 2023). The Shenzhen Stock Exchange's continuous-
auction spoofing signature adds the shape: orders on one side, a cancelled share of 50 %
or more of that side's orders, and orders on the reverse side. pctrade's signature, on
one contract, for a party and a side S, around each trade in which the party took the
other side (it sold, for S = buy):

- the party's orders on S placed in the ``layering_window_s`` seconds up to the trade;
- of those, the *layers*: orders placed at least ``layering_away_bps_min`` behind the
  touch (below the best bid for a buy, above the best ask for a sell, relative to it)
  and cancelled within ``layering_cancel_s_max`` seconds of their placement;
- it fires when there are at least ``layering_orders_min`` layers and the quantity
  cancelled is at least ``layering_cancelled_bps_min`` of the quantity placed on S in
  the window.

Trades of one party whose layers overlap make one finding. An order placed on an empty
side has no touch and is never a layer: its distance cannot be measured.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from pctrade.kernel.units import BPS
from pctrade.market.data.records import TradeRecord
from pctrade.market.engine import Side
from pctrade.market.surveillance.findings import Finding, FindingKind, cite
from pctrade.market.surveillance.records import OrderAction, OrderRecord
from pctrade.rules.model import RuleSet, Surveillance

_KEYS = (
    "layering_orders_min",
    "layering_window_s",
    "layering_cancel_s_max",
    "layering_away_bps_min",
    "layering_cancelled_bps_min",
)


def is_away(order: OrderRecord, away_bps_min: int) -> bool:
    """Placed at least ``away_bps_min`` behind its own side's best price."""
    touch = order.touch_fen_per_t
    if touch is None:
        return False
    behind = (
        touch - order.price_fen_per_t if order.side is Side.BUY else order.price_fen_per_t - touch
    )
    return behind > 0 and behind * BPS >= away_bps_min * touch


def layering(
    trades: Iterable[TradeRecord], orders: Iterable[OrderRecord], rule_set: RuleSet
) -> list[Finding]:
    rules = rule_set.require_surveillance()
    placed: dict[tuple[str, str, Side], list[OrderRecord]] = defaultdict(list)
    cancels: dict[int, OrderRecord] = {}
    for o in sorted(orders, key=lambda o: (o.at, o.seq, o.order_id)):
        if o.action is OrderAction.PLACE:
            placed[(o.contract, o.party, o.side)].append(o)
        elif o.action is OrderAction.CANCEL:
            cancels.setdefault(o.order_id, o)
    times = {key: [o.at for o in placements] for key, placements in placed.items()}
    window_s = timedelta(seconds=rules.layering_window_s)
    findings: list[Finding] = []
    for t in sorted(trades, key=lambda t: (t.contract, t.seq, t.trade_id)):
        for party, side in ((t.seller_party, Side.BUY), (t.buyer_party, Side.SELL)):
            key = (t.contract, party, side)
            if key not in placed:
                continue
            # the party's orders on ``side`` placed in [t.at − window, t.at]
            at = times[key]
            window = placed[key][bisect_left(at, t.at - window_s) : bisect_right(at, t.at)]
            hit = _signature(window, cancels, rules)
            if hit is not None:
                _add(findings, t, party, side, hit, rule_set, rules)
    return findings


def _signature(
    window: list[OrderRecord], cancels: dict[int, OrderRecord], rules: Surveillance
) -> tuple[list[OrderRecord], int] | None:
    """The layers and the cancelled share in bps, if the signature fires on ``window``."""
    layers = [
        o
        for o in window
        if _quickly_cancelled(o, cancels, rules) and is_away(o, rules.layering_away_bps_min)
    ]
    if len(layers) < rules.layering_orders_min:
        return None
    placed_g = sum(o.quantity_g for o in window)
    cancelled_g = sum(cancels[o.order_id].quantity_g for o in window if o.order_id in cancels)
    if cancelled_g * BPS < rules.layering_cancelled_bps_min * placed_g:
        return None
    return layers, cancelled_g * BPS // placed_g


def _quickly_cancelled(
    o: OrderRecord, cancels: dict[int, OrderRecord], rules: Surveillance
) -> bool:
    cancel = cancels.get(o.order_id)
    if cancel is None:
        return False
    return 0 <= (cancel.at - o.at).total_seconds() <= rules.layering_cancel_s_max


def _add(
    findings: list[Finding],
    t: TradeRecord,
    party: str,
    side: Side,
    hit: tuple[list[OrderRecord], int],
    rule_set: RuleSet,
    rules: Surveillance,
) -> None:
    layers, cancelled_bps = hit
    ids = {o.order_id for o in layers}
    for i, f in enumerate(findings):
        if f.contract == t.contract and f.parties == (party,) and ids & set(f.order_ids):
            merged = tuple(sorted(ids | set(f.order_ids)))
            findings[i] = f._replace(
                trade_ids=tuple(sorted({*f.trade_ids, t.trade_id})),
                order_ids=merged,
                volume_g=f.volume_g + t.quantity_g,
                measured=max(f.measured, cancelled_bps),
                detail=_detail(side, len(merged)),
            )
            return
    findings.append(
        Finding(
            kind=FindingKind.LAYERING,
            contract=t.contract,
            day=t.day,
            parties=(party,),
            trade_ids=(t.trade_id,),
            order_ids=tuple(sorted(ids)),
            volume_g=t.quantity_g,
            measure="cancelled_bps",
            measured=cancelled_bps,
            threshold=rules.layering_cancelled_bps_min,
            detail=_detail(side, len(ids)),
            rule=cite(rule_set, "surveillance", rules.cited, _KEYS),
        )
    )


def _detail(side: Side, layers: int) -> str:
    other = "sold" if side is Side.BUY else "bought"
    return f"{layers} {side} orders away from the touch placed and cancelled; the party {other}"
