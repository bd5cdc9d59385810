"""Behaviour data from partners: submit a JSON Lines batch, read its ingestion report.

A data partner is a party with the platform role, authenticated by its API key
(``X-API-Key``). Each batch is validated event by event; the response is the batch's
ingestion report: how many events were accepted, and every rejected one with its line
and reason code — including events already credited or held by an earlier run
(``duplicate_event_processed``) and events of a day already credited
(``day_already_credited``). Resubmitting the same batch returns the same report (the
batch id is a digest of its content), so no Idempotency-Key is needed. After each daily
run a partner reads its day report: its events by outcome and reason, and whether the
anomaly threshold held them for review.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from pctrade.api import policy
from pctrade.api import schemas as s
from pctrade.api.deps import ActorDep, SettingsDep, StoreDep
from pctrade.api.problems import problem_responses
from pctrade.domain.errors import Forbidden
from pctrade.domain.model import Role
from pctrade.services import energy, ingest

router = APIRouter(tags=["behaviour"])

_JSON_LINES = {
    "requestBody": {
        "required": True,
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        "description": "one event per line: partner_id (optional, must be yours), "
        "event_id, person_id, behaviour, start_ms, end_ms, quantity, unit, evidence_ref",
    }
}


def _public(report: ingest.IngestReport) -> s.IngestReportPublic:
    return s.IngestReportPublic(
        batch_id=report.batch_id,
        partner_id=report.partner_id,
        received=report.received,
        accepted=report.accepted,
        rejected=[
            s.RejectedEventPublic(
                line=r.line, event_id=r.event_id, reason=r.reason, detail=r.detail
            )
            for r in report.rejected
        ],
        by_reason=report.by_reason,
    )


@router.post(
    "/behaviour/events",
    status_code=201,
    responses=problem_responses(400, 401, 403, 413),
    openapi_extra=_JSON_LINES,
)
async def submit_events(
    request: Request, actor: ActorDep, settings: SettingsDep, store: StoreDep
) -> s.IngestReportPublic:
    """Submit a batch of behaviour events (data partners only)."""
    if actor.role != Role.PLATFORM:
        raise Forbidden(f"{actor.party_id} is not a data partner (platform)")
    body = await request.body()
    report = await run_in_threadpool(
        ingest.ingest_batch,
        actor.party_id,
        body,
        settings.data_dir,
        settings.clock(),
        energy.RegistryLedger(store),
    )
    return _public(report)


@router.get("/behaviour/reports/{batch_id}", responses=problem_responses(401, 403, 404, 422))
def get_report(
    batch_id: Annotated[str, Path(max_length=64)], actor: ActorDep, settings: SettingsDep
) -> s.IngestReportPublic:
    """A batch's ingestion report, for the partner that sent it (or an authority)."""
    report = ingest.read_report(settings.data_dir, batch_id)
    if report.partner_id != actor.party_id and not policy.is_authority(actor):
        raise Forbidden(f"batch {batch_id} is another partner's")
    return _public(report)


@router.get("/behaviour/days/{day}/report", responses=problem_responses(401, 403, 404, 422))
def get_day_report(
    day: date,
    actor: ActorDep,
    settings: SettingsDep,
    partner_id: Annotated[
        str | None, Query(max_length=64, description="authorities: whose report")
    ] = None,
) -> s.DayReportPublic:
    """A partner's report of one daily run (its own; an authority names the partner)."""
    partner = partner_id or actor.party_id
    if partner != actor.party_id and not policy.is_authority(actor):
        raise Forbidden(f"the report of {partner} is not yours")
    report = ingest.read_day_report(settings.data_dir, day, partner)
    return s.DayReportPublic(
        day=report.day,
        partner_id=report.partner_id,
        events_n=report.events_n,
        judged_n=report.judged_n,
        flagged_n=report.flagged_n,
        anomalous=report.anomalous,
        by_reason=report.by_reason,
    )
