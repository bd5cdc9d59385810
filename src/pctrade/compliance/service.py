"""Compliance use cases (issue 15): caps, allocation runs with a preview, MRV reports.

Each write is one journal entry (``Journal.execute``); the rows beside it are written in
its transaction from the entry itself (``RowsBeside``), so a replay of the key answers
the same entry and writes nothing. Every entry cites the rule set in force in its
jurisdiction (version and digest).

- ``set_cap``: the regulator's cap for a jurisdiction and period, once
  (``compliance_cap``); a second is refused (``cap_exists``).
- ``preview`` / ``run_allocation``: an allocation run computed from the installations
  and the rule set's ``[allocation]`` benchmarks (``compliance.allocation``), shown
  without writing, then written as ONE entry issuing a ``CEA-<J>-ALLOC-<year>-NNN`` batch
  to every emitter. Kinds:

  * ``free``: benchmark × output × factors, once per emitter and period;
  * ``preallocation``: ``[compliance] preallocation_bps`` of benchmark × the prior year's
    output (``no_rule`` where the rule set has none);
  * ``true_up``: once the emitter's emissions are confirmed, its verified year's figure
    less what was pre-allocated. Under a dynamic adjustment (``[allocation]
    dynamic_adjustment``, Fujian's annual management) the verified year's figure is first
    moved into the rule set's band around the confirmed emissions
    (``allocation.dynamically_adjusted_g``), and the entry records each figure. A
    negative true-up takes the grams back: it cancels them from the emitter's available
    CEA of the period's allocation batches, oldest first, and what the emitter no longer
    holds is recorded as its debt (``debt_g``: in ``queries.obligation`` as less
    allocation and as grams owed on top of the emissions at surrender);
  * ``auction``: paid allocation issued into the auction account, which the market's
    one-way bidding sells from (``market.auctions``): counted as auctioned against the cap.

  Each emitter gets free, or pre-allocation then one true-up, never both
  (``already_allocated``). What every run of the period drew (Σ issued − Σ taken back)
  never passes the cap (``allocation_exceeds_cap``); the rest is the reserve.
- ``submit_report`` → ``verify_report`` or ``send_back`` → ``confirm_report``: an emitter's
  annual report by source stream (whole numbers: ``negative_activity``, ``not_integer``),
  verified or sent back by a verifier that is neither the emitter nor an affiliate it
  named (``verifier_affiliated``), the verified figure confirmed by the regulator. A
  step out of turn is refused (``wrong_report_state``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pctrade.compliance import commands as c
from pctrade.compliance.allocation import (
    Band,
    CapUse,
    Installation,
    benchmark_of,
    dynamically_adjusted_g,
    free_allocation_g,
    preallocation_g,
    within_cap,
)
from pctrade.compliance.emissions import emissions_g
from pctrade.compliance.model import (
    STEP_FROM,
    Adjusted,
    Adjustment,
    AllocationKind,
    Citation,
    Line,
    ReportState,
    ReportStep,
    Run,
    Step,
    plan_allocate,
    plan_cap,
    plan_emissions,
    report_id_of,
)
from pctrade.compliance.sql import store as db
from pctrade.compliance.writes import write_cap, write_run, write_step
from pctrade.kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from pctrade.ledger import access
from pctrade.ledger.model import (
    SERIAL_MAX,
    AccountId,
    Batch,
    HolderType,
    Instrument,
    Party,
    Role,
    Series,
    SystemAccount,
)
from pctrade.ledger.operations import Plan, check_party_id
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import Receipt, Registry, RowsBeside, account_of
from pctrade.ledger.write import acting_party
from pctrade.rules import RuleBook
from pctrade.rules.model import RuleSet, period_years

REGULATOR = (Role.REGULATOR,)
VERIFIERS = (Role.VERIFIER,)
INSTALLATIONS_MAX = 1_000_000
AFFILIATES_MAX = 100
ALLOCATION_PROJECT = "ALLOC"  # CEA-CN-ALLOC-2019-001


@dataclass(frozen=True, slots=True)
class Preview:
    """What a run would write: each recipient's line, and the cap once it is in."""

    jurisdiction: str
    period: str
    kind: AllocationKind
    rule_set: str
    lines: tuple[Line, ...]
    cap: CapUse


