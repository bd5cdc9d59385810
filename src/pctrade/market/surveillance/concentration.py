"""Concentration: one party's share of a contract's listing-agreement volume on a day.

A party that bought (or sold) more than ``concentration_bps`` of the day's listing-
agreement volume fires, on days of at least ``concentration_day_volume_g_min`` (on a
thin day one trade is everything). The securities exchanges weigh a party's share of
the market (市场占比) in every abnormal-trading judgement; the threshold is pctrade's.
Block trades and auctions do not count: they are bilateral or one-seller by design and
do not form the price. A party's buys and sells are judged apart, so a party on both
sides of every trade shows twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from pctrade.kernel.units import BPS
from pctrade.market.data.records import TradeMode, TradeRecord, in_sequence
from pctrade.market.engine import Side
from pctrade.market.surveillance.findings import Finding, FindingKind, cite
from pctrade.rules.model import RuleSet

_KEYS = ("concentration_bps", "concentration_day_volume_g_min")


def concentration(trades: Iterable[TradeRecord], rule_set: RuleSet) -> list[Finding]:
    rules = rule_set.require_surveillance()
    days: dict[tuple[str, date], list[TradeRecord]] = defaultdict(list)
    for t in sorted(trades, key=in_sequence):
        if t.mode is TradeMode.LISTING:
            days[(t.contract, t.day)].append(t)
    findings: list[Finding] = []
    for (contract, day), day_trades in days.items():
        total_g = sum(t.quantity_g for t in day_trades)
        if total_g < rules.concentration_day_volume_g_min:
            continue
        for side in (Side.BUY, Side.SELL):
            by_party: dict[str, list[TradeRecord]] = defaultdict(list)
            for t in day_trades:
                by_party[t.buyer_party if side is Side.BUY else t.seller_party].append(t)
            for party, own in by_party.items():
                party_g = sum(t.quantity_g for t in own)
                if party_g * BPS <= rules.concentration_bps * total_g:
                    continue
                verb = "bought" if side is Side.BUY else "sold"
                findings.append(
                    Finding(
                        kind=FindingKind.CONCENTRATION,
                        contract=contract,
                        day=day,
                        parties=(party,),
                        trade_ids=tuple(t.trade_id for t in own),
                        order_ids=(),
                        volume_g=party_g,
                        measure="share_bps",
                        measured=party_g * BPS // total_g,
                        threshold=rules.concentration_bps,
                        detail=f"{verb} {party_g} g of the day's {total_g} g",
                        rule=cite(rule_set, "surveillance", rules.cited, _KEYS),
                    )
                )
    return findings
