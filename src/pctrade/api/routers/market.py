"""The market over HTTP: contracts, orders, fills, trades, depth, bars, the close, and
a live stream of book and trade updates (Server-Sent Events).

Writes go to ``app.market`` (``market.service.Market``), which decides who may do what
and every rule; each takes the mandatory ``Idempotency-Key`` and a replay answers as
the original did, with ``Idempotent-Replayed: true``. Refusals are problem+json with
the domain's code; an ineligible individual's ``not_eligible`` lists each failed
condition (``conditions``), cites the rule set and points to the platform pools
(``pools``). Reads are ``market.reads``; lists are keyset pages behind a cursor.

**The stream** (``GET /market/contracts/{code}/stream``, ``text/event-stream``). The
registry is the truth, and every command that changes a contract's book has the
contract's durable ``seq`` (one matcher per contract sequences them across processes).
So a stream is a reader of that seq, wherever it runs: it polls the contract's row
(``ApiSettings.stream_poll_s``, a quarter second by default; one indexed read) and
sends, for each new seq in order, one event whose SSE ``id`` is the seq:

    id: 41          event: trade     data: {"seq": 41, "kind": "place", "trades": [...], ...}
    id: 42          event: book      data: {"seq": 42, "kind": "cancel", "depth": {...}}
    id: 43          event: close     data: {"seq": 43, "kind": "close", "close": {...}}

``trade`` when the command made trades, ``close`` for the day's close, ``book``
otherwise. The newest event of each read carries the book's best five levels
(``depth``), so a client's book is current after every read; older ones in a catch-up
carry ``null`` (the depth at a past seq is not kept). A client that connects without a
seq gets one ``book`` event with the contract's current seq and depth. A client that
reconnects sends ``Last-Event-ID`` (browsers do) or ``?after_seq=``, and gets exactly
the events after it: none lost, none repeated, whichever worker it reaches.

Polling rather than PostgreSQL ``LISTEN/NOTIFY``: it works the same on SQLite (which
has no notifications), needs no change to the service's transaction (a notification
is one more thing that must commit with the command), and a lost notification could
never lose an event here because the seq, not the signal, is what the stream follows.
A NOTIFY could later shorten the wait between polls; it would not change what is sent.

A stream ends after ``stream_idle_s`` with nothing new (the client reconnects, as SSE
clients do), or after ``limit`` events (at most the server's ``stream_events_max``).
The poll, the idle time and the most events are the server's settings
(``pctrade serve --stream-poll-s/--stream-idle-s/--stream-events-max`` or their
``PCTRADE_STREAM_*`` variables, ``bootstrap.settings``), not constants of this module.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from pctrade.api import market_schemas as s
from pctrade.api.deps import (
    REPLAYED_HEADER,
    ActorDep,
    IdempotencyKeyDep,
    MarketDep,
    SettingsDep,
    StoreDep,
)
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.api.schemas import Day
from pctrade.bootstrap.settings import STREAM_EVENTS_MAX_MAX
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger.sql.store import SqlStore
from pctrade.market import commands as mc
from pctrade.market import reads
from pctrade.market.reads import Feed, FeedEvent

router = APIRouter(prefix="/market", tags=["market"])
CONTRACTS, ORDERS, FILLS, TRADES = (
    "market_contracts",
    "me_market_orders",
    "me_market_fills",
    "market_trades",
)
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
READ_ERRORS = problem_responses(401, 403, 404, 422)
# What a client may ask for; the server's ``stream_events_max`` may cap it lower.
STREAM_EVENTS_MAX = STREAM_EVENTS_MAX_MAX
CodePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=48,
        pattern=r"^[A-Za-z0-9-]+$",
        description="the contract's code, e.g. PCER-GD-2026Q3",
        examples=["PCER-GD-2026Q3"],
    ),
]
OrderPath = Annotated[int, Path(gt=0, le=INT64_MAX, description="the order's id in its contract")]


def _replay(result: dict[str, Any], response: Response) -> None:
    if result.get("replayed"):
        response.headers[REPLAYED_HEADER] = "true"


def _result(result: dict[str, Any]) -> s.OrderResultPublic:
    return s.OrderResultPublic.model_validate(result)


# ---- contracts ------------------------------------------------------------------------
@router.get("/contracts", responses=problem_responses(401, 422))
def list_contracts(
    actor: ActorDep,
    store: StoreDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.ContractPagePublic:
    """Listed contracts, in the order they were listed."""
    start = int(after(CONTRACTS, cursor, (int,), (0,))[0])
    page = reads.contracts(store, start, limit)
    return s.ContractPagePublic(
        items=[s.ContractPublic.model_validate(r) for r in page.items],
        next_cursor=cursor_of(CONTRACTS, page),
    )


@router.post("/contracts", status_code=201, responses=WRITE_ERRORS)
def list_contract(
    body: s.ContractCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    market: MarketDep,
    response: Response,
) -> s.ContractListed:
    """List a contract (the registry operator or the regulator): the batches of one
    instrument, jurisdiction and vintage, traded under ``market``'s rule set."""
    cmd = mc.ListContract(
        body.instrument,
        body.jurisdiction,
        body.vintage,
        body.market,
        body.project,
        body.reference_price_fen_per_t,
    )
    result = market.list_contract(actor.party_id, key, cmd)
    _replay(result, response)
    return s.ContractListed(contract=result["contract"], rule_set=result["rule_set"])


