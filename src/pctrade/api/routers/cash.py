"""Cash in fen: deposits confirmed by the registry or regulator (money arrived at the
gateway bank), and withdrawals by the holder."""

from __future__ import annotations

from fastapi import APIRouter, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, mark_replay
from pctrade.api.problems import problem_responses
from pctrade.ledger import commands as c

router = APIRouter(prefix="/cash", tags=["cash"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)


@router.post("/deposits", status_code=201, responses=WRITE_ERRORS)
def deposit(
    body: s.CashCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    cmd = c.Deposit(body.account, body.amount_fen, body.reference)
    receipt = registry.deposit(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/withdrawals", status_code=201, responses=WRITE_ERRORS)
def withdraw(
    body: s.CashCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    cmd = c.Withdraw(body.account, body.amount_fen, body.reference)
    receipt = registry.withdraw(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
