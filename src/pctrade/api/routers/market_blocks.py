"""Block trades, one-way auctions, settlement statements and the regulator's reports.

    POST /market/contracts/{contract}/blocks                       propose a block trade
    POST /market/contracts/{contract}/blocks/{id}/accept|decline|withdraw
    POST /market/contracts/{contract}/blocks/lapse                  the operator's scheduler
    POST /market/contracts/{contract}/auctions                      announce (the seller)
    POST /market/contracts/{contract}/auctions/{id}/bids            a sealed bid
    POST /market/contracts/{contract}/auctions/{id}/clear           clear after the window
    GET  /market/contracts/{contract}/auctions/{id}                 the published result
    GET  /market/accounts/{account}/statements/{day}                the daily statement
    GET  /market/contracts/{contract}/tape                          market data (public)
    GET  /market/contracts/{contract}/surveillance                  abnormal trading (regulator)
    GET  /market/large-holders/{market}                             disclosure (regulator)

Routes build a command and call the market's services (``market.blocks``,
``market.auctions``, ``market.reports``); every refusal is the service's stable code.
Writes take an ``Idempotency-Key`` and answer a replay with ``Idempotent-Replayed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from pctrade.api.deps import REPLAYED_HEADER, ActorDep, AppDep, IdempotencyKeyDep
from pctrade.api.market_schemas import PoolRef
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import AccountRef, Body, Day, Out, PartyIdField, QuantityG
from pctrade.bootstrap import App
from pctrade.kernel.limits import INT64_MAX
from pctrade.market import venue_commands as vc
from pctrade.market.auctions import public_result

router = APIRouter(prefix="/market", tags=["market-blocks"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)
READ_ERRORS = problem_responses(401, 403, 404, 409, 422)

ContractPath = Annotated[
    str, Path(min_length=1, max_length=48, pattern=r"^[A-Z0-9-]+$", description="PCER-GD-2026")
]
IdPath = Annotated[int, Path(ge=1, le=INT64_MAX)]
PriceFen = Annotated[int, Field(strict=True, gt=0, le=INT64_MAX, description="fen per tonne")]
UnixS = Annotated[int, Field(strict=True, ge=0, le=2**40, description="Unix seconds")]
TAPE_LIMIT_MAX = 500


def _app(app: AppDep) -> App:
    return app


WiredDep = Annotated[App, Depends(_app)]


def _replayed(response: Response, result: dict[str, Any]) -> None:
    if result.get("replayed"):
        response.headers[REPLAYED_HEADER] = "true"


# ---- bodies and answers ---------------------------------------------------------------
class BlockCreate(Body):
    account: AccountRef
    counterparty: PartyIdField
    side: Literal["buy", "sell"]
    quantity_g: QuantityG
    price_fen_per_t: PriceFen
    expires_in_s: Annotated[int, Field(strict=True, gt=0, le=86_400)]
    pool: PoolRef | None = None


class BlockAccept(Body):
    account: AccountRef


class BlockPublic(Out):
    contract: str
    seq: int
    proposal_id: int
    state: str
    trades: list[str]
    entries: list[int]
    expires_at_s: int | None = None


class LapsePublic(Out):
    contract: str
    seq: int
    lapsed: list[int]
    entries: list[int]


class AuctionCreate(Body):
    account: AccountRef
    quantity_g: QuantityG
    reserve_price_fen_per_t: PriceFen
    opens_at_s: UnixS
    closes_at_s: UnixS
    bid_quantity_max_g: QuantityG | None = None
    pool: PoolRef | None = None


class AuctionPublic(Out):
    contract: str
    seq: int
    auction_id: int
    state: str
    terms: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    trades: list[str] = Field(default_factory=list)
    entries: list[int] = Field(default_factory=list)


class BidCreate(Body):
    account: AccountRef
    price_fen_per_t: PriceFen
    quantity_g: QuantityG


class BidPublic(Out):
    contract: str
    seq: int
    auction_id: int
    bid_id: int
    frozen_fen: int
    entries: list[int]


class StatementPublic(Out):
    account: int
    day: str
    lines: list[dict[str, Any]]
    opening: dict[str, int]
    closing: dict[str, int]
    settled: dict[str, int]
    net_cash_fen: int
    net_credits_g: int


# ---- block trades -----------------------------------------------------------------
@router.post("/contracts/{contract}/blocks", status_code=201, responses=WRITE_ERRORS)
def propose_block(
    contract: ContractPath,
    body: BlockCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> BlockPublic:
    """Propose a block trade to a named counterparty; the proposer's side is frozen."""
    cmd = vc.ProposeBlock(
        contract,
        body.account,
        body.counterparty,
        body.side,
        body.quantity_g,
        body.price_fen_per_t,
        body.expires_in_s,
        body.pool,
    )
    result = app.blocks.propose(actor.party_id, key, cmd)
    _replayed(response, result)
    return BlockPublic.model_validate(result)