@router.get("/contracts/{code}", responses=problem_responses(401, 404, 422))
def show_contract(code: CodePath, actor: ActorDep, store: StoreDep) -> s.ContractPublic:
    return s.ContractPublic.model_validate(reads.contract(store, code))


# ---- orders ---------------------------------------------------------------------------
@router.post("/contracts/{code}/orders", status_code=201, responses=WRITE_ERRORS)
def place(
    code: CodePath,
    body: s.OrderCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    market: MarketDep,
    response: Response,
) -> s.OrderResultPublic:
    """Place a limit (``day``) or immediate-or-cancel (``ioc``) order: a buy's cash
    (price × quantity and the highest fee) or a sell's credits are frozen, the order is
    matched, and each fill is settled delivery-versus-payment in one entry — all at once.
    """
    cmd = mc.PlaceOrder(
        code,
        body.account,
        body.client_order_id,
        body.side,
        body.price_fen_per_t,
        body.quantity_g,
        body.time_in_force,
        None if body.levels is None else tuple(body.levels),
        None if body.batches is None else tuple(body.batches),
        body.pool,
    )
    result = market.place(actor.party_id, key, cmd)
    _replay(result, response)
    return _result(result)


@router.post("/contracts/{code}/orders/{order_id}/cancel", responses=WRITE_ERRORS)
def cancel(
    code: CodePath,
    order_id: OrderPath,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    market: MarketDep,
    response: Response,
) -> s.OrderResultPublic:
    """Cancel an open order of yours: what it still holds is released exactly."""
    result = market.cancel(actor.party_id, key, mc.CancelOrder(code, order_id))
    _replay(result, response)
    return _result(result)


@router.post("/contracts/{code}/orders/{order_id}/amend", responses=WRITE_ERRORS)
def amend(
    code: CodePath,
    order_id: OrderPath,
    body: s.OrderAmend,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    market: MarketDep,
    response: Response,
) -> s.OrderResultPublic:
    """New price and total quantity: down keeps time priority, up or a new price loses
    it; the holds follow (more frozen, or released)."""
    cmd = mc.AmendOrder(code, order_id, body.price_fen_per_t, body.quantity_g)
    result = market.amend(actor.party_id, key, cmd)
    _replay(result, response)
    return _result(result)


# ---- mine -----------------------------------------------------------------------------
me = APIRouter(prefix="/me/market", tags=["market"])


