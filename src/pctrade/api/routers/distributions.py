"""POST /distributions: one payer to many recipients in one journal entry."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.ledger import commands as c

router = APIRouter(prefix="/distributions", tags=["transfers"])


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def distribute(
    body: s.DistributionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    """Pay every listed account from ``from_account`` (its holder or an authorised agent).

    All or nothing: a recipient without an account, a repeated recipient or a payer
    short of the total refuses the whole distribution.
    """
    cmd = c.Distribute(
        body.from_account,
        body.asset,
        [p.account for p in body.payouts],
        [p.amount for p in body.payouts],
        body.reference,
    )
    receipt = registry.distribute(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
