"""My green energy: balance (available, spent, expired), the statement behind it, spending.

Each line names the behaviour, the methodology version and the factor applied, so the
holder can trace every gram to a published source. The innate per-capita entitlement
(先天) is shown beside it as information only.

``POST /me/energy/spend`` consumes the caller's energy exactly once (an
``energy_spend`` entry: ``available`` → ``spent``); it needs an ``Idempotency-Key``
(``idempotency_key_required``), and refuses a non-positive quantity (``non_positive``,
422), more than is available (``insufficient_balance``, 409) and a caller without an
individual account (``unknown_account``, 404). Sink sponsorships spend the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import (
    ActorDep,
    AppDep,
    IdempotencyKeyDep,
    RegistryDep,
    StoreDep,
    mark_replay,
)
from pctrade.api.problems import problem_responses
from pctrade.energy import service as energy
from pctrade.ledger import reads
from pctrade.ledger.model import ENERGY_ASSET, State

router = APIRouter(tags=["energy"])
STATEMENT_DAYS_DEFAULT = 30


@router.post(
    "/me/energy/spend", status_code=201, responses=problem_responses(400, 401, 404, 409, 422)
)
def spend_my_energy(
    body: s.EnergySpendCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    store: StoreDep,
    response: Response,
) -> s.EnergySpentPublic:
    """Spend the caller's available green energy once, for a stated purpose."""
    account_id = reads.own_individual_account(store, actor.party_id)
    receipt = energy.spend_receipt(
        registry, actor.party_id, key, account_id, body.quantity_g, body.purpose, body.reference
    )
    mark_replay(receipt, response)
    with store.reader() as uow:
        left = uow.balance(account_id, ENERGY_ASSET, State.AVAILABLE)
    return s.EnergySpentPublic(
        entry=views.entry(receipt.entry),
        spent_g=int(receipt.payload["quantity"]),
        available_g=left,
    )


@router.get("/me/energy", responses=problem_responses(401, 404, 422))
def my_energy(
    actor: ActorDep,
    store: StoreDep,
    app: AppDep,
    day_from: Annotated[s.Day | None, Query(description="first day (default: 30 days ago)")] = None,
    day_to: Annotated[s.Day | None, Query(description="last day (default: today)")] = None,
) -> s.EnergyStatementPublic:
    """The caller's energy balance and statement lines."""
    last = day_to or app.clock().date()
    first = day_from or last - timedelta(days=STATEMENT_DAYS_DEFAULT - 1)
    st = energy.statement(store, reads.own_individual_account(store, actor.party_id), first, last)
    return s.EnergyStatementPublic(
        account=st.account_number,
        day_from=st.day_from,
        day_to=st.day_to,
        available_g=st.available_g,
        spent_g=st.spent_g,
        expired_g=st.expired_g,
        credited_g=st.credited_g,
        innate=s.InnatePublic(
            entitlement_g=st.innate.entitlement_g,
            period=st.innate.period,
            sources=st.innate.sources,
            assumption=st.innate.assumption,
        ),
        lines=[
            s.EnergyLinePublic(
                seq=i.seq,
                day=i.line.day,
                behaviour=i.line.behaviour,
                family=i.line.family,
                methodology=i.line.methodology,
                base_unit=i.line.base_unit,
                events_n=i.line.events_n,
                quantity=i.line.quantity,
                factor_ug_per_unit=i.line.factor_ug_per_unit,
                avoided_ug=i.line.avoided_ug,
                cap_forfeit_ug=i.line.cap_forfeit_ug,
                remainder_ug=i.line.remainder_ug,
                credited_g=i.line.credited_g,
                cap_flag=i.line.cap_flag,
            )
            for i in st.lines
        ],
    )
