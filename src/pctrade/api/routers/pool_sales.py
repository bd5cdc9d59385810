"""The sales of platform pools over HTTP (issue 14 items 4 and 5): reads only.

    GET /pools/{pool}/sales                 every sale: price, volume, fees (contributors,
                                            the platform, the authorities)
    GET /pools/{pool}/public                the public page's aggregates (no one named)
    GET /accounts/{account}/pool-statement  a contributor's statement lines
    GET /regulator/pools/sales              fees charged and payout delays per platform

Sales themselves are written by the market's settlement of a pool's sell (issue 14,
the market side); these routes call ``pools.sale_reports``, which decides who may read
what; refusals come back as problem+json with the service's code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from pctrade.api.deps import ActorDep, StoreDep
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import Out
from pctrade.kernel.limits import INT64_MAX
from pctrade.pools import sale_reports as reports

router = APIRouter(tags=["pools"])
READ_ERRORS = problem_responses(401, 403, 404, 422)
PoolPath = Annotated[
    str, Path(min_length=1, max_length=32, pattern=r"^POOL-[A-Z]{2,3}-[0-9]{4,6}$")
]


class PoolSalePublic(Out):
    sale: str
    venue: str
    price_fen_per_t: int
    quantity_g: int
    gross_fen: int
    trade_fee_bps: int
    trade_fee_fen: int
    pool_fee_bps: int
    pool_fee_fen: int
    net_fen: int
    contributors: int
    seq: int
    sold_at: str
    paid_at: str


class PoolSalesPublic(Out):
    pool: str
    sales: list[PoolSalePublic]
    next_after: int | None


class PoolStatementLine(Out):
    sale: str
    pool: str
    venue: str
    price_fen_per_t: int
    units_g: int
    gross_fen: int
    fee_fen: int
    net_fen: int
    remainder: int
    seq: int
    sold_at: str
    paid_at: str


class PoolStatementPublic(Out):
    account: int
    pool: str | None
    lines: list[PoolStatementLine]
    units_g: int
    net_fen: int


class PoolPagePublic(Out):
    pool: str
    name: str
    jurisdiction: str
    platform: str
    sales: int
    volume_g: int
    gross_fen: int
    trade_fee_fen: int
    pool_fee_fen: int
    net_fen: int
    price_min_fen_per_t: int | None
    price_max_fen_per_t: int | None
    price_avg_fen_per_t: int | None
    contributors_paid: int


class PlatformFeesPublic(Out):
    platform: str
    pools: int
    sales: int
    volume_g: int
    gross_fen: int
    trade_fee_fen: int
    pool_fee_fen: int
    net_fen: int
    price_min_fen_per_t: int | None
    price_max_fen_per_t: int | None
    price_avg_fen_per_t: int | None
    pool_fee_bps_min: int | None
    pool_fee_bps_max: int | None
    pool_fee_effective_bps: int | None
    payout_delay_s_max: int | None
    payout_delay_s_avg: int | None


class PoolFeesPublic(Out):
    platforms: list[PlatformFeesPublic]
    payout: str


@router.get("/pools/{pool}/sales", responses=READ_ERRORS)
def pool_sales(
    pool: PoolPath,
    actor: ActorDep,
    store: StoreDep,
    after_seq: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=reports.SALES_PAGE_MAX)] = 100,
) -> PoolSalesPublic:
    """Every sale of the pool, oldest first: its price, volume and fees."""
    body = reports.sales_of_pool(store, actor.party_id, pool, after_seq, limit)
    return PoolSalesPublic.model_validate(body)


@router.get("/pools/{pool}/public", responses=problem_responses(404, 422))
def pool_page(pool: PoolPath, store: StoreDep) -> PoolPagePublic:
    """The pool's public page: its sales in aggregate, with no person named."""
    return PoolPagePublic.model_validate(reports.public_pool(store, pool))


@router.get("/accounts/{account}/pool-statement", responses=READ_ERRORS)
def pool_statement(
    account: Annotated[int, Path(ge=1, le=INT64_MAX)],
    actor: ActorDep,
    store: StoreDep,
    pool: Annotated[
        str | None, Query(max_length=32, pattern=r"^POOL-[A-Z]{2,3}-[0-9]{4,6}$")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=reports.STATEMENT_LINES_MAX)] = 100,
) -> PoolStatementPublic:
    """The account's pool statement: a line per sale that took its units."""
    body = reports.statement(store, actor.party_id, account, pool, limit)
    return PoolStatementPublic.model_validate(body)


@router.get("/regulator/pools/sales", responses=READ_ERRORS)
def pool_fees(actor: ActorDep, store: StoreDep) -> PoolFeesPublic:
    """Fee levels and payout delays of every platform's pool sales (the authorities)."""
    return PoolFeesPublic.model_validate(reports.fee_levels(store, actor.party_id))
