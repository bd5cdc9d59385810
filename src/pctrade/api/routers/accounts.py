"""Parties and accounts: open one or many, read one with its balances and status,
authorise agents, read several at one journal position (``/positions``), and
(authorities) block, suspend, close or reopen one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import StringConstraints

from pctrade.api import lookups, views
from pctrade.api import schemas as s
from pctrade.api.deps import (
    AccountPathDep,
    ActorDep,
    IdempotencyKeyDep,
    RegistryDep,
    StoreDep,
    mark_replay,
)
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import INT64_MAX, POSITIONS_ACCOUNTS_MAX
from pctrade.kernel.units import check_int64
from pctrade.ledger import commands as c
from pctrade.ledger import queries, reads
from pctrade.ledger.model import parse_account_ref

router = APIRouter(tags=["accounts"])
WRITE_ERRORS = problem_responses(400, 401, 403, 404, 409, 413, 422)
READ_ERRORS = problem_responses(401, 403, 404, 422)


@router.post("/accounts", status_code=201, responses=WRITE_ERRORS)
def open_account(
    body: s.AccountCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    store: StoreDep,
    response: Response,
) -> s.AccountOpenedPublic:
    """Register a party and open its account (regulator, registry, or a platform for
    individuals)."""
    cmd = c.OpenAccount(body.party_id, body.role, body.name, body.label)
    receipt = registry.open_account(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    account_id = receipt.payload.get("account")
    opened = None
    if isinstance(account_id, int):
        opened = views.account(lookups.account(store, account_id)[0])
    return s.AccountOpenedPublic(entry=views.entry(receipt.entry), account=opened)


@router.post("/accounts/bulk", status_code=201, responses=WRITE_ERRORS)
def open_accounts(
    body: s.AccountsCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    """Register many parties of one role in one journal entry."""
    cmd = c.OpenAccounts(
        body.role, [p.party_id for p in body.parties], [p.name for p in body.parties]
    )
    receipt = registry.open_accounts(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.get("/me/accounts", responses=READ_ERRORS)
def my_accounts(
    actor: ActorDep, store: StoreDep, cursor: CursorQuery = None, limit: LimitQuery = LIMIT_DEFAULT
) -> s.AccountPagePublic:
    """The accounts the calling party holds."""
    start = int(after("me_accounts", cursor, (int,), (0,))[0])
    page = queries.accounts_page(store, actor.party_id, start, limit)
    return s.AccountPagePublic(
        items=[views.account(a) for a in page.items], next_cursor=cursor_of("me_accounts", page)
    )


@router.get("/positions", responses=problem_responses(401, 403, 404, 409, 422))
def positions(
    actor: ActorDep,
    store: StoreDep,
    account: Annotated[
        list[Annotated[str, StringConstraints(max_length=32)]],
        Query(
            min_length=1,
            max_length=POSITIONS_ACCOUNTS_MAX,
            description="an account id or number; repeat for each account",
        ),
    ],
    as_of: Annotated[
        int | None,
        Query(ge=1, le=INT64_MAX, description="journal seq (default: the head when read)"),
    ] = None,
) -> s.PositionsPublic:
    """Several accounts' balances and holds at one journal position: right after entry
    ``as_of``, even while others write. The answer names its position (seq and hash);
    pass its seq as ``as_of`` to read more accounts at the same one. A seq not yet
    recorded is ``beyond_head`` (409). For accounts the caller may read, each of them."""
    ids = [check_int64(parse_account_ref(a), "account id") for a in account]
    return views.positions(reads.positions(store, actor, ids, as_of))


@router.get("/accounts/{account}", responses=READ_ERRORS)
def get_account(account: AccountPathDep, actor: ActorDep, store: StoreDep) -> s.AccountViewPublic:
    """An account with its balances per asset and state, its open holds and its agents."""
    return views.account_view(reads.account_view(store, actor, account))


@router.post("/accounts/{account}/agents", status_code=201, responses=WRITE_ERRORS)
def authorise_agent(
    account: AccountPathDep,
    body: s.AgentCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    """Let another party (e.g. the holder's platform) move this account's holdings, or
    withdraw that permission with ``active: false``."""
    receipt = registry.authorize(actor.party_id, key, c.Authorize(account, body.agent, body.active))
    mark_replay(receipt, response)
    return views.entry(receipt.entry)


@router.post("/accounts/{account}/status", status_code=201, responses=WRITE_ERRORS)
def set_account_status(
    account: AccountPathDep,
    body: s.AccountStatusCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.EntryPublic:
    """Block (nothing leaves it at its holder's word), suspend (nothing leaves or enters
    it at a holder's word), close (final; only when it holds nothing available or frozen)
    or reopen an account, with a reason: one ``account_status`` entry. The regulator and
    the registry operator only. Refused: ``status_unchanged``, ``account_closed``,
    ``account_not_empty`` (409)."""
    cmd = c.SetAccountStatus(account, body.status, body.reason)
    receipt = registry.set_account_status(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    return views.entry(receipt.entry)
