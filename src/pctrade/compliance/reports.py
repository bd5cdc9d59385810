"""What compliance reads back: status per emitter per period, the regulator's report,
and the cap-integrity report.

- ``status``: an emitter's status for a period (``compliance.status``: A compliant,
  B surrendered less than the verified emissions, C emissions not verified), the
  shortfall in grams and the penalty, with the surrender entries that counted. Before
  the deadline the status is provisional (``final`` false: a B then means "not yet");

  The deadline and what counts are the rule set in force today's (the one a surrender
  now is checked against, as ``surrender_service``). The penalty is the rule set in
  force on the deadline's day: failing to surrender is an act done when the deadline
  passes, and a penalty follows the rules in force when the act was done (行政处罚法
  art. 37). So a national shortfall of 2021-2022 (due 2023-12-31) owes Decree 19's
  fixed fine, one of 2023 (due 2024-12-31) the Interim Regulations' 5-10 times its
  value. Its price, when it is fined at market value, is ``compliance.market_price``'s:
  the caller's, else the registry's own market average in the rule's window;
- ``compliance_report``: every emitter with an obligation or a surrender in the period,
  with the counts per status, the total shortfall and the offsets used;
- ``integrity``: the cap-integrity report, from the journal alone, in one read
  snapshot: its sums in SQL (``compliance.integrity_sets``), the same figures as the
  fold of ``compliance.integrity`` (``integrity_by_fold``), which ``verify`` runs.

The status reads the surrender rows (what has counted) and the obligation from MRV;
the integrity report reads nothing but the journal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pctrade.compliance.integrity import AUCTION_KIND, Integrity
from pctrade.compliance.integrity_sets import integrity_of
from pctrade.compliance.market_price import AllowanceTradesOf, penalty_price
from pctrade.compliance.offset_room import OffsetRoom, offset_room
from pctrade.compliance.sql import store as mrv
from pctrade.compliance.sql import surrenders as db
from pctrade.compliance.status import PenaltyPrice, Status, StatusReport, status_of
from pctrade.compliance.surrender_service import ObligationOf, compliance_rules, so_far
from pctrade.kernel.clock import Clock
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import account_of
from pctrade.ledger.write import acting_party
from pctrade.rules import RuleBook
from pctrade.rules.model import Compliance, period_years

# The emitter accounts with an obligation for a jurisdiction's period (MRV's reports).
EmittersOf = Callable[[UnitOfWork, str, str], Sequence[int]]
REPORT_EMITTERS_MAX = 1_000_000  # a jurisdiction has thousands of key emitters


@dataclass(frozen=True, slots=True)
class EmitterStatus:
    account_id: int
    jurisdiction: str
    period: str
    deadline: date
    final: bool  # the deadline has passed
    report: StatusReport
    allowances_g: int
    offsets_g: int
    rule_set: str
    entries: tuple[int, ...]  # the surrender entries that counted
    penalty_rule_set: str = ""  # the rule set in force on the deadline, which fines

    def as_json(self) -> JsonDict:
        r, p = self.report, self.report.penalty
        return {
            "account_id": self.account_id,
            "jurisdiction": self.jurisdiction,
            "period": self.period,
            "deadline": self.deadline.isoformat(),
            "final": self.final,
            "status": str(r.status),
            "verified_emissions_g": r.verified_g,
            "debt_g": r.debt_g,
            "owed_g": r.owed_g,
            "surrendered_g": r.surrendered_g,
            "allowances_g": self.allowances_g,
            "offsets_g": self.offsets_g,
            "shortfall_g": r.shortfall_g,
            "penalty": None
            if p is None
            else {
                "fine_min_fen": p.fine_min_fen,
                "fine_max_fen": p.fine_max_fen,
                "deduction_g": p.deduction_g,
                "rule_set": self.penalty_rule_set,
                "price": _price_json(p.price),
            },
            "rule_set": self.rule_set,
            "entries": list(self.entries),
        }


def _price_json(price: PenaltyPrice | None) -> JsonDict | None:
    if price is None:
        return None
    return {
        "price_fen_per_t": price.price_fen_per_t,
        "basis": str(price.basis),
        "first_day": None if price.first_day is None else price.first_day.isoformat(),
        "last_day": None if price.last_day is None else price.last_day.isoformat(),
        "trades": price.trades,
        "quantity_g": price.quantity_g,
        "cash_fen": price.cash_fen,
    }


def emitters_of_period(uow: UnitOfWork, jurisdiction: str, period: str) -> list[int]:
    """The emitter accounts the period concerns: those given an allocation for it (the
    auction account aside) and those with an emissions report (MRV's rows). One that
    never reported is listed, as C."""
    accounts: set[int] = set()
    for run in mrv.runs_of(uow, jurisdiction, period):
        if run["kind"] != AUCTION_KIND:
            accounts.update(int(r["account_id"]) for r in mrv.lines_of_run(uow, run["entry_seq"]))
    after = ""
    while len(accounts) < REPORT_EMITTERS_MAX:
        page = mrv.reports_page(uow, jurisdiction, period, after, PAGE_SIZE_MAX)
        accounts.update(int(r["emitter_account"]) for r in page)
        if len(page) < PAGE_SIZE_MAX:
            break
        after = str(page[-1]["report_id"])
    return sorted(accounts)


class Reports:
    def __init__(
        self,
        store: Store,
        rules: RuleBook,
        obligation_of: ObligationOf,
        emitters_of: EmittersOf,
        clock: Clock,
        allowance_trades: AllowanceTradesOf,
    ) -> None:
        self.store = store
        self.rules = rules
        self.obligation_of = obligation_of
        self.emitters_of = emitters_of
        self.clock = clock
        self.allowance_trades = allowance_trades  # the market's, through bootstrap

    def today(self) -> date:
        return self.clock().date()

    def require_reader(self, actor: str, account_id: int | None = None) -> None:
        """An emitter's status is read by its holder, its agents and the authorities;
        the period's report and the integrity report by the authorities."""
        with self.store.reader() as uow:
            who = acting_party(uow, actor)
            if account_id is None:
                access.require_authority(who, "read compliance reports")
                return
            account = account_of(uow, account_id)
            agents = () if who.party_id == account.owner else uow.agents(account_id)
            access.require_account_reader(who, account, agents)

    def status(
        self, account_id: int, jurisdiction: str, period: str, price_fen_per_t: int | None = None
    ) -> EmitterStatus:
        """``price_fen_per_t``: a price to value a market-value fine at instead of the
        market's average in the rule's window (reported as ``given``)."""
        if price_fen_per_t is not None and price_fen_per_t <= 0:
            raise ValidationError("price_fen_per_t must be positive", code="bad_price")
        with self.store.reader() as uow:
            fining = self._fining(jurisdiction, period)
            price = self._price(uow, jurisdiction, period, fining[1], price_fen_per_t)
            return self._status(uow, account_id, jurisdiction, period, fining, price)

    def _fining(self, jurisdiction: str, period: str) -> tuple[str, Compliance]:
        """The rule set that fines a shortfall of the period: the one in force on the
        deadline's day (the deadline itself is today's rule set's). A deadline before
        the book's first version of the jurisdiction takes that first version: the book
        holds no older rules, and it is the nearest it knows."""
        period_years(period)
        _, today = compliance_rules(self.rules.in_force(jurisdiction, self.today()))
        first = min(
            r.effective_from for r in self.rules.rule_sets() if r.jurisdiction == jurisdiction
        )
        rule_set = self.rules.in_force(jurisdiction, max(today.deadline(period), first))
        _, compliance = compliance_rules(rule_set)
        return rule_set.version, compliance

    def _price(
        self,
        uow: UnitOfWork,
        jurisdiction: str,
        period: str,
        compliance: Compliance,
        given_fen_per_t: int | None,
    ) -> PenaltyPrice | None:
        return penalty_price(
            uow, self.allowance_trades, jurisdiction, period, compliance, given_fen_per_t
        )

    def _status(
        self,
        uow: UnitOfWork,
        account_id: int,
        jurisdiction: str,
        period: str,
        fining: tuple[str, Compliance],
        price: PenaltyPrice | None,
    ) -> EmitterStatus:
        period_years(period)
        on = self.today()
        rule_set = self.rules.in_force(jurisdiction, on)
        _, compliance = compliance_rules(rule_set)
        obligation = self.obligation_of(uow, account_id, jurisdiction, period)
        counted = so_far(uow, account_id, jurisdiction, period)
        deadline = compliance.deadline(period)
        return EmitterStatus(
            account_id,
            jurisdiction,
            period,
            deadline,
            on > deadline,
            status_of(obligation, counted, fining[1], price),
            counted.allowances_g,
            counted.offsets_g,
            rule_set.version,
            tuple(db.entries_of(uow, account_id, jurisdiction, period)),
            fining[0],
        )

    def offset_room(self, account_id: int, jurisdiction: str, period: str) -> OffsetRoom:
        """What the emitter may still surrender as offsets for the period, under the rule
        set in force today (the one a surrender now would be checked against)."""
        period_years(period)
        rule_set = self.rules.in_force(jurisdiction, self.today())
        offsets, compliance = compliance_rules(rule_set)
        with self.store.reader() as uow:
            obligation = self.obligation_of(uow, account_id, jurisdiction, period)
            counted = so_far(uow, account_id, jurisdiction, period)
        return offset_room(rule_set.version, offsets, compliance, obligation, counted)

    def periods_of(self, account_id: int) -> list[tuple[str, str]]:
        """The capped periods that concern an emitter's account (an allocation, a report
        or a surrender in them), as (jurisdiction, period), newest period first."""
        found: list[tuple[str, str]] = []
        with self.store.reader() as uow:
            for cap in mrv.all_caps(uow):
                j, p = str(cap["jurisdiction"]), str(cap["period"])
                concerned = set(self.emitters_of(uow, j, p)) | set(db.totals_of_period(uow, j, p))
                if account_id in concerned:
                    found.append((j, p))
        return sorted(found, key=lambda jp: (jp[1], jp[0]), reverse=True)

    def compliance_report(
        self, jurisdiction: str, period: str, price_fen_per_t: int | None = None
    ) -> JsonDict:
        """The regulator's report of a period: every emitter's status and the totals,
        every shortfall valued at the one price (read once)."""
        if price_fen_per_t is not None and price_fen_per_t <= 0:
            raise ValidationError("price_fen_per_t must be positive", code="bad_price")
        with self.store.reader() as uow:
            fining = self._fining(jurisdiction, period)
            price = self._price(uow, jurisdiction, period, fining[1], price_fen_per_t)
            accounts = set(self.emitters_of(uow, jurisdiction, period))
            accounts |= set(db.totals_of_period(uow, jurisdiction, period))
            rows = [
                self._status(uow, a, jurisdiction, period, fining, price)
                for a in sorted(accounts)[:REPORT_EMITTERS_MAX]
            ]
        counts = {str(s): sum(1 for r in rows if r.report.status is s) for s in Status}
        return {
            "jurisdiction": jurisdiction,
            "period": period,
            "deadline": rows[0].deadline.isoformat() if rows else None,
            "final": rows[0].final if rows else None,
            "emitters": len(rows),
            "by_status": counts,
            "verified_emissions_g": sum(r.report.verified_g or 0 for r in rows),
            "debt_g": sum(r.report.debt_g for r in rows),
            "owed_g": sum(r.report.owed_g or 0 for r in rows),
            "surrendered_g": sum(r.report.surrendered_g for r in rows),
            "allowances_g": sum(r.allowances_g for r in rows),
            "offsets_g": sum(r.offsets_g for r in rows),
            "shortfall_g": sum(r.report.shortfall_g for r in rows),
            "penalty_rule_set": fining[0],
            "price": _price_json(price),
            "rows": [r.as_json() for r in rows],
        }

    def integrity(self) -> Integrity:
        """The cap-integrity report, from the journal alone (one read snapshot), its sums
        taken in SQL (``compliance.integrity_sets``)."""
        with self.store.reader() as uow:
            return integrity_of(uow)

    def integrity_by_fold(self) -> Integrity:
        """The same report by feeding every entry through ``Integrity`` in Python: what
        ``verify`` runs; kept to hold the set-based report to it."""
        report = Integrity()
        with self.store.reader() as uow:
            for entry in uow.stream_journal():
                for _ in report.feed(entry):
                    pass
        return report
