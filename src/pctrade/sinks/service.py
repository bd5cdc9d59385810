"""Sink use cases: register, approve, sponsor, report, verify, issue and reverse.

Each use case is one function of ``Sinks`` and, where it moves holdings, one registry
operation whose evidence rows are written *beside* the journal entry, in the same
transaction (typed ``Evidence`` handed to ``Journal.execute``, in ``sinks.beside``):

- ``sponsor`` spends the person's green energy once (``energy_spend``) and records
  their units under that entry's seq: no spend without shares, no shares without spend.
- ``issue`` creates one PCER batch for a verified report in ONE bulk ``issue`` entry
  to every sponsor and the buffer account, and stores the batch's attribution table.
  Sponsors receive their units' share of the removals (``sinks.attribution``); the
  share of units nobody sponsored is recorded on the issuance as unissued.

The project rules are checked twice: once before the registry is asked (to answer
fast and with the project's reason rather than a balance error), and again inside the
entry's transaction, where the journal head serialises writers, so a concurrent
change cannot slip between check and write. Any refusal leaves nothing written.

Project registration, approval, closing, monitoring reports and their verification
move no holdings, so they write no entry: each is one transaction on the sink tables,
logged under the caller's idempotency key in the ledger's request log
(``Journal.execute_recorded``; the requests are in ``sinks.requests``). The same request
again answers the row it wrote (flagged ``replayed``), another one under the key is
``idempotency_key_reused``.

A reversal may need several ``cancel`` entries (one per buffer batch), so it is a
recorded plan executed step by step: the plan is stored first under the caller's
idempotency key (the ledger's request log, ``Journal.execute_recorded``: the one
idempotency mechanism), each cancellation is keyed by its position in the plan, and
calling ``reverse`` again with the same key resumes where a failure stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pctrade.energy.commands import SpendEnergy
from pctrade.energy.entries import spend_energy
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from pctrade.kernel.limits import REASON_LEN_MAX
from pctrade.ledger import access
from pctrade.ledger import commands as c
from pctrade.ledger.journal import Entry, JsonDict, format_ts
from pctrade.ledger.model import (
    AccountId,
    Denomination,
    Instrument,
    Party,
    Role,
    State,
    SystemAccount,
)
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Receipt, Registry
from pctrade.ledger.write import LoggedRow, Prior, Request, replay_of
from pctrade.rules import IssuancePath, RuleBook, RuleSet
from pctrade.sinks import requests as rq
from pctrade.sinks.attribution import (
    Attribution,
    ReversalPlan,
    credited_basis,
    plan_reversal,
)
from pctrade.sinks.beside import (
    IssuanceTable,
    ReversalStep,
    SponsorshipShares,
    project_state,
    project_terms,
    project_units,
    report_row,
    requested_g,
)
from pctrade.sinks.evidence import (
    report_digest,
)
from pctrade.sinks.fast_split import attribute_columns
from pctrade.sinks.monitoring import (
    FiledReport,
    Period,
    ReportStatus,
    check_decision,
    check_measured,
    check_no_overlap,
    check_period,
    check_period_ended,
    check_verifier,
)
from pctrade.sinks.price import spec_standard
from pctrade.sinks.project import (
    ProjectSpec,
    ProjectStatus,
    require_status,
    sponsorship_cost_g,
    validate_spec,
)
from pctrade.sinks.queries import project_row
from pctrade.sinks.removals import (
    DAYS_PER_YEAR,
    RemovalModels,
    check_plausible,
    expected_removal_g,
    removal_models,
)
from pctrade.sinks.sql import store as db

SPONSOR_PURPOSE = "sink_sponsorship"
BATCHES_PER_PROJECT_MAX = 999  # the serial in a denomination has three digits


def _day(text: str) -> date:
    return date.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class Sponsorship:
    spend_seq: int
    project_code: str
    account_id: AccountId
    units: int
    energy_g: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class Issuance:
    issue_seq: int
    batch: str
    report_id: int
    removals_g: int
    buffer_g: int
    attributed_g: int  # to the sponsors, in all
    sponsors: int
    leftover_g: int
    replayed: bool
    unissued_g: int = 0  # the removals of units nobody sponsored, not issued
    project_units: int | None = None  # None: issued before per-unit attribution


@dataclass(frozen=True, slots=True)
class Reversal:
    reversal_id: int
    loss_g: int  # the whole project's loss, as reported
    covered_g: int
    shortfall_g: int
    cancel_seqs: list[int]
    issued_loss_g: int  # the part credits stand for (covered + shortfall)

    @property
    def uncredited_loss_g(self) -> int:
        """The loss of removals nobody holds credits for: recorded, not insured."""
        return self.loss_g - self.issued_loss_g


class Sinks:
    def __init__(
        self, registry: Registry, rules: RuleBook, models: RemovalModels | None = None
    ) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules
        self.models = models or removal_models()

    def _now(self) -> str:
        return format_ts(self.registry.clock())

    def _logged(
        self,
        actor: str,
        key: str,
        request: Request,
        write: Callable[[UnitOfWork, Party], JsonDict],
        answer: Callable[[JsonDict], db.Row],
    ) -> LoggedRow:
        """A write without an entry, once per key: the row it wrote, or a replay's."""
        logged = self.registry.journal.execute_recorded(actor, key, request, write)
        return LoggedRow(answer(logged.result), logged.replayed)

    # ---- projects -------------------------------------------------------------------
    def register(self, actor: str, key: str, spec: ProjectSpec, stand_age_y: int = 0) -> LoggedRow:
        """A project owner registers a project; it waits for the regulator's approval."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            validate_spec(spec, self.models.forest_types)
            if not 0 <= stand_age_y < 1_000:
                raise ValidationError("stand age is 0 to 999 years", code="bad_stand_age")
            rules = self._rules(spec)
            access.require_role(who, (Role.PROJECT_OWNER,), "register projects")
            if db.project(uow, spec.code) is not None:
                raise Conflict(f"project {spec.code} exists", code="project_exists")
            standard = spec_standard(
                self.models, spec, stand_age_y, rules.energy_per_removal_bps(), rules.version
            )
            standard.check(spec.unit_energy_g)  # the published price, or refused citing it
            row = self._project_row(actor, spec, stand_age_y, rules)
            row["unit_expected_g"] = standard.expected_removal_g
            row["energy_per_removal_bps"] = standard.energy_per_removal_bps
            db.insert_project(uow, row, _parcels(spec))
            return {"project_code": spec.code}

        request = rq.register(spec, stand_age_y)
        return self._logged(actor, key, request, write, lambda _: self.project(spec.code))

    # ---- rule set (buffer rate; begin) ----------------------------------------------
    def _rules(self, spec: ProjectSpec) -> RuleSet:
        """The rule set in force for the project's jurisdiction at registration.

        It must admit sink sponsorship; its buffer rate for the project type is fixed on
        the project with the rule set's version, which the project row cites.
        """
        rules = self.rules.in_force(spec.jurisdiction, self.registry.clock().date())
        rules.require_path(IssuancePath.SINK_SPONSORSHIP)
        rules.buffer_bps(str(spec.project_type))  # refuse now if it sets no rate
        return rules

    # ---- rule set (buffer rate; end) ------------------------------------------------

    def _project_row(
        self, owner: str, spec: ProjectSpec, stand_age_y: int, rules: RuleSet
    ) -> db.Row:
        unit = spec.sponsor_unit
        return {
            "code": spec.code,
            "name": spec.name,
            "project_type": str(spec.project_type),
            "jurisdiction": spec.jurisdiction,
            "forest_type": spec.forest_type,
            "owner": owner,
            "affiliates": " ".join(spec.affiliates),
            "area_m2": spec.area_m2,
            "stand_age_y": stand_age_y,
            "crediting_start": spec.crediting_start.isoformat(),
            "crediting_end": spec.crediting_end.isoformat(),
            "unit_energy_g": spec.unit_energy_g,
            "units_offered": spec.units_offered,
            "units_sold": 0,
            "buffer_bps": rules.buffer_bps(str(spec.project_type)),
            "rule_set": rules.version,
            "model_version": self.models.version,
            "status": str(ProjectStatus.REGISTERED),
            "registered_at": self._now(),
            "approved_by": None,
            "approved_at": None,
            "batches": 0,
            "unit_kind": str(unit.kind),
            "units_total": unit.units_total,
            "unit_area_m2": unit.area_m2,
            "m2_per_unit": unit.m2_per_unit,
        }

    def approve(self, actor: str, key: str, code: str) -> LoggedRow:
        """The regulator approves a registered project; sponsorship opens."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            access.require_role(who, (Role.REGULATOR,), "approve sink projects")
            row = project_row(uow, code, lock=True)
            require_status(code, ProjectStatus(row["status"]), ProjectStatus.REGISTERED, "approval")
            db.update_project(
                uow,
                code,
                status=str(ProjectStatus.APPROVED),
                approved_by=actor,
                approved_at=self._now(),
            )
            return {"project_code": code}

        return self._logged(actor, key, rq.approve(code), write, lambda _: self.project(code))

    def close(self, actor: str, key: str, code: str) -> LoggedRow:
        """The owner or the regulator closes sponsorship; reports and issuance go on."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            row = project_row(uow, code, lock=True)
            if who.party_id != row["owner"] and who.role != Role.REGULATOR:
                raise Forbidden(f"{actor} may not close project {code}")
            require_status(code, ProjectStatus(row["status"]), ProjectStatus.APPROVED, "closing")
            db.update_project(uow, code, status=str(ProjectStatus.CLOSED))
            return {"project_code": code}

        return self._logged(actor, key, rq.close(code), write, lambda _: self.project(code))

    def project(self, code: str) -> db.Row:
        with self.store.reader() as uow:
            return project_row(uow, code)

    # ---- sponsorship ----------------------------------------------------------------
    def sponsor(
        self, actor: str, key: str, account_id: AccountId, code: str, units: int
    ) -> Sponsorship:
        """Spend ``units`` × the unit price of green energy, once, for shares of ``code``."""
        with self.store.reader() as uow:
            asked = (account_id, code, units)
            prior = _prior_row(uow, actor, key, db.sponsorship, _sponsored(asked))
            if prior is not None:
                return Sponsorship(
                    int(prior["spend_seq"]), code, account_id, units, int(prior["energy_g"]), True
                )
            project = project_row(uow, code)
            cost_g = sponsorship_cost_g(project_state(project), units)
            terms = project_terms(uow, project)
        day = self.registry.clock().date().isoformat()
        cmd = SpendEnergy(account_id, cost_g, SPONSOR_PURPOSE, f"{code} x{units}")
        shares = SponsorshipShares(code, account_id, units, cost_g, day, terms)
        receipt = spend_energy(self.registry, actor, key, cmd, evidence=shares)
        return Sponsorship(receipt.seq, code, account_id, units, cost_g, receipt.replayed)

    # ---- monitoring and verification -------------------------------------------------
    def file_report(
        self, actor: str, key: str, code: str, period: Period, removals_g: int
    ) -> LoggedRow:
        """The owner files measured removals for a period; a verifier decides on it."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            check_measured(removals_g)
            row = project_row(uow, code, lock=True)
            if actor != row["owner"]:
                raise Forbidden(f"only the owner of {code} files its reports", code="not_owner")
            if row["status"] == ProjectStatus.REGISTERED:
                raise Conflict(f"project {code} is not approved", code="project_not_approved")
            check_period(period, _day(row["crediting_start"]), _day(row["crediting_end"]))
            check_period_ended(period, self.registry.clock().date())
            check_no_overlap(period, _filed(db.reports_of(uow, code)))
            expected_g = self._expected_g(row, period)
            check_plausible(removals_g, expected_g, self.models.plausibility_pct)
            report_id = db.insert_report(
                uow, _report_row(code, period, removals_g, expected_g, actor, self._now())
            )
            return {"report_id": report_id}

        request = rq.report(code, period, removals_g)
        return self._logged(actor, key, request, write, self._report_of)

    def _expected_g(self, project: db.Row, period: Period) -> int:
        # The stand ages with the project; the band at the period's start applies.
        elapsed_y = (period.start - _day(project["crediting_start"])).days // DAYS_PER_YEAR
        age_y = int(project["stand_age_y"]) + elapsed_y
        return expected_removal_g(
            self.models, project["forest_type"], int(project["area_m2"]), age_y, period.days
        )

    def verify(
        self, actor: str, key: str, report_id: int, approve: bool, reason: str = ""
    ) -> LoggedRow:
        """A verifier, not of the project's own circle, verifies or rejects a report."""

        def write(uow: UnitOfWork, who: Party) -> JsonDict:
            access.require_role(who, (Role.VERIFIER,), "verify reports")
            report = report_row(uow, report_id)
            project = project_row(uow, report["project_code"], lock=True)
            check_verifier(actor, project["owner"], project["affiliates"].split())
            check_decision(ReportStatus(report["status"]), approve, reason)
            status = ReportStatus.VERIFIED if approve else ReportStatus.REJECTED
            db.update_report(
                uow,
                report_id,
                status=str(status),
                verifier=actor,
                decided_at=self._now(),
                reason=reason,
            )
            return {"report_id": report_id}

        request = rq.decision(report_id, approve, reason)
        return self._logged(actor, key, request, write, self._report_of)

    def report(self, report_id: int) -> db.Row:
        with self.store.reader() as uow:
            return report_row(uow, report_id)

    def _report_of(self, result: JsonDict) -> db.Row:
        return self.report(int(result["report_id"]))

    # ---- issuance ---------------------------------------------------------------------
    def issue(
        self, actor: str, key: str, report_id: int, quantity_g: int | None = None
    ) -> Issuance:
        """Issue a PCER batch for a verified report: buffer share, then every sponsor."""
        with self.store.reader() as uow:
            prior = _prior_row(uow, actor, key, db.issuance, _issued(report_id, quantity_g))
            if prior is not None:
                return self._issuance(Receipt(_entry(uow, int(prior["issue_seq"])), replayed=True))
            report = report_row(uow, report_id)
            project = project_row(uow, report["project_code"])
            asked_g = requested_g(report, quantity_g)
            ids, shares = db.shares_as_of(uow, project["code"], report["period_end"])
            snapshot_seq = uow.head.last_seq  # every sponsorship the shares include is ≤ it
            terms = project_terms(uow, project)
        buffer_bps = int(project["buffer_bps"])
        issued = attribute_columns(
            asked_g,
            buffer_bps,
            int(SystemAccount.BUFFER),
            ids,
            shares,
            project_units=project_units(project),
        )
        if not issued.recipients:
            raise Conflict(
                f"{asked_g} g leave nothing to issue to the buffer or the sponsors",
                code="nothing_to_issue",
            )
        batch = _denomination(project, report)
        figures = _issuance_figures(report, batch, issued.attribution)
        table = IssuanceTable(
            report_id,
            project["code"],
            asked_g,
            snapshot_seq,
            figures,
            issued,
            report_digest(report),
            terms,
        )
        cmd = c.Issue(batch, issued.recipients, issued.amounts_g)
        return self._issuance(self.registry.issue(actor, key, cmd, evidence=table))

    def _issuance(self, receipt: Receipt) -> Issuance:
        with self.store.reader() as uow:
            row = db.issuance(uow, receipt.seq)
            if row is None:
                raise Conflict(
                    f"entry {receipt.seq} is not a sink issuance", code="not_a_sink_issuance"
                )
        # The figures stored with the issuance (verify checks them against the table).
        unissued_g = int(row["unissued_g"] or 0)  # NULL: issued before per-unit attribution
        units = row["project_units"]
        return Issuance(
            receipt.seq,
            row["batch"],
            int(row["report_id"]),
            int(row["removals_g"]),
            int(row["buffer_g"]),
            int(row["removals_g"]) - int(row["buffer_g"]) - unissued_g,
            int(row["sponsors"]),
            int(row["leftover_g"]),
            receipt.replayed,
            unissued_g,
            None if units is None else int(units),
        )

    # ---- reversal ---------------------------------------------------------------------
    def reverse(self, actor: str, key: str, code: str, loss_g: int, cause: str) -> Reversal:
        """Cover a reported loss from the project's buffer credits; report any shortfall."""
        if not cause.strip() or len(cause) > REASON_LEN_MAX:
            raise ValidationError(f"a cause has 1 to {REASON_LEN_MAX} characters", code="bad_cause")
        row = self._plan_reversal(actor, key, code, loss_g, cause)
        parts = _plan_parts(row["plan"])
        done = [int(s) for s in row["cancel_seqs"].split()]
        for index in range(len(done), len(parts)):
            batch, grams = parts[index]
            self._cancel_part(actor, row, index, batch, grams, last=index == len(parts) - 1)
        return reversal_of(self._reversal(int(row["reversal_id"])))

    def _plan_reversal(self, actor: str, key: str, code: str, loss_g: int, cause: str) -> db.Row:
        """The reversal's plan, recorded once under the caller's key (a replay resumes it)."""

        def plan(uow: UnitOfWork, who: Party) -> JsonDict:
            access.require_role(who, AUTHORITIES, "record reversals")
            project_row(uow, code, lock=True)
            basis = credited_basis(db.issuances_of(uow, code))
            planned = plan_reversal(loss_g, basis, self._buffer_left(uow, code))
            row = _reversal_row(actor, key, code, planned, cause, self._now())
            return {"reversal_id": db.insert_reversal(uow, row)}

        logged = self.registry.journal.execute_recorded(
            actor, key, rq.reversal(code, loss_g, cause), plan
        )
        return self._reversal(int(logged.result["reversal_id"]))

    def _reversal(self, reversal_id: int) -> db.Row:
        with self.store.reader() as uow:
            row = db.reversal(uow, reversal_id)
        if row is None:  # pragma: no cover - logged with its row, in one transaction
            raise NotFound(f"no reversal {reversal_id}", code="unknown_reversal")
        return row

    def _buffer_left(self, uow: UnitOfWork, code: str) -> list[tuple[str, int]]:
        """The project's buffer credits per batch, oldest first, less open plans' claims."""
        claimed: dict[str, int] = {}
        for rev in db.reversals_of(uow, code):
            executed = len(rev["cancel_seqs"].split())
            for batch, grams in _plan_parts(rev["plan"])[executed:]:
                claimed[batch] = claimed.get(batch, 0) + grams
        left: list[tuple[str, int]] = []
        for issued in db.issuances_of(uow, code):
            found = uow.batch_named(issued["batch"])
            held = (
                0
                if found is None
                else uow.balance(SystemAccount.BUFFER, found.asset_id, State.AVAILABLE)
            )
            left.append((issued["batch"], max(0, held - claimed.get(issued["batch"], 0))))
        return left

    def _cancel_part(
        self, actor: str, row: db.Row, index: int, batch: str, grams: int, *, last: bool
    ) -> None:
        reversal_id = int(row["reversal_id"])
        reason = f"sink reversal {reversal_id} of {row['project_code']}: {row['cause']}"[:512]
        cmd = c.Cancel(SystemAccount.BUFFER, batch, grams, reason)
        key = f"sink-reversal-{reversal_id}-{index}"
        self.registry.cancel(actor, key, cmd, evidence=ReversalStep(row, index, last))