@router.post("/contracts/{contract}/blocks/lapse", status_code=201, responses=WRITE_ERRORS)
def lapse_blocks(
    contract: ContractPath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> LapsePublic:
    """End every proposal whose expiry has come, releasing its hold (the operator)."""
    result = app.blocks.lapse(actor.party_id, key, vc.LapseBlocks(contract))
    _replayed(response, result)
    return LapsePublic.model_validate(result)


@router.post(
    "/contracts/{contract}/blocks/{proposal_id}/accept", status_code=201, responses=WRITE_ERRORS
)
def accept_block(
    contract: ContractPath,
    proposal_id: IdPath,
    body: BlockAccept,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> BlockPublic:
    """Accept a proposal made to you: your side is frozen and the trade settles at once."""
    result = app.blocks.accept(
        actor.party_id, key, vc.AcceptBlock(contract, proposal_id, body.account)
    )
    _replayed(response, result)
    return BlockPublic.model_validate(result)


def _ending(method: str) -> Callable[..., BlockPublic]:
    """Declining (the counterparty) and withdrawing (the proposer) end a proposal alike:
    one route but for the service method it calls."""

    def route(
        contract: ContractPath,
        proposal_id: IdPath,
        actor: ActorDep,
        key: IdempotencyKeyDep,
        app: WiredDep,
        response: Response,
    ) -> BlockPublic:
        if method == "decline":
            result = app.blocks.decline(actor.party_id, key, vc.DeclineBlock(contract, proposal_id))
        else:
            cmd = vc.WithdrawBlock(contract, proposal_id)
            result = app.blocks.withdraw(actor.party_id, key, cmd)
        _replayed(response, result)
        return BlockPublic.model_validate(result)

    return route


for _method in ("decline", "withdraw"):
    router.post(
        f"/contracts/{{contract}}/blocks/{{proposal_id}}/{_method}",
        status_code=201,
        responses=WRITE_ERRORS,
        name=f"{_method}_block",  # the operation id and summary the two functions had
    )(_ending(_method))


# ---- auctions ---------------------------------------------------------------------
@router.post("/contracts/{contract}/auctions", status_code=201, responses=WRITE_ERRORS)
def announce_auction(
    contract: ContractPath,
    body: AuctionCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> AuctionPublic:
    """Announce a one-way auction: the offered credits are frozen until it clears."""
    cmd = vc.AnnounceAuction(
        contract,
        body.account,
        body.quantity_g,
        body.reserve_price_fen_per_t,
        body.opens_at_s,
        body.closes_at_s,
        body.bid_quantity_max_g,
        body.pool,
    )
    result = app.auctions.announce(actor.party_id, key, cmd)
    _replayed(response, result)
    return AuctionPublic.model_validate(result)


@router.post(
    "/contracts/{contract}/auctions/{auction_id}/bids", status_code=201, responses=WRITE_ERRORS
)
def submit_bid(
    contract: ContractPath,
    auction_id: IdPath,
    body: BidCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> BidPublic:
    """A sealed bid in the window: its cash and fee are frozen."""
    cmd = vc.SubmitBid(contract, auction_id, body.account, body.price_fen_per_t, body.quantity_g)
    result = app.auctions.bid(actor.party_id, key, cmd)
    _replayed(response, result)
    return BidPublic.model_validate(result)


@router.post(
    "/contracts/{contract}/auctions/{auction_id}/clear", status_code=201, responses=WRITE_ERRORS
)
def clear_auction(
    contract: ContractPath,
    auction_id: IdPath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    app: WiredDep,
    response: Response,
) -> AuctionPublic:
    """Clear after the window: winners settle, the rest is released, the result published."""
    result = app.auctions.clear(actor.party_id, key, vc.ClearAuction(contract, auction_id))
    _replayed(response, result)
    return AuctionPublic.model_validate(result)


@router.get("/contracts/{contract}/auctions/{auction_id}", responses=READ_ERRORS)
def auction_result(
    contract: ContractPath, auction_id: IdPath, actor: ActorDep, app: WiredDep
) -> AuctionPublic:
    """An auction's public terms and, once cleared, its result (no bidder named)."""
    with app.store.reader() as uow:
        row = app.market_reports.auction_row(uow, contract, auction_id)
    return AuctionPublic(
        contract=contract,
        seq=int(row["cleared_seq"] or row["auction_id"]),
        auction_id=int(row["auction_id"]),
        state=str(row["state"]),
        result=public_result(row),
    )


# ---- statements, market data, surveillance ------------------------------------------
@router.get("/accounts/{account}/statements/{day}", responses=READ_ERRORS)
def statement(
    account: Annotated[int, Path(ge=1, le=INT64_MAX)],
    day: Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$")],
    actor: ActorDep,
    app: WiredDep,
) -> StatementPublic:
    """The account's daily settlement statement (its holder or an authority)."""
    return StatementPublic.model_validate(
        app.market_reports.statement(actor.party_id, account, day)
    )


@router.get("/contracts/{contract}/tape", responses=READ_ERRORS)
def tape(
    contract: ContractPath,
    first: Annotated[Day, Query()],
    last: Annotated[Day, Query()],
    actor: ActorDep,
    app: WiredDep,
    after_seq: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=TAPE_LIMIT_MAX)] = 100,
) -> list[dict[str, Any]]:
    """The contract's trades of every mode, in sequence, with no party named."""
    return app.market_reports.tape(contract, first.isoformat(), last.isoformat(), after_seq, limit)


@router.get("/contracts/{contract}/surveillance", responses=READ_ERRORS)
def abnormal_trading(
    contract: ContractPath,
    first: Annotated[Day, Query()],
    last: Annotated[Day, Query()],
    actor: ActorDep,
    app: WiredDep,
) -> dict[str, Any]:
    """The abnormal-trading report of a contract and period (the regulator, the operator)."""
    return app.market_reports.abnormal_trading(
        actor.party_id, contract, first.isoformat(), last.isoformat()
    )


@router.get("/large-holders/{market}", responses=READ_ERRORS)
def large_holders(
    market: Annotated[str, Path(min_length=2, max_length=3, pattern=r"^[A-Z]+$")],
    day: Annotated[Day, Query()],
    actor: ActorDep,
    app: WiredDep,
) -> dict[str, Any]:
    """Holders above the disclosure threshold of the rule set's ``[positions]``."""
    return app.market_reports.large_holders(actor.party_id, market, day.isoformat())
