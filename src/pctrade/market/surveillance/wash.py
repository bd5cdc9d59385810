"""Wash trades (自买自卖, 互为对手方交易): trades between accounts of one party, or of
related parties, that are frequent or large within the period.

The exchanges name it among the behaviours they watch: "固定或涉嫌关联的交易账户之间，
大量或频繁进行反向交易" (the CCER trading rules of 2023; the securities exchanges' 自买
自卖 and 互为对手方交易). A trade counts when its buyer and seller are one party (kind
``same_party``) or are joined by a ``Relation`` whose kind the rule set lists in
``related_kinds``. The counted trades of a pair of parties on a contract make a finding
when there are at least ``wash_trades_min`` of them ("frequent") or they add up to at
least ``wash_volume_g_min`` ("large"). Every trading mode counts: a block trade between
related accounts is no less a wash trade.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pctrade.market.data.records import TradeRecord, in_sequence
from pctrade.market.surveillance.findings import Finding, FindingKind, cite
from pctrade.market.surveillance.records import SAME_PARTY, Relation
from pctrade.rules.model import RuleSet

Pair = tuple[str, str]


def relation_kinds(relations: Iterable[Relation], counted: Iterable[str]) -> dict[Pair, set[str]]:
    """Each related pair of distinct parties (sorted), with its kinds the rule set counts."""
    wanted = set(counted)
    pairs: dict[Pair, set[str]] = defaultdict(set)
    for r in relations:
        if r.kind in wanted and r.party_a != r.party_b:
            a, b = sorted((r.party_a, r.party_b))
            pairs[(a, b)].add(r.kind)
    return pairs


def wash_trades(
    trades: Iterable[TradeRecord], relations: Iterable[Relation], rule_set: RuleSet
) -> list[Finding]:
    rules = rule_set.require_surveillance()
    related = relation_kinds(relations, rules.related_kinds)
    same_party_counts = SAME_PARTY in rules.related_kinds
    groups: dict[tuple[str, Pair], list[TradeRecord]] = defaultdict(list)
    kinds_of: dict[tuple[str, Pair], set[str]] = defaultdict(set)
    for t in sorted(trades, key=in_sequence):
        a, b = sorted((t.buyer_party, t.seller_party))
        if a == b:
            kinds = {SAME_PARTY} if same_party_counts else set()
        else:
            kinds = related.get((a, b), set())
        if kinds:
            groups[(t.contract, (a, b))].append(t)
            kinds_of[(t.contract, (a, b))] |= kinds
    findings = []
    for (contract, pair), found in groups.items():
        volume_g = sum(t.quantity_g for t in found)
        if volume_g >= rules.wash_volume_g_min:
            key, measured, threshold = "wash_volume_g_min", volume_g, rules.wash_volume_g_min
        elif len(found) >= rules.wash_trades_min:
            key, measured, threshold = "wash_trades_min", len(found), rules.wash_trades_min
        else:
            continue
        named = ", ".join(sorted(kinds_of[(contract, pair)]))
        findings.append(
            Finding(
                kind=FindingKind.WASH_TRADE,
                contract=contract,
                day=found[0].day,
                parties=tuple(sorted(set(pair))),
                trade_ids=tuple(t.trade_id for t in found),
                order_ids=(),
                volume_g=volume_g,
                measure="volume_g" if key == "wash_volume_g_min" else "trades",
                measured=measured,
                threshold=threshold,
                detail=f"{len(found)} trades, {volume_g} g, between parties related as {named}",
                rule=cite(rule_set, "surveillance", rules.cited, ("related_kinds", key)),
            )
        )
    return findings
