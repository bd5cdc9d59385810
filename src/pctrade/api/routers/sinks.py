"""Forest sinks over HTTP: projects, sponsorships, reports, verification, issuance.

Routes build a call and hand it to ``services.sinks``; who may do what (owner,
regulator, verifier, holder) and every eligibility and accounting rule is decided
there, and a refusal comes back as problem+json with the domain's code. Every write
takes the ``Idempotency-Key`` header like every registry write, whether it moves
holdings (sponsor, issue, reverse) or not (register, approve, report, decide); a
replay answers with the original result and the replay header.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse

from pctrade.api import certificate_html
from pctrade.api import sink_schemas as s
from pctrade.api.deps import (
    ActorDep,
    IdempotencyKeyDep,
    RegistryDep,
    SinksDep,
    mark_replay,
)
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import INT32_MAX, INT64_MAX
from pctrade.ledger import reads
from pctrade.ledger.model import Party
from pctrade.ledger.ports import Store
from pctrade.ledger.service import Registry
from pctrade.sinks.certificates import issuance_certificate, sponsor_certificate
from pctrade.sinks.monitoring import Period
from pctrade.sinks.project import Parcel, ProjectSpec, SponsorUnit
from pctrade.sinks.queries import mine, unit_offer

router = APIRouter(tags=["sinks"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
MINE = "me_sinks"
CodePath = Annotated[str, Path(min_length=7, max_length=7, description="e.g. AFF0007")]
ReportPath = Annotated[int, Path(gt=0, lt=INT32_MAX + 1)]  # lt: the 422 text


def _project(row: dict[str, Any]) -> s.ProjectPublic:
    return s.ProjectPublic.model_validate({k: row[k] for k in s.ProjectPublic.model_fields})


def _report(row: dict[str, Any]) -> s.ReportPublic:
    return s.ReportPublic.model_validate({k: row[k] for k in s.ReportPublic.model_fields})


def _unit(body: s.ProjectCreate) -> SponsorUnit | None:
    if body.unit_kind is None:
        return None
    area = sum(p.area_m2 for p in body.parcels)
    units = body.units_total or body.units_offered
    return SponsorUnit(body.unit_kind, units, body.unit_area_m2 or area, body.m2_per_unit)


@router.post("/sinks/projects", status_code=201, responses=WRITE_ERRORS)
def register(
    body: s.ProjectCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
    response: Response,
) -> s.ProjectPublic:
    """Register a project (project owner); it waits for the regulator's approval."""
    spec = ProjectSpec(
        body.code,
        body.name,
        body.project_type,
        body.jurisdiction,
        body.forest_type,
        tuple(Parcel(p.parcel_id, p.area_m2, p.years_not_forest, p.wetland) for p in body.parcels),
        body.crediting_start,
        body.crediting_end,
        body.unit_energy_g,
        body.units_offered,
        tuple(body.affiliates),
        _unit(body),
    )
    row = sinks.register(actor.party_id, key, spec, body.stand_age_y)
    mark_replay(row, response)
    return _project(row)


@router.post("/sinks/projects/{code}/approval", responses=WRITE_ERRORS)
def approve(
    code: CodePath, actor: ActorDep, key: IdempotencyKeyDep, sinks: SinksDep, response: Response
) -> s.ProjectPublic:
    """Approve a project (regulator): sponsorship opens."""
    row = sinks.approve(actor.party_id, key, code)
    mark_replay(row, response)
    return _project(row)


@router.get("/sinks/projects/{code}", responses=problem_responses(401, 404, 422))
def project(code: CodePath, actor: ActorDep, sinks: SinksDep) -> s.ProjectPublic:
    return _project(sinks.project(code))


@router.get("/sinks/projects/{code}/offer", responses=problem_responses(401, 404, 422))
def offer(code: CodePath, actor: ActorDep, registry: RegistryDep) -> s.UnitOfferPublic:
    """Before spending: what a unit is, its expected removal, price, and when credits come."""
    return s.UnitOfferPublic.model_validate(asdict(unit_offer(registry, code)))


@router.post("/sinks/projects/{code}/sponsorships", status_code=201, responses=WRITE_ERRORS)
def sponsor(
    code: CodePath,
    body: s.SponsorshipCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
    response: Response,
) -> s.SponsorshipPublic:
    """Spend green energy on sponsor units, exactly once."""
    done = sinks.sponsor(actor.party_id, key, body.account, code, body.units)
    mark_replay(done, response)
    return s.SponsorshipPublic(
        spend_seq=done.spend_seq,
        project_code=done.project_code,
        account_id=done.account_id,
        units=done.units,
        energy_g=done.energy_g,
    )


@router.post("/sinks/projects/{code}/reports", status_code=201, responses=WRITE_ERRORS)
def file_report(
    code: CodePath,
    body: s.ReportCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
    response: Response,
) -> s.ReportPublic:
    """File a monitoring report for a period (owner)."""
    period = Period(body.period_start, body.period_end)
    row = sinks.file_report(actor.party_id, key, code, period, body.removals_g)
    mark_replay(row, response)
    return _report(row)


@router.post("/sinks/reports/{report_id}/decision", responses=WRITE_ERRORS)
def decide(
    report_id: ReportPath,
    body: s.DecisionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
    response: Response,
) -> s.ReportPublic:
    """Verify or reject a report (a verifier outside the project's circle)."""
    row = sinks.verify(actor.party_id, key, report_id, body.approve, body.reason)
    mark_replay(row, response)
    return _report(row)


