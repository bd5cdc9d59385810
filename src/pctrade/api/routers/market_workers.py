"""``GET /market/contracts/{code}/matcher``: the book this worker process holds.

``pctrade serve --workers N`` runs N processes, each with its own in-memory order books
(``market.service``): a worker's book of a contract is what it matched the last
command it ran with, and is kept only while no other worker has written since (the
contract's seq tells; a stale book is rebuilt from the registry before the next
command). This read lets the registry operator or the regulator see, for the worker
that answers, that book beside the one the registry rebuilds now — order ids, time
priority, what remains — and whether they are the same: after a restart, after a worker
was killed, or as a routine check. ``worker`` is the answering process's id, so a
client can tell the workers apart (one keep-alive connection stays with one worker).
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import Field

from pctrade.api.deps import ActorDep, MarketDep
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import Out
from pctrade.market.engine import BookState

router = APIRouter(prefix="/market", tags=["market"])

CodePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9-]+$",
        description="the contract's code, e.g. PCER-GD-2026Q3",
    ),
]


class RestingPublic(Out):
    order_id: int
    side: str
    price_fen_per_t: int
    remaining_g: int
    priority_seq: int = Field(description="the seq that gave the order its place in time")


class BookPublic(Out):
    seq: int = Field(description="the contract's last command this book has seen")
    last_order_id: int
    orders: list[RestingPublic] = Field(description="open orders, in time priority")
    closed_orders: int = Field(description="the day's filled or cancelled orders it knows")


class MatcherPublic(Out):
    contract: str
    worker: int = Field(description="the answering worker's process id")
    contract_seq: int = Field(description="the contract's seq in the registry")
    cached: BookPublic | None = Field(description="this worker's book; null: it holds none")
    rebuilt: BookPublic = Field(description="the book the registry's open orders rebuild")
    same: bool = Field(description="this worker's book is the rebuilt one, in every detail")


def _book(state: BookState) -> BookPublic:
    return BookPublic(
        seq=state.last_seq,
        last_order_id=state.last_order_id,
        orders=[
            RestingPublic(
                order_id=o.order_id,
                side=str(o.side),
                price_fen_per_t=o.price_fen_per_t,
                remaining_g=o.remaining_g,
                priority_seq=o.priority_seq,
            )
            for o in state.open_orders
        ],
        closed_orders=len(state.closed_orders),
    )


@router.get("/contracts/{code}/matcher", responses=problem_responses(401, 403, 404, 422))
def matcher(code: CodePath, actor: ActorDep, market: MarketDep) -> MatcherPublic:
    """This worker's book of the contract beside the registry's rebuild (authorities)."""
    cached, rebuilt, seq = market.matcher(actor.party_id, code)
    return MatcherPublic(
        contract=code,
        worker=os.getpid(),
        contract_seq=seq,
        cached=None if cached is None else _book(cached),
        rebuilt=_book(rebuilt),
        same=cached == rebuilt,
    )
