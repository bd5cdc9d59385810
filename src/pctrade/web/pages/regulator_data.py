"""What the regulator console shows, from the contexts' services and queries.

- rules: the rule sets by version, and the differences between two (``rules.diff``,
  what ``GET /rules/diff`` answers);
- caps: each capped period's use (``compliance.queries.cap_status``) and the period's
  compliance report (``Reports.compliance_report``);
- approvals: sink projects waiting for approval and verified monitoring reports not
  yet issued (``sinks.queries.projects_for_review``); carbon-inclusive issuances
  (``CarbonInclusive.issuances``);
- review: held behaviour events no one has decided (``energy.review.undecided_for``);
- surveillance: each contract's abnormal-trading report over its trading days
  (``MarketReports.abnormal_trading``), and per jurisdiction the large-holder report
  where its rule set in force has position limits (``[positions]``,
  ``MarketReports.large_holders``, ``GET /markets/{market}/large-holders``);
- integrity: the cap-integrity report (``Reports.integrity``), from the journal alone;
- fees: the platforms' pool fee levels (``pools.queries.fee_levels``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pctrade.bootstrap import App
from pctrade.compliance import queries as compliance_queries
from pctrade.energy import review
from pctrade.kernel.errors import NotFound
from pctrade.ledger.write import acting_party
from pctrade.market import queries as market_queries
from pctrade.pools import queries as pools_queries
from pctrade.rules import RuleSet
from pctrade.rules.diff import diff
from pctrade.sinks.queries import projects_for_review
from pctrade.web.pages.market_data import bar_range

HELD_SHOWN = 20
FEES_SHOWN = 200
ISSUANCES_SHOWN = 200
Row = dict[str, Any]


def rule_sets(app: App) -> list[RuleSet]:
    return list(app.rules.rule_sets())


def rule_diff(app: App, before: str, after: str) -> list[Row]:
    """Each figure, assumption and citation that differs from ``before`` to ``after``."""
    a, b = app.rules.by_version(before), app.rules.by_version(after)
    return [asdict(c) for c in diff(a, b)]


def caps(app: App, actor: str) -> list[Row]:
    """Each capped period's use and its compliance report, newest first."""
    reports = app.compliance_reports
    reports.require_reader(actor)
    found = []
    for j, p in reversed(compliance_queries.capped_periods(app.store)):
        found.append(
            {
                "cap": compliance_queries.cap_status(app.store, j, p),
                "report": reports.compliance_report(j, p),
            }
        )
    return found


def approvals(app: App) -> Row:
    return {
        "projects": projects_for_review(app.registry),
        "issuances": app.inclusive.issuances(None, 0, ISSUANCES_SHOWN).items,
    }


def held_events(app: App, actor: str) -> list[review.HeldEvent]:
    with app.store.reader() as uow:
        who = acting_party(uow, actor)
    return review.undecided_for(who, app.store, HELD_SHOWN)


def surveillance(app: App, actor: str) -> list[Row]:
    """Each contract's abnormal-trading report from its listing to today."""
    found = []
    for c in market_queries.contracts(app.store):
        code = str(c["code"])
        first, last = bar_range(str(c["listed_at"]), app.clock().date())
        try:
            report = app.market_reports.abnormal_trading(
                actor, code, first.isoformat(), last.isoformat()
            )
        except NotFound:  # delisted between the two reads
            continue
        found.append({"contract": code, "report": report})
    return found


def positions(app: App, actor: str) -> list[Row]:
    """Per jurisdiction, the rule set in force today and, where it limits positions,
    its large-holder report (``report`` None: no ``[positions]`` in that rule set)."""
    today = app.clock().date()
    found = []
    for jurisdiction in sorted({r.jurisdiction for r in app.rules.rule_sets()}):
        try:
            rule_set = app.rules.in_force(jurisdiction, today)
        except NotFound:  # every rule set of it starts later
            continue
        report = None
        if rule_set.positions is not None:
            report = app.market_reports.large_holders(actor, jurisdiction, today.isoformat())
        found.append({"jurisdiction": jurisdiction, "rule_set": rule_set, "report": report})
    return found


def integrity(app: App, actor: str) -> Row:
    app.compliance_reports.require_reader(actor)
    return app.compliance_reports.integrity().as_json()


def fee_levels(app: App, actor: str) -> list[Row]:
    return pools_queries.fee_levels(app.store, actor, "", FEES_SHOWN).items
