"""Credit batches: list them, read one, issue a new one (regulator / registry only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from pctrade.api import lookups, views
from pctrade.api import schemas as s
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, StoreDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import INT64_MAX, PAGE_SIZE_MAX
from pctrade.ledger import commands as c

router = APIRouter(prefix="/batches", tags=["batches"])


@router.get("", responses=problem_responses(401, 422))
def list_batches(
    _actor: ActorDep,
    store: StoreDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="last asset_id seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
) -> list[s.BatchPublic]:
    return [views.batch(b) for b in lookups.batches(store, after, limit)]


@router.get("/{denomination}", responses=problem_responses(401, 404))
def get_batch(denomination: str, _actor: ActorDep, store: StoreDep) -> s.BatchPublic:
    return views.batch(lookups.batch(store, denomination))


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def issue_batch(
    body: s.BatchCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.BatchIssuedPublic:
    """Issue a new batch to the listed accounts, in one journal entry."""
    cmd = c.Issue(
        body.denomination,
        [a.account for a in body.allocations],
        [a.quantity_g for a in body.allocations],
    )
    receipt = registry.issue(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    batch = receipt.payload["batch"]
    return s.BatchIssuedPublic(
        entry=views.entry(receipt.entry),
        denomination=batch["denomination"],
        issued_g=batch["issued_g"],
    )
