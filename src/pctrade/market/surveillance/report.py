"""The abnormal-trading report for the regulator: every signature over one period.

``abnormal_trading_report`` runs the four signatures (``wash``, ``layering``,
``spikes``, ``concentration``) over a period's trades, order actions and relations,
under the rule set given, and returns their findings in report order. It is pure: the
same records and rule set give the same report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import NamedTuple

from pctrade.market.data.records import TradeRecord
from pctrade.market.surveillance.concentration import concentration
from pctrade.market.surveillance.findings import Finding, in_report_order
from pctrade.market.surveillance.layering import layering
from pctrade.market.surveillance.records import OrderRecord, Relation
from pctrade.market.surveillance.spikes import price_spikes
from pctrade.market.surveillance.wash import wash_trades
from pctrade.rules.model import RuleSet


class AbnormalTradingReport(NamedTuple):
    rule_set: str
    digest: str
    first_day: date | None  # the period's first and last trading day with a trade
    last_day: date | None
    trades: int
    order_actions: int
    findings: tuple[Finding, ...]


def abnormal_trading_report(
    trades: Iterable[TradeRecord],
    orders: Iterable[OrderRecord],
    relations: Iterable[Relation],
    rule_set: RuleSet,
    previous_closes: Mapping[str, int | None] | None = None,
    instruments: Mapping[str, str] | None = None,
) -> AbnormalTradingReport:
    """The period's findings. ``previous_closes``: each contract's close before it;
    ``instruments``: each contract's instrument (its own tick, ``[trading] lots``)."""
    trade_list, order_list = list(trades), list(orders)
    findings = [
        *wash_trades(trade_list, relations, rule_set),
        *layering(trade_list, order_list, rule_set),
        *price_spikes(trade_list, previous_closes or {}, rule_set, instruments),
        *concentration(trade_list, rule_set),
    ]
    days = sorted({t.day for t in trade_list})
    return AbnormalTradingReport(
        rule_set.version,
        rule_set.digest,
        days[0] if days else None,
        days[-1] if days else None,
        len(trade_list),
        len(order_list),
        in_report_order(findings),
    )
