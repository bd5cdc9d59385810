"""The journal, paged by sequence number: ``after`` the last seq seen, up to ``limit``.

The whole journal is for the authorities; a holder (or its agent) reads the entries
that touch one of its accounts by passing ``account``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, StoreDep
from pctrade.api.problems import problem_responses
from pctrade.kernel.limits import INT64_MAX, PAGE_SIZE_MAX
from pctrade.kernel.units import check_int64
from pctrade.ledger import reads
from pctrade.ledger.model import parse_account_ref

router = APIRouter(prefix="/journal", tags=["journal"])
POSTINGS_SHOWN_MAX = 1_000


@router.get("", responses=problem_responses(401, 403, 404, 422))
def journal(
    actor: ActorDep,
    store: StoreDep,
    after: Annotated[int, Query(ge=0, le=INT64_MAX, description="last seq seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    account: Annotated[str | None, Query(max_length=32, description="id or number")] = None,
) -> s.JournalPagePublic:
    account_id = None if account is None else check_int64(parse_account_ref(account), "account id")
    entries = reads.journal_page(store, actor, after, limit, account_id)
    next_after = entries[-1].seq if len(entries) == limit else None
    return s.JournalPagePublic(entries=[views.entry(e) for e in entries], next_after=next_after)


@router.get("/{seq}", responses=problem_responses(401, 403, 404, 422))
def entry(
    seq: Annotated[int, Path(ge=1, le=INT64_MAX)], actor: ActorDep, store: StoreDep
) -> s.EntryDetailPublic:
    """One entry with (up to 1,000 of) its postings; for the authorities or its actor."""
    found, detail = reads.entry_detail(store, actor, seq, POSTINGS_SHOWN_MAX)
    return views.entry_detail(found, detail)