@me.get("/orders", responses=READ_ERRORS)
def my_orders(
    actor: ActorDep,
    store: StoreDep,
    contract: Annotated[str | None, Query(min_length=1, max_length=48)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.OrderPagePublic:
    """My orders (open or not), by contract and then oldest first."""
    start = after(ORDERS, cursor, (int, int), (0, 0))
    page = reads.my_orders(store, actor.party_id, contract, (int(start[0]), int(start[1])), limit)
    fields = s.OrderPublic.model_fields
    return s.OrderPagePublic(
        items=[s.OrderPublic.model_validate({k: r[k] for k in fields}) for r in page.items],
        next_cursor=cursor_of(ORDERS, page),
    )


@me.get("/fills", responses=READ_ERRORS)
def my_fills(
    actor: ActorDep,
    store: StoreDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.FillPagePublic:
    """My fills: each trade of my orders, from my side, with my fee."""
    start = int(after(FILLS, cursor, (int,), (0,))[0])
    page = reads.my_fills(store, actor.party_id, start, limit)
    return s.FillPagePublic(
        items=[s.FillPublic.model_validate(r) for r in page.items],
        next_cursor=cursor_of(FILLS, page),
    )


# ---- market data ----------------------------------------------------------------------
@router.get("/contracts/{code}/trades", responses=problem_responses(401, 404, 422))
def trades(
    code: CodePath,
    actor: ActorDep,
    store: StoreDep,
    day: Annotated[Day | None, Query(description="only this trading day")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
) -> s.TradePagePublic:
    """The contract's trades, oldest first (public: no party, no account)."""
    start = int(after(TRADES, cursor, (int,), (0,))[0])
    shown = None if day is None else day.isoformat()
    page = reads.public_trades(store, code, shown, start, limit)
    return s.TradePagePublic(
        items=[s.TradePublic.model_validate(r) for r in page.items],
        next_cursor=cursor_of(TRADES, page),
    )


@router.get("/contracts/{code}/depth", responses=problem_responses(401, 404, 422))
def depth(
    code: CodePath,
    actor: ActorDep,
    store: StoreDep,
    levels: Annotated[int, Query(ge=1, le=reads.DEPTH_LEVELS)] = reads.DEPTH_LEVELS,
) -> s.DepthPublic:
    """The best five price levels of each side (五档行情), and the seq they are at."""
    return s.DepthPublic.model_validate(reads.depth_at(store, code, levels))


@router.get("/contracts/{code}/bars", responses=problem_responses(401, 404, 422))
def bars(
    code: CodePath,
    actor: ActorDep,
    store: StoreDep,
    first: Annotated[Day, Query(description="the first day")],
    last: Annotated[Day, Query(description=f"the last day (at most {reads.BARS_DAYS_MAX})")],
) -> s.BarsPublic:
    """Daily bars: open, high, low, last and volume of each day's trades, and the close
    (the day's volume-weighted average, or the previous close carried over)."""
    rows = reads.bars(store, code, first, last)
    return s.BarsPublic(contract=code, bars=[s.BarPublic.model_validate(r) for r in rows])


@router.get("/contracts/{code}/closes", responses=problem_responses(401, 404, 422))
def closes(
    code: CodePath, actor: ActorDep, store: StoreDep, limit: LimitQuery = LIMIT_DEFAULT
) -> s.ClosesPublic:
    """The contract's closes, newest first: each the next day's reference price."""
    rows = reads.closes(store, code, limit)
    return s.ClosesPublic(contract=code, closes=[s.ClosePublic.model_validate(r) for r in rows])


@router.post("/contracts/{code}/close-day", responses=WRITE_ERRORS)
def close_day(
    code: CodePath,
    body: s.CloseDayCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    market: MarketDep,
    response: Response,
) -> s.ClosedPublic:
    """Close a trading day (the registry operator, after the last session): what is
    open expires with its holds released exactly, and the close is fixed."""
    result = market.close_day(actor.party_id, key, mc.CloseDay(code, body.day.isoformat()))
    _replay(result, response)
    return s.ClosedPublic.model_validate(result)


# ---- the live stream ------------------------------------------------------------------
def _sse(event: str, seq: int, data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {seq}\nevent: {event}\ndata: {text}\n\n"


def _event(e: FeedEvent, code: str) -> str:
    name = "trade" if e.trades else "close" if e.close is not None else "book"
    data = {
        "contract": code,
        "seq": e.seq,
        "kind": e.kind,
        "ts": e.ts,
        "trades": list(e.trades),
        "close": e.close,
        "depth": e.depth,
    }
    return _sse(name, e.seq, data)


async def event_stream(
    store: SqlStore, code: str, resume: int | None, limit: int, poll_s: float, idle_s: float
) -> AsyncIterator[str]:
    """A contract's events as SSE text: the book first (a new client), then each
    command's book, trade or close event; the web market page streams the same."""
    loop = asyncio.get_running_loop()
    sent, idle_since = 0, loop.time()
    yield f"retry: {max(1, int(poll_s * 1000))}\n\n"
    if resume is None:  # a new client: the book as it is, at the contract's seq
        first: Feed = await run_in_threadpool(reads.feed, store, code, INT64_MAX)
        snapshot = {"contract": code, "seq": first.last_seq, "kind": "snapshot", "ts": None}
        yield _sse(
            "book", first.last_seq, {**snapshot, "trades": [], "close": None, "depth": first.depth}
        )
        sent, cursor = 1, first.last_seq
    else:
        cursor = resume
    while sent < limit:
        feed: Feed = await run_in_threadpool(reads.feed, store, code, cursor)
        for e in feed.events:
            yield _event(e, code)
            sent, cursor = sent + 1, e.seq
            if sent >= limit:
                return
        if feed.events:
            idle_since = loop.time()
            if cursor < feed.last_seq:
                continue  # more to catch up on at once
        elif loop.time() - idle_since >= idle_s:
            return
        await asyncio.sleep(poll_s)


@router.get(
    "/contracts/{code}/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "text/event-stream: book, trade and close events, id = the seq",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 404, 422),
    },
)
def stream(
    code: CodePath,
    actor: ActorDep,
    store: StoreDep,
    settings: SettingsDep,
    after_seq: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="resume after this seq")
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=STREAM_EVENTS_MAX,
            description="end after this many events (the server's most if fewer, or unset)",
        ),
    ] = None,
    last_event_id: Annotated[
        int | None,
        Header(alias="Last-Event-ID", ge=0, le=INT64_MAX, description="resume (as SSE does)"),
    ] = None,
) -> StreamingResponse:
    """Book, trade and close updates of a contract as Server-Sent Events, each with the
    contract's seq as its id; ``Last-Event-ID`` (or ``after_seq``) resumes exactly."""
    reads.contract(store, code)  # 404 before the stream starts
    resume = last_event_id if last_event_id is not None else after_seq
    most = settings.stream_events_max
    events = most if limit is None else min(limit, most)
    body = event_stream(store, code, resume, events, settings.stream_poll_s, settings.stream_idle_s)
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
