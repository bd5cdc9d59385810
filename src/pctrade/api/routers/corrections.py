"""POST /corrections: the registry operator answers a mistaken entry with a new,
compensating entry. Nothing in the journal is ever edited."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.ledger import commands as c

router = APIRouter(prefix="/corrections", tags=["corrections"])


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def correct(
    body: s.CorrectionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    receipt = registry.correct(actor.party_id, key, c.Correct(body.seq, body.reason))
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
