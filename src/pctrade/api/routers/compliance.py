"""Compliance (履约) over HTTP: caps, allocation runs with a preview, emissions reports.

Routes hand each call to ``compliance.service`` (writes, the preview) or
``compliance.queries`` (reads), which decide who may do what and every rule; refusals
come back as problem+json with the domain's code (``allocation_exceeds_cap``,
``negative_activity``, ``not_integer``, ``verifier_affiliated``, …). Every write takes
the mandatory ``Idempotency-Key``; a replay answers with the original entry.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from pctrade.api import compliance_schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, AppDep, IdempotencyKeyDep, StoreDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import EntryPublic
from pctrade.compliance import commands as c
from pctrade.compliance import queries

router = APIRouter(prefix="/compliance", tags=["compliance"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
READ_ERRORS = problem_responses(401, 403, 404, 422)
JurisdictionPath = Annotated[str, Path(min_length=2, max_length=3, description="e.g. CN")]
PeriodPath = Annotated[str, Path(min_length=4, max_length=9, description="e.g. 2025")]
ReportPath = Annotated[str, Path(min_length=8, max_length=40, description="ER-GD-2025-1001")]


def _entry(receipt: Any, response: Response) -> EntryPublic:
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/caps", status_code=201, responses=WRITE_ERRORS)
def set_cap(
    body: s.CapCreate, actor: ActorDep, key: IdempotencyKeyDep, app: AppDep, response: Response
) -> EntryPublic:
    """The regulator's cap for a jurisdiction's period: one entry, citing the rule set."""
    return _entry(app.compliance.set_cap(actor.party_id, key, body.command()), response)


@router.get("/caps/{jurisdiction}/{period}", responses=READ_ERRORS)
def show_cap(
    jurisdiction: JurisdictionPath, period: PeriodPath, actor: ActorDep, store: StoreDep
) -> s.CapPublic:
    """A period's cap, what its runs drew (free, auctioned) and the reserve left."""
    return s.CapPublic.model_validate(queries.cap_status(store, jurisdiction.upper(), period))


@router.post("/allocations/preview", responses=WRITE_ERRORS)
def preview_allocation(
    body: s.AllocationRunCreate, actor: ActorDep, app: AppDep
) -> s.AllocationPreview:
    """What an allocation run would issue, take back and leave of the cap; writes nothing."""
    p = app.compliance.preview(actor.party_id, body.command())
    return s.AllocationPreview(
        jurisdiction=p.jurisdiction,
        period=p.period,
        kind=str(p.kind),
        rule_set=p.rule_set,
        lines=[
            s.LinePublic(
                account_id=x.account_id, granted_g=x.granted_g, taken_g=x.taken_g, debt_g=x.debt_g
            )
            for x in p.lines
        ],
        cap_g=p.cap.cap_g,
        free_g=p.cap.free_g,
        auctioned_g=p.cap.auctioned_g,
        reserve_g=p.cap.reserve_g,
    )


@router.post("/allocations", status_code=201, responses=WRITE_ERRORS)
def run_allocation(
    body: s.AllocationRunCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: AppDep,
    response: Response,
) -> EntryPublic:
    """An allocation run as one registry entry: a CEA batch to every emitter (or the
    auction account), take-backs of a true-up, never beyond the cap."""
    return _entry(app.compliance.run_allocation(actor.party_id, key, body.command()), response)


@router.post("/reports", status_code=201, responses=WRITE_ERRORS)
def submit_report(
    body: s.ReportCreate, actor: ActorDep, key: IdempotencyKeyDep, app: AppDep, response: Response
) -> EntryPublic:
    """An emitter's annual emissions report by source stream (whole numbers)."""
    return _entry(app.compliance.submit_report(actor.party_id, key, body.command()), response)


@router.get("/reports/{report_id}", responses=READ_ERRORS)
def show_report(report_id: ReportPath, actor: ActorDep, store: StoreDep) -> s.ReportPublic:
    """A report with every step and its latest submission's streams."""
    return s.ReportPublic.model_validate(queries.report(store, actor.party_id, report_id))


@router.post("/reports/{report_id}/verification", status_code=201, responses=WRITE_ERRORS)
def verify_report(
    report_id: ReportPath,
    body: s.VerificationCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: AppDep,
    response: Response,
) -> EntryPublic:
    """A verifier not affiliated with the emitter states the verified figure."""
    cmd = c.VerifyReport(report_id, body.verified_g)  # type: ignore[arg-type]
    return _entry(app.compliance.verify_report(actor.party_id, key, cmd), response)


@router.post("/reports/{report_id}/send-back", status_code=201, responses=WRITE_ERRORS)
def send_back(
    report_id: ReportPath,
    body: s.SendBackCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: AppDep,
    response: Response,
) -> EntryPublic:
    """A verifier sends the report back to its emitter, saying why."""
    cmd = c.SendBackReport(report_id, body.reason)
    return _entry(app.compliance.send_back(actor.party_id, key, cmd), response)


@router.post("/reports/{report_id}/confirmation", status_code=201, responses=WRITE_ERRORS)
def confirm_report(
    report_id: ReportPath, actor: ActorDep, key: IdempotencyKeyDep, app: AppDep, response: Response
) -> EntryPublic:
    """The regulator confirms the verified figure: the emitter's obligation."""
    cmd = c.ConfirmReport(report_id)
    return _entry(app.compliance.confirm_report(actor.party_id, key, cmd), response)
