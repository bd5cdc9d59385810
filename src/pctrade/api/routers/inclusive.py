"""The carbon-inclusive path (碳普惠) over HTTP: open, verify, issue, and my credits.

Routes hand each call to ``services.inclusive``, which decides who may do what and
every rule; refusals come back as problem+json with the domain's code. Every write
takes the mandatory ``Idempotency-Key``: opening and verifying (which write no entry,
as sink projects and reports) and issuing (which moves holdings); a replay answers
with the original result and the replay header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from pctrade.api import inclusive_schemas as s
from pctrade.api.deps import (
    ActorDep,
    IdempotencyKeyDep,
    InclusiveDep,
    RegistryDep,
    mark_replay,
)
from pctrade.api.problems import problem_responses
from pctrade.inclusive.claim import Period
from pctrade.inclusive.service import InclusiveIssuance
from pctrade.kernel.limits import ATTRIBUTION_PAGE_MAX, INT32_MAX, INT64_MAX
from pctrade.ledger import reads

router = APIRouter(tags=["carbon-inclusive"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
IssuancePath = Annotated[int, Path(gt=0, lt=INT32_MAX + 1)]


def _request(row: dict[str, Any]) -> s.InclusiveRequestPublic:
    fields = s.InclusiveRequestPublic.model_fields
    return s.InclusiveRequestPublic.model_validate({k: row[k] for k in fields})


def _issued(i: InclusiveIssuance) -> s.InclusiveIssuancePublic:
    return s.InclusiveIssuancePublic(
        issue_seq=i.issue_seq,
        issuance_id=i.issuance_id,
        batch=i.batch,
        rule_set=i.rule_set,
        methodologies=i.methodologies,
        people=i.people,
        issued_g=i.issued_g,
    )


@router.post("/inclusive/issuances", status_code=201, responses=WRITE_ERRORS)
def open_issuance(
    body: s.InclusiveOpen,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    inclusive: InclusiveDep,
    response: Response,
) -> s.InclusiveRequestPublic:
    """Open an issuance under the rule set in force (regulator or registry operator)."""
    period = Period(body.period_start, body.period_end)
    row = inclusive.open(
        actor.party_id, key, body.jurisdiction, period, body.methodologies, body.affiliates
    )
    mark_replay(row, response)
    return _request(row)


@router.get("/inclusive/issuances", responses=problem_responses(401))
def list_issuances(
    actor: ActorDep,
    inclusive: InclusiveDep,
    jurisdiction: Annotated[str | None, Query(max_length=3)] = None,
) -> list[s.InclusiveRequestPublic]:
    return [_request(r) for r in inclusive.issuances(jurisdiction)]


@router.get("/inclusive/issuances/{issuance_id}", responses=problem_responses(401, 404, 422))
def show_issuance(
    issuance_id: IssuancePath, actor: ActorDep, inclusive: InclusiveDep
) -> s.InclusiveRequestPublic:
    return _request(inclusive.issuance(issuance_id))


@router.get(
    "/inclusive/issuances/{issuance_id}/attributions",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def attributions(
    issuance_id: IssuancePath,
    actor: ActorDep,
    inclusive: InclusiveDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="last account seen")] = 0,
    limit: Annotated[int, Query(gt=0, le=ATTRIBUTION_PAGE_MAX)] = 1_000,
) -> list[s.AttributionPublic]:
    """The batch's attribution table, a page at a time (regulator, registry, verifier)."""
    rows = inclusive.attributions(actor, issuance_id, after, limit)
    fields = s.AttributionPublic.model_fields
    return [s.AttributionPublic.model_validate({k: r[k] for k in fields}) for r in rows]


@router.post("/inclusive/issuances/{issuance_id}/decision", responses=WRITE_ERRORS)
def decide(
    issuance_id: IssuancePath,
    body: s.InclusiveDecision,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    inclusive: InclusiveDep,
    response: Response,
) -> s.InclusiveRequestPublic:
    """Verify (fixing the claim) or reject, by a verifier outside the request's circle."""
    row = inclusive.verify(actor.party_id, key, issuance_id, body.approve, body.reason)
    mark_replay(row, response)
    return _request(row)


@router.post("/inclusive/issuances/{issuance_id}/issue", status_code=201, responses=WRITE_ERRORS)
def issue(
    issuance_id: IssuancePath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    inclusive: InclusiveDep,
    response: Response,
) -> s.InclusiveIssuancePublic:
    """Spend qualifying energy and issue the same grams as one PCER batch, one entry."""
    done = inclusive.issue(actor.party_id, key, issuance_id)
    mark_replay(done, response)
    return _issued(done)


@router.get("/me/inclusive", responses=problem_responses(401, 404))
def my_inclusive(
    actor: ActorDep, registry: RegistryDep, inclusive: InclusiveDep
) -> list[s.MyInclusivePublic]:
    """My carbon-inclusive credits: batch, grams, what I still hold, the energy behind."""
    own = reads.own_individual_account(registry.store, actor.party_id)
    return [
        s.MyInclusivePublic(
            batch=m.batch,
            issue_seq=m.issue_seq,
            issuance_id=m.issuance_id,
            rule_set=m.rule_set,
            methodologies=m.methodologies,
            period_start=m.period_start,
            period_end=m.period_end,
            credited_g=m.credited_g,
            available_g=m.available_g,
            first_line=m.first_line,
            last_line=m.last_line,
        )
        for m in inclusive.mine(own)
    ]