# ---- replays -------------------------------------------------------------------------
# A replay is answered from the stored evidence before any rule is checked again: the
# project may have closed or the report been fully issued since, which must not turn a
# retry of a request that succeeded into an error.
def _prior_row(
    uow: UnitOfWork,
    actor: str,
    key: str,
    lookup: Callable[[UnitOfWork, int], db.Row | None],
    same: Callable[[db.Row], bool],
) -> db.Row | None:
    """The evidence row of the entry this request replays; None when the key is new.

    The entry's command names what the project's terms made of the request (grams, a
    batch), so the journal is asked whether the key's prior use was this request by
    comparing the request with the row stored beside that entry (``replay_of``).
    """
    found: list[db.Row] = []

    def same_request(prior: Prior) -> bool:
        row = None if prior.entry is None else lookup(uow, prior.entry.seq)
        if row is not None:
            found.append(row)
        return row is not None and same(row)

    return None if replay_of(uow, actor, key, same_request) is None else found[0]


def _sponsored(asked: tuple[AccountId, str, int]) -> Callable[[db.Row], bool]:
    return lambda row: (row["account_id"], row["project_code"], row["units"]) == asked


def _issued(report_id: int, quantity_g: int | None) -> Callable[[db.Row], bool]:
    return lambda row: row["report_id"] == report_id and quantity_g in (None, row["removals_g"])


