"""POST /transfers: move available credits (``quantity_g``) or cash (``amount_fen``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.ledger import commands as c

router = APIRouter(prefix="/transfers", tags=["transfers"])


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def transfer(
    body: s.TransferCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    """Only the holder of ``from_account`` or a party it authorised may move its units."""
    cmd = c.Transfer(body.from_account, body.to_account, body.asset, body.quantity)
    receipt = registry.transfer(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
