"""Platform pools (平台整合) over HTTP: open, terms, deposits, withdrawals, consents.

Routes hand each call to ``pools.service`` (writes) or ``pools.queries`` (reads), which
decide who may do what and every rule; refusals come back as problem+json with the
domain's code (``fee_above_cap``, ``terms_manifestly_unfair``, ``pool_not_admitted``,
``pool_units_locked``, …). Every write takes the mandatory ``Idempotency-Key``; a
replay answers with the original entry and the replay header. The public page of a
pool shows aggregates only; the fee levels across pools are the regulator's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from pctrade.api import pools_schemas as s
from pctrade.api import views
from pctrade.api.deps import (
    AccountPathDep,
    ActorDep,
    IdempotencyKeyDep,
    PoolsDep,
    StoreDep,
    mark_replay,
)
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import EntryPublic
from pctrade.pools import commands as c
from pctrade.pools import queries

router = APIRouter(tags=["pools"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
READ_ERRORS = problem_responses(401, 403, 404, 422)
PoolPath = Annotated[str, Path(min_length=6, max_length=32, description="e.g. POOL-GD-0001")]
POOLS, DEPOSITS, FEES = "pools", "pool_deposits", "pool_fees"


def _model(kind: Any, row: dict[str, Any]) -> Any:
    return kind.model_validate({k: row[k] for k in kind.model_fields})


@router.post("/pools", status_code=201, responses=WRITE_ERRORS)
def open_pool(
    body: s.PoolOpen,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> EntryPublic:
    """A platform opens a pool under terms checked against the jurisdiction's rules; the
    entry's payload names the pool (``pool_id``) and cites the rule set."""
    receipt = pools.open(actor.party_id, key, body.command())
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.get("/pools", responses=problem_responses(401, 422))
def list_pools(
    actor: ActorDep, store: StoreDep, cursor: CursorQuery = None, limit: LimitQuery = LIMIT_DEFAULT
) -> s.PoolPagePublic:
    start = str(after(POOLS, cursor, (str,), ("",))[0])
    page = queries.list_pools(store, start, limit)
    return s.PoolPagePublic(
        items=[_model(s.PoolSummary, r) for r in page.items], next_cursor=cursor_of(POOLS, page)
    )


@router.get("/pools/{pool_id}", responses=READ_ERRORS)
def show_pool(pool_id: PoolPath, actor: ActorDep, store: StoreDep) -> s.PoolPublic:
    """The pool's public page: its terms' headline and aggregates, no personal data."""
    return _model(s.PoolPublic, queries.public_page(store, pool_id))  # type: ignore[no-any-return]


@router.get("/pools/{pool_id}/terms", responses=READ_ERRORS)
def pool_terms(pool_id: PoolPath, actor: ActorDep, store: StoreDep) -> list[s.TermsVersionPublic]:
    """Every version of the pool's terms, oldest first, with the rule set each cites."""
    return [_model(s.TermsVersionPublic, t) for t in queries.terms_versions(store, pool_id)]


@router.post("/pools/{pool_id}/terms", status_code=201, responses=WRITE_ERRORS)
def publish_terms(
    pool_id: PoolPath,
    body: s.TermsPublish,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> EntryPublic:
    """A new version of the terms (the pool's platform): it binds new deposits only."""
    cmd = c.PublishTerms(pool_id, body.terms.terms(), body.apply_to_existing)
    receipt = pools.publish_terms(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/pools/{pool_id}/deposits", status_code=201, responses=WRITE_ERRORS)
def deposit(
    pool_id: PoolPath,
    body: s.DepositCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> EntryPublic:
    """Deposit PCER into the pool: it stays the depositor's, frozen in one pool hold."""
    cmd = c.DepositToPool(pool_id, body.account, body.asset, body.quantity_g, body.terms_version)
    receipt = pools.deposit(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/pools/{pool_id}/withdrawals", status_code=201, responses=WRITE_ERRORS)
def withdraw(
    pool_id: PoolPath,
    body: s.WithdrawalCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> EntryPublic:
    """Withdraw unsold units, per the terms each deposit accepted."""
    receipt = pools.withdraw(
        actor.party_id, key, c.WithdrawFromPool(pool_id, body.account, body.quantity_g)
    )
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/pools/{pool_id}/consents", status_code=201, responses=WRITE_ERRORS)
def consent(
    pool_id: PoolPath,
    body: s.ConsentCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> EntryPublic:
    """The contributor moves their deposits to a later version of the terms."""
    receipt = pools.consent(
        actor.party_id, key, c.ConsentToTerms(pool_id, body.account, body.version)
    )
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/pools/{pool_id}/notices", status_code=201, responses=WRITE_ERRORS)
def give_notice(
    pool_id: PoolPath,
    body: s.NoticeCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    pools: PoolsDep,
    response: Response,
) -> s.NoticePublic:
    """Give notice of withdrawal, when the terms require one."""
    logged = pools.give_notice(actor.party_id, key, pool_id, body.account)
    mark_replay(logged, response)
    return s.NoticePublic.model_validate(logged.result)


@router.get("/accounts/{account}/pool-deposits", responses=READ_ERRORS)
def my_deposits(
    account: AccountPathDep,
    actor: ActorDep,
    store: StoreDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.DepositPagePublic:
    """The account's deposits in every pool (its holder, an agent or an authority)."""
    start = int(after(DEPOSITS, cursor, (int,), (0,))[0])
    page = queries.my_deposits(store, actor.party_id, account, start, limit)
    return s.DepositPagePublic(
        items=[_model(s.DepositPublic, r) for r in page.items],
        next_cursor=cursor_of(DEPOSITS, page),
    )


@router.get("/regulator/pools/fees", responses=READ_ERRORS)
def fee_levels(
    actor: ActorDep, store: StoreDep, cursor: CursorQuery = None, limit: LimitQuery = LIMIT_DEFAULT
) -> s.FeeLevelPagePublic:
    """Fee levels, payout delays and floors across platforms' pools (authorities)."""
    start = str(after(FEES, cursor, (str,), ("",))[0])
    page = queries.fee_levels(store, actor.party_id, start, limit)
    return s.FeeLevelPagePublic(
        items=[_model(s.FeeLevelPublic, r) for r in page.items], next_cursor=cursor_of(FEES, page)
    )