def _jurisdiction(text: str) -> str:
    value = text.strip().upper()
    if not value.isalpha() or not 2 <= len(value) <= 3:
        raise ValidationError(f"not a jurisdiction: {text!r}", code="bad_jurisdiction")
    return value


def _kind(text: str) -> AllocationKind:
    try:
        return AllocationKind(text)
    except ValueError:
        names = ", ".join(k.value for k in AllocationKind)
        raise ValidationError(
            f"an allocation run is one of {names}, not {text!r}", code="bad_allocation_kind"
        ) from None


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number, got {value!r}", code="not_integer")
    return value


class Compliance:
    def __init__(self, registry: Registry, rules: RuleBook) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules

    def _today(self) -> date:
        return self.registry.clock().date()

    def rule_set(self, jurisdiction: str) -> RuleSet:
        """The rule set in force today in ``jurisdiction`` (``no_rule_set`` if none)."""
        return self.rules.in_force(_jurisdiction(jurisdiction), self._today())

    @staticmethod
    def _cites(rule_set: RuleSet) -> Citation:
        return Citation(rule_set.version, rule_set.digest)

    # ---- caps --------------------------------------------------------------------------
    def set_cap(self, actor: str, key: str, cmd: c.SetCap) -> Receipt:
        rule_set = self.rule_set(cmd.jurisdiction)
        jurisdiction = rule_set.jurisdiction
        plan_cap(jurisdiction, cmd.period, cmd.cap_g, self._cites(rule_set))  # refuse early

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, REGULATOR, "set caps")
            uow.head  # noqa: B018 - the head first: no other cap for the period slips in
            if db.cap(uow, jurisdiction, cmd.period) is not None:
                raise Conflict(
                    f"{jurisdiction} {cmd.period} has its cap already", code="cap_exists"
                )
            return plan_cap(jurisdiction, cmd.period, cmd.cap_g, self._cites(rule_set))

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(write_cap))

    # ---- allocation runs ---------------------------------------------------------------
    def preview(self, actor: str, cmd: c.RunAllocation) -> Preview:
        """The run ``cmd`` asks for, computed from the current state; nothing is written."""
        rule_set = self.rule_set(cmd.jurisdiction)
        with self.store.reader() as uow:
            access.require_role(acting_party(uow, actor), REGULATOR, "preview allocation runs")
            run = self._run(uow, cmd, rule_set)
            return Preview(
                run.jurisdiction,
                run.period,
                run.kind,
                rule_set.version,
                run.lines,
                self._cap_use(uow, run),
            )

    def run_allocation(self, actor: str, key: str, cmd: c.RunAllocation) -> Receipt:
        rule_set = self.rule_set(cmd.jurisdiction)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, REGULATOR, "run allocations")
            asset_id = uow.head.next_asset_id  # the head first: runs draw the cap in order
            run = self._run(uow, cmd, rule_set)
            self._cap_use(uow, run)
            batch = None
            if run.granted_g:
                series = Series(
                    Instrument.CEA,
                    run.jurisdiction,
                    ALLOCATION_PROJECT,
                    str(period_years(run.period)[0]),
                )
                serial = uow.last_serial(series) + 1
                if serial > SERIAL_MAX:
                    raise Conflict(f"series {series} is full", code="series_full")
                batch = Batch(asset_id, series.numbered(serial), run.granted_g, 0)
            return plan_allocate(run, batch)

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(write_run))

    def _cap_use(self, uow: UnitOfWork, run: Run) -> CapUse:
        """The cap once ``run`` is in: refused beyond it (``allocation_exceeds_cap``)."""
        auctioned = free = 0
        for row in db.runs_of(uow, run.jurisdiction, run.period):
            drawn = int(row["granted_g"]) - int(row["taken_g"])
            if row["kind"] == AllocationKind.AUCTION:
                auctioned += drawn
            else:
                free += drawn
        now = run.granted_g - run.taken_g
        if run.kind is AllocationKind.AUCTION:
            auctioned += now
        else:
            free += now
        return within_cap(run.cap_g, [free], auctioned)

    def _run(self, uow: UnitOfWork, cmd: c.RunAllocation, rule_set: RuleSet) -> Run:
        kind = _kind(cmd.kind)
        jurisdiction = rule_set.jurisdiction
        period_years(cmd.period)
        cap = db.cap(uow, jurisdiction, cmd.period)
        if cap is None:
            raise Conflict(f"{jurisdiction} {cmd.period} has no cap yet", code="no_cap")
        adjustment = None
        if kind is AllocationKind.AUCTION:
            lines: tuple[Line, ...] = self._auction_lines(cmd)
        else:
            lines, adjustment = self._emitter_lines(uow, cmd, kind, rule_set)
        if not any(line.granted_g or line.taken for line in lines):
            raise Conflict("the run would issue and take back nothing", code="nothing_to_issue")
        return Run(
            jurisdiction,
            cmd.period,
            kind,
            self._cites(rule_set),
            int(cap["cap_g"]),
            db.drawn_g(uow, jurisdiction, cmd.period),
            lines,
            adjustment,
        )

    @staticmethod
    def _auction_lines(cmd: c.RunAllocation) -> tuple[Line, ...]:
        if cmd.installations:
            raise ValidationError("an auction run names no installations", code="bad_request")
        grams = _whole(cmd.auctioned_g, "the auctioned quantity")
        if grams <= 0:
            raise ValidationError("an auction offers a positive quantity", code="non_positive")
        return (Line(int(SystemAccount.AUCTION), grams),)

    def _emitter_lines(
        self, uow: UnitOfWork, cmd: c.RunAllocation, kind: AllocationKind, rule_set: RuleSet
    ) -> tuple[tuple[Line, ...], Adjustment | None]:
        if cmd.auctioned_g:
            raise ValidationError("only an auction run auctions", code="bad_request")
        figures = _figures(cmd.installations, kind, rule_set)
        accounts = sorted(figures)
        _require_emitters(uow, accounts)
        _require_first(uow, rule_set.jurisdiction, cmd.period, kind, accounts)
        if kind is not AllocationKind.TRUE_UP:
            return tuple(Line(a, figures[a]) for a in accounts), None
        jurisdiction = rule_set.jurisdiction
        confirmed = _confirmed(uow, jurisdiction, cmd.period, accounts)
        adjustment = _adjustment(rule_set, figures, confirmed)
        if adjustment is not None:
            figures = {a.account_id: a.final_g for a in adjustment.figures}
        return self._true_up(uow, jurisdiction, cmd.period, figures), adjustment

    def _true_up(
        self, uow: UnitOfWork, jurisdiction: str, period: str, figures: dict[AccountId, int]
    ) -> tuple[Line, ...]:
        accounts = sorted(figures)
        given: dict[AccountId, int] = dict.fromkeys(accounts, 0)
        for row in db.kinds_of(uow, jurisdiction, period, accounts):
            given[int(row["account_id"])] += int(row["granted_g"])
        held: dict[AccountId, list[tuple[int, int]]] = {}
        assets = db.period_assets(uow, jurisdiction, period)
        for row in db.available_of(uow, accounts, assets):
            held.setdefault(int(row["account_id"]), []).append(
                (int(row["asset_id"]), int(row["amount"]))
            )
        return tuple(_true_up_line(a, figures[a] - given[a], held.get(a, [])) for a in accounts)

    # ---- emissions reports -------------------------------------------------------------
    def submit_report(self, actor: str, key: str, cmd: c.SubmitReport) -> Receipt:
        rule_set = self.rule_set(cmd.jurisdiction)
        jurisdiction = rule_set.jurisdiction
        period_years(cmd.period)
        figure = emissions_g(cmd.streams)  # refuses negative or fractional activity data
        if len(cmd.affiliates) > AFFILIATES_MAX:
            raise ValidationError(f"at most {AFFILIATES_MAX} affiliates", code="too_many")
        for party in cmd.affiliates:
            check_party_id(party)
        report_id = report_id_of(jurisdiction, cmd.period, cmd.account_id)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            account = account_of(uow, cmd.account_id)
            if account.owner != who.party_id:
                raise Forbidden(
                    f"account {account.number} is not {who.party_id}'s", code="not_owner"
                )
            if account.holder_type != HolderType.KEY_EMITTER:
                raise Conflict("only key emitters report emissions", code="not_an_emitter")
            row = db.report(uow, report_id, lock=True)
            version = _require_turn(row, ReportStep.SUBMIT, report_id) + 1
            step = Step(
                report_id,
                ReportStep.SUBMIT,
                jurisdiction,
                cmd.period,
                account.account_id,
                version,
                figure,
                self._cites(rule_set),
                streams=cmd.streams,
                affiliates=cmd.affiliates,
            )
            return plan_emissions(step)

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(write_step))

    def verify_report(self, actor: str, key: str, cmd: c.VerifyReport) -> Receipt:
        figure = _whole(cmd.verified_g, "the verified figure")
        if figure < 0:
            raise ValidationError("emissions are never negative", code="negative_activity")
        return self._decide(actor, key, cmd, cmd.report_id, ReportStep.VERIFY, figure, "")

    def send_back(self, actor: str, key: str, cmd: c.SendBackReport) -> Receipt:
        if not cmd.reason.strip():
            raise ValidationError("a report sent back says why", code="missing_reason")
        return self._decide(actor, key, cmd, cmd.report_id, ReportStep.SEND_BACK, None, cmd.reason)

    def confirm_report(self, actor: str, key: str, cmd: c.ConfirmReport) -> Receipt:
        return self._decide(actor, key, cmd, cmd.report_id, ReportStep.CONFIRM, None, "")

    def _decide(
        self,
        actor: str,
        key: str,
        cmd: c.VerifyReport | c.SendBackReport | c.ConfirmReport,
        report_id: str,
        step: ReportStep,
        figure: int | None,
        reason: str,
    ) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            row = db.report(uow, report_id, lock=True)
            if row is None:
                raise NotFound(f"no emissions report {report_id}", code="unknown_report")
            if step is ReportStep.CONFIRM:
                access.require_role(who, REGULATOR, "confirm verified emissions")
            else:
                access.require_role(who, VERIFIERS, "verify emissions reports")
                _require_unaffiliated(who, row)
            version = _require_turn(row, step, report_id)
            rule_set = self.rule_set(row["jurisdiction"])
            return plan_emissions(
                Step(
                    report_id,
                    step,
                    row["jurisdiction"],
                    row["period"],
                    int(row["emitter_account"]),
                    version,
                    row["verified_g"] if step is ReportStep.CONFIRM else figure,
                    self._cites(rule_set),
                    reason=reason,
                )
            )

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(write_step))