@router.post("/sinks/reports/{report_id}/issuances", status_code=201, responses=WRITE_ERRORS)
def issue(
    report_id: ReportPath,
    body: s.IssuanceCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
    response: Response,
) -> s.IssuancePublic:
    """Issue a PCER batch to every sponsor and the buffer in one entry (regulator)."""
    i = sinks.issue(actor.party_id, key, report_id, body.quantity_g)
    mark_replay(i, response)
    return s.IssuancePublic(
        issue_seq=i.issue_seq,
        batch=i.batch,
        report_id=i.report_id,
        removals_g=i.removals_g,
        buffer_g=i.buffer_g,
        attributed_g=i.attributed_g,
        sponsors=i.sponsors,
        leftover_g=i.leftover_g,
        unissued_g=i.unissued_g,
        project_units=i.project_units,
    )


@router.post("/sinks/projects/{code}/reversals", status_code=201, responses=WRITE_ERRORS)
def reverse(
    code: CodePath,
    body: s.ReversalCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    sinks: SinksDep,
) -> s.ReversalPublic:
    """Record a project's loss. The part credits stand for (their share of the loss) is
    covered by cancelling buffer credits first; any shortfall is reported."""
    r = sinks.reverse(actor.party_id, key, code, body.loss_g, body.cause)
    return s.ReversalPublic(
        reversal_id=r.reversal_id,
        loss_g=r.loss_g,
        issued_loss_g=r.issued_loss_g,
        uncredited_loss_g=r.uncredited_loss_g,
        covered_g=r.covered_g,
        shortfall_g=r.shortfall_g,
        cancel_seqs=r.cancel_seqs,
    )


@router.get("/me/sinks", responses=problem_responses(401, 404, 422))
def my_sinks(
    actor: ActorDep,
    registry: RegistryDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.MyProjectPagePublic:
    """My trees, my credits: projects I sponsored, removals so far, credits received."""
    account_id = _my_account(actor, registry)
    page = mine(registry, account_id, str(after(MINE, cursor, (str,), ("",))[0]), limit)
    items = [
        s.MyProjectPublic(
            code=p.code,
            name=p.name,
            project_type=p.project_type,
            forest_type=p.forest_type,
            status=p.status,
            units=p.units,
            energy_g=p.energy_g,
            units_sold=p.units_sold,
            verified_g=p.verified_g,
            credited_g=p.credited_g,
            credits=[
                s.MyCreditPublic(
                    batch=c.batch,
                    issue_seq=c.issue_seq,
                    shares=c.shares,
                    credited_g=c.credited_g,
                    rounded_up=c.rounded_up,
                    available_g=c.available_g,
                )
                for c in p.credits
            ],
        )
        for p in page.items
    ]
    return s.MyProjectPagePublic(items=items, next_cursor=cursor_of(MINE, page))


def _my_account(actor: Party, registry: Registry) -> int:
    return reads.own_individual_account(registry.store, actor.party_id)


# ---- PCER issuance certificates ----------------------------------------------------------
SeqPath = Annotated[int, Path(gt=0, le=INT64_MAX, description="the issue entry's seq")]


def _issuance_cert(store: Store, seq: int) -> s.IssuanceCertificatePublic:
    return s.IssuanceCertificatePublic.model_validate(asdict(issuance_certificate(store, seq)))


def _my_cert(actor: Party, registry: Registry, seq: int) -> s.SponsorCertificatePublic:
    cert, credit = sponsor_certificate(registry.store, seq, _my_account(actor, registry))
    return s.SponsorCertificatePublic(
        issuance=s.IssuanceCertificatePublic.model_validate(asdict(cert)),
        credit=s.SponsorCreditPublic.model_validate(asdict(credit)),
    )


@router.get("/sinks/issuances/{seq}/certificate", responses=problem_responses(404, 422))
def issuance_cert(seq: SeqPath, registry: RegistryDep) -> s.IssuanceCertificatePublic:
    """A PCER batch's issuance record (签发证明): public, no personal data."""
    return _issuance_cert(registry.store, seq)


@router.get(
    "/sinks/issuances/{seq}/certificate.html",
    response_class=HTMLResponse,
    responses=problem_responses(404, 422),
)
def issuance_cert_page(seq: SeqPath, registry: RegistryDep) -> HTMLResponse:
    """The issuance record as a bilingual page (中文 / English)."""
    return HTMLResponse(certificate_html.render_issuance(_issuance_cert(registry.store, seq), None))


@router.get("/me/sinks/issuances/{seq}/certificate", responses=problem_responses(401, 404, 422))
def my_issuance_cert(
    seq: SeqPath, actor: ActorDep, registry: RegistryDep
) -> s.SponsorCertificatePublic:
    """My credits from one batch: my shares, the exact split, the remainder rule."""
    return _my_cert(actor, registry, seq)


@router.get(
    "/me/sinks/issuances/{seq}/certificate.html",
    response_class=HTMLResponse,
    responses=problem_responses(401, 404, 422),
)
def my_issuance_cert_page(seq: SeqPath, actor: ActorDep, registry: RegistryDep) -> HTMLResponse:
    """My credits from one batch as a bilingual page."""
    mine_ = _my_cert(actor, registry, seq)
    return HTMLResponse(certificate_html.render_issuance(mine_.issuance, mine_.credit))
