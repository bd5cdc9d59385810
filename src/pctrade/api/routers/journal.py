"""The journal: its head, its entries a page at a time, and one entry in full.

The whole journal is for the authorities; a holder (or its agent) reads the entries
that touch one of its accounts by passing ``account``. A page is read ``after`` a seq
(the last one seen, or any position an integrator holds, such as the head it read) or
from the previous page's ``next_cursor``. ``GET /journal/head`` is the newest entry's
seq and hash, for any authenticated party: the position to read accounts at
(``GET /positions?as_of=…``) and to follow the journal from.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, StoreDep
from pctrade.api.paging import LIMIT_DEFAULT, CursorQuery, LimitQuery, after, cursor_of
from pctrade.api.problems import HttpProblem, problem_responses
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.units import check_int64
from pctrade.ledger import queries, reads
from pctrade.ledger.model import parse_account_ref

router = APIRouter(prefix="/journal", tags=["journal"])
POSTINGS_SHOWN_MAX = 1_000
LIST = "journal"


@router.get("", responses=problem_responses(401, 403, 404, 422))
def journal(
    actor: ActorDep,
    store: StoreDep,
    after_seq: Annotated[
        int | None, Query(alias="after", ge=0, le=INT64_MAX, description="last seq seen")
    ] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = LIMIT_DEFAULT,
    account: Annotated[str | None, Query(max_length=32, description="id or number")] = None,
) -> s.JournalPagePublic:
    if after_seq is not None and cursor is not None:
        raise HttpProblem(422, "invalid_request", "give after or cursor, not both")
    start = after_seq if after_seq is not None else int(after(LIST, cursor, (int,), (0,))[0])
    account_id = None if account is None else check_int64(parse_account_ref(account), "account id")
    page = reads.journal_page(store, actor, start, limit, account_id)
    return s.JournalPagePublic(
        entries=[views.entry(e) for e in page.items],
        next_after=page.items[-1].seq if page.more else None,
        next_cursor=cursor_of(LIST, page),
    )


@router.get("/head", responses=problem_responses(401, 404))
def head(_actor: ActorDep, store: StoreDep) -> s.JournalHeadPublic:
    """The newest entry's seq and hash: where the journal stands now."""
    return views.journal_head(queries.journal_head(store))


@router.get("/{seq}", responses=problem_responses(401, 403, 404, 422))
def entry(
    seq: Annotated[int, Path(ge=1, le=INT64_MAX)], actor: ActorDep, store: StoreDep
) -> s.EntryDetailPublic:
    """One entry with (up to 1,000 of) its postings; for the authorities or its actor."""
    found, detail = reads.entry_detail(store, actor, seq, POSTINGS_SHOWN_MAX)
    return views.entry_detail(found, detail)
