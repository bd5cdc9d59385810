"""Credit batches: list them, read one and its supply by state, issue a new one.

Issuing is for the regulator and the registry operator. A request may leave the serial
off the denomination (``PCER-GD-AFF0007-2026Q3``): the registry numbers the batch with
the series' next serial, under the journal head, so concurrent issuances never collide,
and a replay of the request answers with the serial it was given.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from pctrade.api import lookups, views
from pctrade.api import schemas as s
from pctrade.api.deps import ActorDep, IdempotencyKeyDep, RegistryDep, StoreDep, mark_replay
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import DENOMINATION_LEN_MAX
from pctrade.ledger import commands as c
from pctrade.ledger import queries

router = APIRouter(prefix="/batches", tags=["batches"])
LIST = "batches"
DenominationPath = Annotated[str, Path(min_length=1, max_length=DENOMINATION_LEN_MAX)]


@router.get("", responses=problem_responses(401, 422))
def list_batches(
    _actor: ActorDep, store: StoreDep, cursor: CursorQuery = None, limit: LimitQuery = LIMIT_DEFAULT
) -> s.BatchPagePublic:
    """Every batch, in the order issued, a page at a time."""
    page = queries.batches_page(store, int(after(LIST, cursor, (int,), (0,))[0]), limit)
    return s.BatchPagePublic(
        items=[views.batch(b) for b in page.items], next_cursor=cursor_of(LIST, page)
    )


@router.get("/{denomination}", responses=problem_responses(401, 404, 422))
def get_batch(denomination: DenominationPath, _actor: ActorDep, store: StoreDep) -> s.BatchPublic:
    return views.batch(lookups.batch(store, denomination))


@router.get("/{denomination}/supply", responses=problem_responses(401, 404, 422))
def get_supply(denomination: DenominationPath, _actor: ActorDep, store: StoreDep) -> s.SupplyPublic:
    """The batch's grams in each state — available, frozen, surrendered, retired,
    cancelled — read in one snapshot, so they sum to ``issued_g``."""
    return views.supply(queries.supply(store, denomination))


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 404, 409, 413, 422))
def issue_batch(
    body: s.BatchCreate,
    actor: ActorDep,
    key: IdempotencyKeyDep,
    registry: RegistryDep,
    response: Response,
) -> s.BatchIssuedPublic:
    """Issue a new batch to the listed accounts, in one journal entry."""
    cmd = c.Issue(
        body.denomination,
        [a.account for a in body.allocations],
        [a.quantity_g for a in body.allocations],
        body.methodology,
    )
    receipt = registry.issue(actor.party_id, key, cmd)
    mark_replay(receipt, response)
    batch = receipt.payload["batch"]
    return s.BatchIssuedPublic(
        entry=views.entry(receipt.entry),
        denomination=batch["denomination"],
        issued_g=batch["issued_g"],
    )