def _entry(uow: UnitOfWork, seq: int) -> Entry:
    entry = uow.entry(seq)
    if entry is None:  # pragma: no cover - evidence rows are written with their entry
        raise NotFound(f"no entry {seq}", code="unknown_entry")
    return entry


# ---- row builders and small pure helpers ---------------------------------------------
def _parcels(spec: ProjectSpec) -> list[db.Row]:
    return [
        {
            "project_code": spec.code,
            "parcel_id": p.parcel_id,
            "area_m2": p.area_m2,
            "years_not_forest": p.years_not_forest,
            "wetland": p.wetland,
        }
        for p in spec.parcels
    ]


def _filed(rows: Sequence[db.Row]) -> list[FiledReport]:
    return [
        FiledReport(
            int(r["report_id"]),
            Period(_day(r["period_start"]), _day(r["period_end"])),
            ReportStatus(r["status"]),
        )
        for r in rows
    ]


def _report_row(
    code: str, period: Period, removals_g: int, expected_g: int, actor: str, now: str
) -> db.Row:
    return {
        "project_code": code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "removals_g": removals_g,
        "expected_g": expected_g,
        "filed_by": actor,
        "filed_at": now,
        "status": str(ReportStatus.PENDING),
        "verifier": None,
        "decided_at": None,
        "reason": "",
        "issued_g": 0,
    }


