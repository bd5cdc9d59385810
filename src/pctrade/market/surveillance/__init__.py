"""Surveillance (市场监管): position limits, large-holder disclosure, abnormal trading.

Pure domain code over plain records (``TradeRecord`` from ``pctrade.market.data``,
``OrderRecord`` and ``Relation`` here) and the rule set in force:

    positions      the position-limit check the service makes at order entry (refusal
                   code ``position_limit``) and the large-holder report ([positions])
    report         the abnormal-trading report for the regulator: wash trades, layering,
                   price spikes, concentration ([surveillance]); each finding names its
                   kind, parties, evidence and the rule that fired with its citation

No database, no ledger, no clock (an import contract, ``market-data-surveillance-pure``).
"""

from __future__ import annotations

from pctrade.market.surveillance.findings import Finding, FindingKind, RuleCitation
from pctrade.market.surveillance.positions import (
    HolderPosition,
    LargeHolder,
    LargeHolderReport,
    PositionCheck,
    check_position,
    disclosure_threshold_g,
    large_holder_report,
    position_limit_g,
    require_within_position_limit,
    would_breach_position_limit,
)
from pctrade.market.surveillance.records import SAME_PARTY, OrderAction, OrderRecord, Relation
from pctrade.market.surveillance.report import AbnormalTradingReport, abnormal_trading_report

__all__ = [
    "SAME_PARTY",
    "AbnormalTradingReport",
    "Finding",
    "FindingKind",
    "HolderPosition",
    "LargeHolder",
    "LargeHolderReport",
    "OrderAction",
    "OrderRecord",
    "PositionCheck",
    "Relation",
    "RuleCitation",
    "abnormal_trading_report",
    "check_position",
    "disclosure_threshold_g",
    "large_holder_report",
    "position_limit_g",
    "require_within_position_limit",
    "would_breach_position_limit",
]
