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

Held events are reviewed by an authority (registry operator or regulator):
``GET /behaviour/held?day=…&partner=…`` lists a day's held events with their reason and
what each would earn, up to 1,000 a page (``next_cursor`` reads the next);
``POST /behaviour/held/{partner}/{event_id}/decision`` releases one (credited under the
day's and year's caps as a one-line ``energy_credit`` entry) or rejects it. It needs an
``Idempotency-Key``; a decision is recorded once
(``already_decided``, 409), the same request again answers it (``Idempotent-Replayed``),
an unknown event is ``unknown_event`` (404).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from pctrade.api import schemas as s
from pctrade.api.deps import (
    REPLAYED_HEADER,
    ActorDep,
    AppDep,
    IdempotencyKeyDep,
    RegistryDep,
    StoreDep,
)
from pctrade.api.paging import CursorQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.energy import ingest, review
from pctrade.energy import service as energy
from pctrade.energy.behaviour.review import Decision
from pctrade.kernel.limits import BATCH_ID_LEN_MAX, HELD_PAGE_MAX, PARTY_ID_LEN_MAX

router = APIRouter(tags=["behaviour"])
HELD_LIST = "behaviour_held"

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
    responses=problem_responses(400, 401, 403, 413, 422),
    openapi_extra=_JSON_LINES,
)
async def submit_events(
    request: Request, actor: ActorDep, app: AppDep, store: StoreDep
) -> s.IngestReportPublic:
    """Submit a batch of behaviour events (data partners only)."""
    body = await request.body()
    report = await run_in_threadpool(
        ingest.submit_batch,
        actor,
        body,
        app.data_dir,
        app.clock(),
        energy.RegistryLedger(store),
    )
    return _public(report)


@router.get("/behaviour/reports/{batch_id}", responses=problem_responses(401, 403, 404, 422))
def get_report(
    batch_id: Annotated[str, Path(max_length=BATCH_ID_LEN_MAX)], actor: ActorDep, app: AppDep
) -> s.IngestReportPublic:
    """A batch's ingestion report, for the partner that sent it (or an authority)."""
    return _public(ingest.report_for(actor, app.data_dir, batch_id))


@router.get("/behaviour/days/{day}/report", responses=problem_responses(401, 403, 404, 422))
def get_day_report(
    day: s.Day,
    actor: ActorDep,
    app: AppDep,
    partner_id: Annotated[
        str | None, Query(max_length=PARTY_ID_LEN_MAX, description="authorities: whose report")
    ] = None,
) -> s.DayReportPublic:
    """A partner's report of one daily run (its own; an authority names the partner)."""
    report = ingest.day_report_for(actor, app.data_dir, day, partner_id)
    return s.DayReportPublic(
        day=report.day,
        partner_id=report.partner_id,
        events_n=report.events_n,
        judged_n=report.judged_n,
        flagged_n=report.flagged_n,
        anomalous=report.anomalous,
        by_reason=report.by_reason,
    )


def _held_public(h: review.HeldEvent) -> s.HeldEventPublic:
    d = h.decision
    return s.HeldEventPublic(
        partner_id=h.partner_id,
        event_id=h.event_id,
        day=h.day,
        person_id=h.person_id,
        behaviour=h.behaviour,
        methodology=h.methodology,
        start_ms=h.start_ms,
        end_ms=h.end_ms,
        quantity=h.quantity,
        unit=h.unit,
        reason=h.reason,
        avoided_ug=h.avoided_ug,
        decision=None if d is None else d.decision,
        credited_g=None if d is None else d.credited_g,
        decision_seq=None if d is None else d.seq,
    )


@router.get("/behaviour/held", responses=problem_responses(401, 403, 422))
def list_held(
    day: s.Day,
    actor: ActorDep,
    store: StoreDep,
    partner: Annotated[
        str | None, Query(max_length=PARTY_ID_LEN_MAX, description="one partner only")
    ] = None,
    cursor: CursorQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=HELD_PAGE_MAX, description=f"at most {HELD_PAGE_MAX}")
    ] = HELD_PAGE_MAX,
) -> s.HeldEventsPublic:
    """A day's events held for review (authorities only), decided or not, a page at a
    time by partner and event id."""
    start = after(HELD_LIST, cursor, (str, str), ("", ""))
    page = review.held_for(actor, store, day, partner, (str(start[0]), str(start[1])), limit)
    return s.HeldEventsPublic(
        day=day.isoformat(),
        held=[_held_public(h) for h in page.items],
        next_cursor=cursor_of(HELD_LIST, page),
    )


@router.post(
    "/behaviour/held/{partner}/{event_id}/decision",
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def decide_held(
    partner: Annotated[str, Path(max_length=PARTY_ID_LEN_MAX)],
    event_id: Annotated[str, Path(max_length=128)],
    body: s.HoldDecisionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.HoldDecisionPublic:
    """Release or reject one held event (authorities only); recorded once."""
    report = review.decide(
        registry, actor.party_id, key, partner, event_id, Decision(body.decision), body.reason
    )
    if report.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return s.HoldDecisionPublic(
        partner_id=report.partner_id,
        event_id=report.event_id,
        decision=report.decision,
        avoided_ug=report.avoided_ug,
        credited_g=report.credited_g,
        cap_flag=report.cap_flag,
        seq=report.seq,
    )