# ---- the rules a run's inputs meet ----------------------------------------------------
def _figures(
    installations: Sequence[c.InstallationOf], kind: AllocationKind, rule_set: RuleSet
) -> dict[AccountId, int]:
    """Each emitter's grams by the method of ``kind``, its installations summed."""
    if not installations:
        raise ValidationError("an allocation run names its installations", code="missing_field")
    if len(installations) > INSTALLATIONS_MAX:
        raise ValidationError(f"at most {INSTALLATIONS_MAX} installations", code="too_many")
    bps = None
    if kind is AllocationKind.PREALLOCATION:
        compliance = rule_set.compliance
        bps = None if compliance is None else compliance.preallocation_bps
        if bps is None:
            raise Conflict(
                f"rule set {rule_set.version} provides no pre-allocation", code="no_rule"
            )
    figures: dict[AccountId, int] = {}
    for i in installations:
        unit = Installation(
            str(i.account_id),
            benchmark_of(rule_set, i.unit_type, i.output),
            _whole(i.output_units, "output"),
            tuple(_whole(f, "an adjustment factor") for f in i.factors_bps),
        )
        grams = free_allocation_g(unit) if bps is None else preallocation_g(unit, bps)
        figures[i.account_id] = figures.get(i.account_id, 0) + grams
    return figures


