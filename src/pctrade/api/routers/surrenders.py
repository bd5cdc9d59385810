"""POST /surrenders: a key emitter surrenders units for a compliance period (清缴).
Surrendered units are terminal: they never move again."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.ledger import commands as c

router = APIRouter(prefix="/surrenders", tags=["surrenders"])


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def surrender(
    body: s.SurrenderCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    cmd = c.Surrender(body.account, body.asset, body.quantity_g, body.period)
    receipt = registry.surrender(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
