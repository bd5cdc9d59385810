"""Freezes (holds): set units aside behind an order, a pool, a pledge or a regulator,
and release them. A hold's id is the sequence number of the entry that opened it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from pctrade.api import lookups, views
from pctrade.api import schemas as s
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, StoreDep, mark_replay
from pctrade.api.problems import HttpProblem, problem_responses
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger import commands as c

router = APIRouter(prefix="/freezes", tags=["freezes"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)


@router.post("", status_code=201, responses=WRITE_ERRORS)
def freeze(
    body: s.FreezeCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.HoldOpenedPublic:
    cmd = c.Freeze(body.account, body.asset, body.quantity, body.reason, body.reference)
    receipt = registry.freeze(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return s.HoldOpenedPublic(entry=views.entry(receipt.entry), hold_id=receipt.seq)


@router.post("/{hold_id}/unfreeze", status_code=201, responses=WRITE_ERRORS)
def unfreeze(
    hold_id: Annotated[int, Path(ge=1, le=INT64_MAX)],
    body: s.UnfreezeCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    store: StoreDep,
    response: Response,
) -> s.EntryPublic:
    """Release ``quantity_g`` (a credit hold) or ``amount_fen`` (a cash hold), or all."""
    quantity = body.quantity_g if body.amount_fen is None else body.amount_fen
    if quantity is not None:
        cash = lookups.hold_is_cash(store, hold_id)
        if cash != (body.amount_fen is not None):
            unit = "amount_fen" if cash else "quantity_g"
            raise HttpProblem(422, "invalid_request", f"hold {hold_id} is released in {unit}")
    receipt = registry.unfreeze(actor.party_id, key, c.Unfreeze(hold_id, quantity))
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
