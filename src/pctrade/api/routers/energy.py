"""Green energy: balance (uncollected, collected, spent, expired), statement, collecting, spending.

Each line names the behaviour, the methodology version and the factor applied, so the
holder can trace every gram to a published source. The innate per-capita entitlement
(先天) is shown beside it as information only.

``POST /me/energy/spend`` consumes the caller's energy exactly once (an
``energy_spend`` entry: ``available`` → ``spent``); it needs an ``Idempotency-Key``
(``idempotency_key_required``), and refuses a non-positive quantity (``non_positive``,
422), more than is available (``insufficient_balance``, 409) and a caller without an
individual account (``unknown_account``, 404). Sink sponsorships spend the same way.
Only collected energy (``available``) is spent.

``POST /energy/collections`` collects an account's energy (an ``energy_collect`` entry):
what is younger than the expiry period moves from ``uncollected`` to ``available``, what
is older lapses in the same entry. The account is the caller's own individual account,
or one whose holder authorised the caller (else ``not_your_account``, 403); with nothing
to collect it is refused (``nothing_to_collect``, 409). ``GET /energy/pending`` shows
what waits for collection, each credit with the time it lapses.
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
from pctrade.ledger.model import ENERGY_ASSET, Party, State
from pctrade.ledger.sql.store import SqlStore

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


def _account(store: SqlStore, actor: Party, account: int | None) -> int:
    return reads.own_individual_account(store, actor.party_id) if account is None else account


def _pending(found: energy.Pending, number: str) -> s.EnergyPendingPublic:
    return s.EnergyPendingPublic(
        account=number,
        uncollected_g=found.uncollected_g,
        collectable_g=found.collectable_g,
        lapsing_g=found.lapsed_g,
        expiry_s=found.expiry_s,
        rule_set=found.rule_set,
        credits=[
            s.PendingCreditPublic(
                seq=c.seq,
                credited_at=c.credited_at,
                credited_g=c.credited_g,
                expires_at=c.expires_at,
            )
            for c in found.credits
        ],
    )


@router.post(
    "/energy/collections",
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
def collect_energy(
    body: s.EnergyCollectionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: AppDep,
    response: Response,
) -> s.EnergyCollectionPublic:
    """Collect an account's green energy; what is past the expiry period lapses."""
    account_id = _account(app.store, actor, body.account)
    report = energy.collect(
        app.registry, actor.party_id, key, account_id, app.clock(), rules=app.rules
    )
    mark_replay(report.receipt, response)
    with app.store.reader() as uow:
        left = uow.balance(report.account_id, ENERGY_ASSET, State.AVAILABLE)
        found = uow.account(report.account_id)
    return s.EnergyCollectionPublic(
        entry=views.entry(report.receipt.entry),
        account=found.number if found is not None else str(report.account_id),
        collected_g=report.collected_g,
        lapsed_g=report.lapsed_g,
        cutoff=report.cutoff,
        expiry_s=report.expiry_s,
        rule_set=report.rule_set,
        available_g=left,
    )


@router.get("/energy/pending", responses=problem_responses(401, 403, 404, 422))
def pending_energy(
    actor: ActorDep,
    app: AppDep,
    account: Annotated[
        s.AccountRef | None, Query(description="account id or number (default: the caller's)")
    ] = None,
) -> s.EnergyPendingPublic:
    """What waits for collection now, each credit with the time it lapses."""
    account_id = _account(app.store, actor, account)
    found = energy.pending(app.store, account_id, app.clock(), rules=app.rules, reader=actor)
    return _pending(found, found.account_number)


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
    own = reads.own_individual_account(store, actor.party_id)
    st = energy.statement(store, own, first, last, now=app.clock(), rules=app.rules)
    if st.pending is None:  # given now and the rules, the statement has it
        raise RuntimeError("the statement has no pending energy")
    return s.EnergyStatementPublic(
        account=st.account_number,
        day_from=st.day_from,
        day_to=st.day_to,
        uncollected_g=st.uncollected_g,
        available_g=st.available_g,
        spent_g=st.spent_g,
        expired_g=st.expired_g,
        pending=_pending(st.pending, st.account_number),
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