def _confirmed(
    uow: UnitOfWork, jurisdiction: str, period: str, accounts: Sequence[AccountId]
) -> dict[AccountId, int]:
    """Each account's confirmed emissions: a true-up follows verification."""
    found: dict[AccountId, int] = {}
    for account_id in accounts:
        report = db.report(uow, report_id_of(jurisdiction, period, account_id))
        if report is None or report["state"] != ReportState.CONFIRMED:
            raise Conflict(
                f"account {account_id}'s {jurisdiction} {period} emissions are not "
                "confirmed yet: the true-up follows verification",
                code="emissions_not_verified",
            )
        found[account_id] = int(report["confirmed_g"])
    return found


def _adjustment(
    rule_set: RuleSet, figures: dict[AccountId, int], confirmed: dict[AccountId, int]
) -> Adjustment | None:
    """Under a dynamic adjustment, each method figure moved into the rule set's band
    around the confirmed emissions; None where the rule set trues up plainly."""
    allocation = rule_set.allocation
    if allocation is None or not allocation.dynamic_adjustment:
        return None
    band = Band(allocation.adjustment_gap_max_bps, allocation.adjustment_surplus_max_bps)
    return Adjustment(
        band,
        tuple(
            Adjusted(
                a, figures[a], confirmed[a], dynamically_adjusted_g(figures[a], confirmed[a], band)
            )
            for a in sorted(figures)
        ),
    )


