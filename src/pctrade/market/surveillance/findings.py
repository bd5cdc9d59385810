"""A finding of the abnormal-trading report, and the rule it cites.

Every finding says what kind of signature fired (``FindingKind``), on which contract
and day, which parties it is about, the evidence (trade and order ids, in order), the
figure measured against the rule's threshold, and the rule: the rule-set version and
digest, the ``[surveillance]`` keys that fired, the section's sources, and which of
those keys are assumptions rather than published figures. Findings sort by kind, then
contract, day, evidence and parties, so a report made twice from the same records is
the same report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from pctrade.kernel.errors import Conflict
from pctrade.rules.model import Cited, RuleSet


class FindingKind(StrEnum):
    WASH_TRADE = "wash_trade"  # trades between one party's or related parties' accounts
    LAYERING = "layering"  # orders away from the touch, cancelled, while trading opposite
    PRICE_SPIKE = "price_spike"  # a trade far from a recent price or the previous close
    CONCENTRATION = "concentration"  # one party's share of a day's volume


_KIND_ORDER = {kind: i for i, kind in enumerate(FindingKind)}


class RuleCitation(NamedTuple):
    rule_set: str  # version, e.g. CN/2021-02-01
    digest: str  # SHA-256 of the rule-set file
    section: str
    keys: tuple[str, ...]  # the fields that fired
    sources: tuple[str, ...]  # the section's [sources.*]
    assumed: tuple[str, ...]  # which of ``keys`` are assumptions


class Finding(NamedTuple):
    kind: FindingKind
    contract: str
    day: date  # the day of the first evidence
    parties: tuple[str, ...]  # sorted
    trade_ids: tuple[int, ...]
    order_ids: tuple[int, ...]
    volume_g: int  # the traded quantity the evidence holds
    measure: str  # what ``measured`` is, e.g. ``move_bps``
    measured: int
    threshold: int
    detail: str
    rule: RuleCitation


def cite(rule_set: RuleSet, section: str, cited: Cited, keys: Iterable[str]) -> RuleCitation:
    fired = tuple(keys)
    return RuleCitation(
        rule_set.version,
        rule_set.digest,
        section,
        fired,
        cited.sources,
        tuple(k for k in fired if k in cited.assumed),
    )


def price_step(rule_set: RuleSet) -> int:
    """The tick of the rule set's ``[trading]`` section, or ``no_rule``."""
    if rule_set.trading is None:
        raise Conflict(f"rule set {rule_set.version} has no trading rules", code="no_rule")
    return rule_set.trading.price_step_fen_per_t


def in_report_order(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(
        sorted(
            findings,
            key=lambda f: (
                _KIND_ORDER[f.kind],
                f.contract,
                f.day,
                f.trade_ids,
                f.order_ids,
                f.parties,
            ),
        )
    )
