"""The sink entries' evidence: the rows each one writes beside its journal entry.

``Journal.execute`` writes an entry's evidence in the entry's transaction, after the
entry is appended, and records its ``facts`` in the entry's hashed payload under
``"evidence"`` (``ledger.write.Evidence``). The sink context has three:

- ``SponsorshipShares``: a person's sponsor units under their ``energy_spend`` entry,
  refused if the project's price or terms changed since the request was read;
- ``IssuanceTable``: a PCER batch's issuance row and attribution table under its
  ``issue`` entry, refused if the report or the shares moved since they were read;
- ``ReversalStep``: one buffer cancellation of a reversal's plan, its seq appended to
  the reversal's row.

The facts are built by ``sinks.evidence`` from the same fields the rows are written
from, so what ``verify`` finds in the journal is what the rows must say
(``sinks.audit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.kernel.errors import Conflict, NotFound
from pctrade.kernel.limits import INT32_MAX
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import AccountId
from pctrade.ledger.ports import UnitOfWork
from pctrade.sinks.attribution import Attribution
from pctrade.sinks.evidence import (
    issuance_evidence,
    project_terms_digest,
    reversal_evidence,
    sponsorship_evidence,
)
from pctrade.sinks.fast_split import ColumnarIssue
from pctrade.sinks.monitoring import ReportStatus, check_issuable
from pctrade.sinks.project import ProjectState, ProjectStatus, sponsorship_cost_g
from pctrade.sinks.queries import project_row
from pctrade.sinks.sql import store as db


def project_state(row: db.Row) -> ProjectState:
    return ProjectState(
        row["code"],
        ProjectStatus(row["status"]),
        int(row["unit_energy_g"]),
        int(row["units_offered"]),
        int(row["units_sold"]),
    )


def project_units(project: db.Row) -> int:
    """The units in the project: declared, or (registered before units were declared)
    the units it offered."""
    declared = project.get("units_total")
    return int(project["units_offered"] if declared is None else declared)


def project_terms(uow: UnitOfWork, project: db.Row) -> str:
    return project_terms_digest(project, db.parcels_of(uow, project["code"]))


def report_row(uow: UnitOfWork, report_id: int) -> db.Row:
    row = db.report(uow, report_id) if 0 < report_id <= INT32_MAX else None
    if row is None:
        raise NotFound(f"no monitoring report {report_id}", code="unknown_report")
    return row


def requested_g(report: db.Row, quantity_g: int | None) -> int:
    """The grams an issuance asks for (all not yet issued by default), if issuable."""
    verified_g, issued_g = int(report["removals_g"]), int(report["issued_g"])
    requested = verified_g - issued_g if quantity_g is None else quantity_g
    check_issuable(ReportStatus(report["status"]), verified_g, issued_g, requested)
    return requested


@dataclass(frozen=True, slots=True)
class SponsorshipShares:
    """A sponsorship's row under its ``energy_spend`` entry; the project's units sold."""

    project_code: str
    account_id: AccountId
    units: int
    energy_g: int  # what the project's price made of the units when the request was read
    day: str
    terms: str  # the project's terms digest then

    @property
    def facts(self) -> JsonDict:
        return sponsorship_evidence(self.project_code, self.units, self.day, self.terms)

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        code = self.project_code
        row = project_row(uow, code, lock=True)
        cost_g = sponsorship_cost_g(project_state(row), self.units)
        if cost_g != self.energy_g or project_terms(uow, row) != self.terms:
            raise Conflict(f"project {code} changed its terms", code="price_changed")
        db.update_project(uow, code, units_sold=int(row["units_sold"]) + self.units)
        sponsorship = {
            "spend_seq": entry.seq,
            "project_code": code,
            "account_id": self.account_id,
            "units": self.units,
            "energy_g": self.energy_g,
            "sponsored_on": self.day,
        }
        db.insert_sponsorship(uow, sponsorship)


@dataclass(frozen=True, slots=True)
class IssuanceTable:
    """A PCER batch's issuance row and attribution table under its ``issue`` entry."""

    report_id: int
    project_code: str
    requested_g: int
    snapshot_seq: int  # every sponsorship the shares include is at or below it
    figures: db.Row  # the issuance row less its seq (``ISSUANCE_FIGURES + UNIT_FIGURES``)
    issued: ColumnarIssue
    report_digest: str
    terms: str

    @property
    def facts(self) -> JsonDict:
        return issuance_evidence(self.figures, self.issued.digest, self.report_digest, self.terms)

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        self._check_still_valid(uow)
        fresh = project_row(uow, self.project_code, lock=True)
        db.update_project(uow, self.project_code, batches=int(fresh["batches"]) + 1)
        issued_g = int(report_row(uow, self.report_id)["issued_g"]) + self.requested_g
        db.update_report(uow, self.report_id, issued_g=issued_g)
        db.insert_issuance(
            uow,
            {"issue_seq": entry.seq, **self.figures},
            _columns(self.issued.attribution),
            self.issued.cut,
        )

    def _check_still_valid(self, uow: UnitOfWork) -> None:
        """Inside the entry's transaction: nothing the attribution used has moved.

        Sponsorship rows are only ever added, each under its own entry's seq, so the
        shares read in a snapshot at ``snapshot_seq`` are still the shares unless a row
        with a higher seq now counts for the period.
        """
        report = report_row(uow, self.report_id)
        requested_g(report, self.requested_g)
        if db.sponsored_since(uow, report["project_code"], report["period_end"], self.snapshot_seq):
            raise Conflict("sponsorships changed while issuing; try again", code="shares_changed")


def _columns(a: Attribution) -> tuple[list[int], list[int], list[int], list[int], list[bool]]:
    return a.account_ids, a.shares, a.amounts_g, a.split.remainders, a.split.rounded_up


@dataclass(frozen=True, slots=True)
class ReversalStep:
    """One buffer cancellation of a reversal's plan: its seq appended to the reversal."""

    reversal: db.Row  # the reversal as planned
    part: int  # the cancellation's place in the plan
    last: bool

    @property
    def facts(self) -> JsonDict:
        return reversal_evidence(self.reversal, self.part)

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        reversal_id = int(self.reversal["reversal_id"])
        current = db.reversal(uow, reversal_id, lock=True)
        seqs = ("" if current is None else current["cancel_seqs"]).split()
        db.update_reversal(
            uow,
            reversal_id,
            cancel_seqs=" ".join([*seqs, str(entry.seq)]),
            status="done" if self.last else "open",
        )