def _denomination(project: db.Row, report: db.Row) -> str:
    serial = int(project["batches"]) + 1
    if serial > BATCHES_PER_PROJECT_MAX:
        raise Conflict(f"project {project['code']} has used every batch serial", code="full")
    period = Period(_day(report["period_start"]), _day(report["period_end"]))
    return str(
        Denomination(
            Instrument.PCER, project["jurisdiction"], project["code"], period.vintage, serial
        )
    )


def _issuance_figures(report: db.Row, batch: str, a: Attribution) -> db.Row:
    """The issuance row less its seq: stored beside the entry and recorded in it."""
    return {
        "report_id": int(report["report_id"]),
        "project_code": report["project_code"],
        "batch": batch,
        "removals_g": a.removals_g,
        "buffer_bps": a.buffer_bps,
        "buffer_g": a.buffer_g,
        "total_shares": a.total_shares,
        "leftover_g": a.split.leftover,
        "sponsors": len(a.account_ids),
        "shares_as_of": report["period_end"],
        "project_units": a.project_units,
        "sponsors_g": a.sponsors_g,
        "unissued_g": a.unissued_g,
    }


def _reversal_row(
    actor: str, key: str, code: str, plan: ReversalPlan, cause: str, now: str
) -> db.Row:
    return {
        "project_code": code,
        "loss_g": plan.loss_g,
        "cause": cause,
        "reported_by": actor,
        "reported_at": now,
        "idem_key": key,
        "covered_g": plan.covered_g,
        "shortfall_g": plan.shortfall_g,
        "issued_loss_g": plan.issued_loss_g,
        "credited_g": plan.basis.credited_g,
        "credited_removals_g": plan.basis.removals_g,
        "plan": " ".join(f"{b}={g}" for b, g in plan.cancellations),
        "cancel_seqs": "",
        "status": "open" if plan.cancellations else "done",
    }


def reversal_of(row: db.Row) -> Reversal:
    """A stored reversal; one recorded before the credited share counted all its loss."""
    loss_g = int(row["loss_g"])
    issued = row["issued_loss_g"]
    return Reversal(
        int(row["reversal_id"]),
        loss_g,
        int(row["covered_g"]),
        int(row["shortfall_g"]),
        [int(s) for s in row["cancel_seqs"].split()],
        loss_g if issued is None else int(issued),
    )


def _plan_parts(text: str) -> list[tuple[str, int]]:
    parts = []
    for item in text.split():
        batch, grams = item.split("=")
        parts.append((batch, int(grams)))
    return parts