def _require_emitters(uow: UnitOfWork, accounts: Sequence[AccountId]) -> None:
    for account_id in accounts:
        account = account_of(uow, account_id)
        if account.holder_type != HolderType.KEY_EMITTER:
            raise Conflict(
                f"account {account.number} is not a key emitter's", code="not_an_emitter"
            )


# What an emitter may already have had in the period for a run of each kind.
_ADMITTED_BEFORE: dict[AllocationKind, frozenset[str]] = {
    AllocationKind.FREE: frozenset(),
    AllocationKind.PREALLOCATION: frozenset(),
    AllocationKind.TRUE_UP: frozenset({AllocationKind.PREALLOCATION}),
}


def _require_first(
    uow: UnitOfWork, jurisdiction: str, period: str, kind: AllocationKind, accounts: Sequence[int]
) -> None:
    for row in db.kinds_of(uow, jurisdiction, period, accounts):
        if row["kind"] not in _ADMITTED_BEFORE[kind]:
            raise Conflict(
                f"account {row['account_id']} already had a {row['kind']} allocation for "
                f"{jurisdiction} {period}",
                code="already_allocated",
            )


def _true_up_line(account_id: AccountId, delta_g: int, held: Sequence[tuple[int, int]]) -> Line:
    """A true-up's line: grams to issue, or to take back from what the emitter holds
    of the period's batches (oldest first), the rest its debt."""
    if delta_g >= 0:
        return Line(account_id, delta_g)
    owed = -delta_g
    taken: list[tuple[int, int]] = []
    for asset_id, available in held:
        if owed == 0:
            break
        grams = min(owed, available)
        taken.append((asset_id, grams))
        owed -= grams
    return Line(account_id, 0, tuple(taken), owed)


def _require_turn(row: dict[str, object] | None, step: ReportStep, report_id: str) -> int:
    """The report's submission count, once ``step`` is its next step."""
    state = None if row is None else ReportState(str(row["state"]))
    if state not in STEP_FROM[step]:
        raise Conflict(
            f"report {report_id} is {state or 'not submitted'}: it cannot take a {step} now",
            code="wrong_report_state",
        )
    return 0 if row is None else int(str(row["version"]))


def _require_unaffiliated(who: Party, row: dict[str, object]) -> None:
    affiliates = str(row["affiliates"]).split()
    if who.party_id == row["emitter_party"] or who.party_id in affiliates:
        raise Forbidden(
            f"{who.party_id} is the emitter or affiliated with it: it may not verify "
            f"report {row['report_id']}",
            code="verifier_affiliated",
        )
