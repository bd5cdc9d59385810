"""Reads of the pools (issue 14): terms, a contributor's deposits, the public page, the
regulator's view of fees and payout delays across platforms' pools.

The public page holds aggregates only, never a contributor's identity or holding.
A contributor reads their own deposits (or an agent they authorised, or an
authority); the regulator's view is for authorities.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pctrade.kernel.errors import Forbidden
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger import access
from pctrade.ledger.model import Role
from pctrade.ledger.ports import Store
from pctrade.ledger.service import AUTHORITIES, account_of
from pctrade.ledger.write import acting_party
from pctrade.pools.service import committed_g, left_g, pool_row, terms_of, unsold_of
from pctrade.pools.sql import store as db

Row = dict[str, Any]


def _terms_view(row: Row) -> Row:
    return {
        "version": int(row["version"]),
        "terms": json.loads(row["terms"]),
        "digest": row["digest"],
        "rule_set": row["rule_set"],
        "rule_set_digest": row["rule_set_digest"],
        "entry_seq": int(row["entry_seq"]),
        "published_at": row["published_at"],
    }


def terms_versions(store: Store, pool_id: str) -> list[Row]:
    """Every version of a pool's terms, oldest first (public: terms are published)."""
    with store.reader() as uow:
        pool_row(uow, pool_id)
        return [_terms_view(r) for r in db.terms_versions(uow, pool_id)]


def deposits_of_pool(store: Store, pool_id: str) -> list[Row]:
    """A pool's deposits (for its platform's and the tests' use: not a public read)."""
    with store.reader() as uow:
        return db.deposits_of(uow, pool_id)


def my_deposits(
    store: Store, actor: str, account_id: int, after: int = 0, limit: int = PAGE_SIZE_MAX
) -> Page[Row]:
    """An account's deposits in every pool, by id after ``after``: its holder's read."""
    with store.reader() as uow:
        who = acting_party(uow, actor)
        account = account_of(uow, account_id)
        agents = () if who.party_id == account.owner else uow.agents(account.account_id)
        access.require_account_reader(who, account, agents)
        rows = db.deposits_of_account(
            uow, account.account_id, after, fetch_size(limit, PAGE_SIZE_MAX)
        )
    out = [
        {**r, "remaining_g": int(r["quantity_g"]) - int(r["withdrawn_g"]) - int(r["sold_g"])}
        for r in rows
    ]
    return page_of(out, limit, lambda r: (int(r["deposit_id"]),))


def public_page(store: Store, pool_id: str) -> Row:
    """A pool's public page: its terms' headline and aggregates, no personal data."""
    with store.reader() as uow:
        pool = pool_row(uow, pool_id)
        current = db.terms_version(uow, pool_id, int(pool["terms_version"]))
        totals = db.totals(uow, pool_id)
    assert current is not None  # the audit holds every pool to its current version
    terms = json.loads(current["terms"])
    unsold = totals["deposited_g"] - totals["withdrawn_g"] - totals["sold_g"]
    return {
        "pool_id": pool_id,
        "name": pool["name"],
        "platform": pool["platform_party"],
        "jurisdiction": pool["jurisdiction"],
        "rule_set": current["rule_set"],
        "state": pool["state"],
        "terms_version": int(pool["terms_version"]),
        "admitted": terms["admitted"],
        "fee_bps": int(terms["fee_bps"]),
        "floor_fen_per_t": terms["floor_fen_per_t"],
        "payout_delay_days": terms["payout_delay_days"],
        "contributors": totals["contributors"],
        "deposited_g": totals["deposited_g"],
        "unsold_g": unsold,
        "sold_g": totals["sold_g"],
        "withdrawn_g": totals["withdrawn_g"],
    }


def list_pools(store: Store, after: str = "", limit: int = PAGE_SIZE_MAX) -> Page[Row]:
    """Pools by id after ``after``: id, name, platform, jurisdiction, state, version."""
    with store.reader() as uow:
        rows = db.pools_page(uow, after, fetch_size(limit, PAGE_SIZE_MAX))
    keys = ("pool_id", "name", "platform_party", "jurisdiction", "state", "terms_version")
    return page_of([{k: r[k] for k in keys} for r in rows], limit, lambda r: (r["pool_id"],))


def fee_levels(store: Store, actor: str, after: str = "", limit: int = PAGE_SIZE_MAX) -> Page[Row]:
    """The regulator's view: each pool's platform, fee, payout delay and floor, with the
    cap of the rule set its terms were checked under."""
    with store.reader() as uow:
        who = acting_party(uow, actor)
        if who.role not in AUTHORITIES:
            raise Forbidden(f"{actor} may not read the pools' fee levels", code="forbidden")
        pools = db.pools_page(uow, after, fetch_size(limit, PAGE_SIZE_MAX))
        out = []
        for pool in pools:
            row = db.terms_version(uow, pool["pool_id"], int(pool["terms_version"]))
            assert row is not None
            terms = json.loads(row["terms"])
            out.append(
                {
                    "pool_id": pool["pool_id"],
                    "platform": pool["platform_party"],
                    "jurisdiction": pool["jurisdiction"],
                    "rule_set": row["rule_set"],
                    "terms_version": int(row["version"]),
                    "fee_bps": int(terms["fee_bps"]),
                    "payout_delay_days": terms["payout_delay_days"],
                    "floor_fen_per_t": terms["floor_fen_per_t"],
                }
            )
    return page_of(out, limit, lambda r: (r["pool_id"],))


# A platform's pools its console lists; the pools table is read in pages of this many.
PLATFORM_POOLS_MAX = PAGE_SIZE_MAX


def pools_of_platform(store: Store, actor: str) -> list[Row]:
    """The pools the platform ``actor`` runs (its console), by id: each with its public
    page's headline and aggregates (``public_page``). Another role is refused."""
    with store.reader() as uow:
        who = acting_party(uow, actor)
    if who.role != Role.PLATFORM:
        raise Forbidden(f"{actor} runs no pools: it is not a platform", code="forbidden")
    mine: list[Row] = []
    after = ""
    while len(mine) < PLATFORM_POOLS_MAX:
        page = list_pools(store, after, PAGE_SIZE_MAX)
        mine += [r for r in page.items if r["platform_party"] == actor]
        if page.next_key is None:
            break
        after = str(page.next_key[0])
    return [public_page(store, str(r["pool_id"])) for r in mine[:PLATFORM_POOLS_MAX]]


@dataclass(frozen=True, slots=True)
class PoolStanding:
    """What a contributor may do with their unsold units in one pool, now: withdraw how
    much, from when, after what notice, and whether newer terms await their consent."""

    pool_id: str
    unsold_g: int  # their deposits' units neither sold nor withdrawn
    free_now_g: int  # what a withdrawal may take now (out of lock-in and notice)
    earliest_at: datetime | None  # when the first unsold units may leave (notice given now)
    notice_days: int  # the longest notice their deposits' terms ask (0: none)
    notice_given_at: str | None
    notice_missing: bool  # some terms ask notice and none was given: give it first
    terms_version: int  # the pool's current terms
    consent_pending: bool  # some unsold units are under older terms than the current


def pool_standing(
    store: Store, actor: str, pool_id: str, account_id: int, now: datetime
) -> PoolStanding:
    """``account_id``'s standing in ``pool_id`` at ``now``, by the rules the
    withdrawal and the consent apply (``Pools.withdraw``: ``unsold_of`` per deposit,
    each under the terms it accepted). Read by its holder, their agent or an authority."""
    with store.reader() as uow:
        who = acting_party(uow, actor)
        account = account_of(uow, account_id)
        agents = () if who.party_id == account.owner else uow.agents(account.account_id)
        access.require_account_reader(who, account, agents)
        pool = pool_row(uow, pool_id)
        notice = db.notice(uow, pool_id, account.account_id)
        deposits = [d for d in db.deposits_of(uow, pool_id, account.account_id) if left_g(d)]
        terms = {v: terms_of(uow, pool_id, v) for v in {int(d["terms_version"]) for d in deposits}}
        pool_free_g = db.unsold_g(uow, pool_id) - committed_g(uow, pool_id)
    given = None if notice is None else datetime.fromisoformat(notice.replace("Z", "+00:00"))
    unsold = [unsold_of(d, terms[int(d["terms_version"])], given) for d in deposits]
    # A deposit still waiting for notice could leave at the later of its lock-in and a
    # notice given now: what the page offers as the earliest date.
    ends = [
        max(u.unlocked_at, terms[int(d["terms_version"])].notice_ends(now))
        if u.notice_missing
        else u.unlocked_at
        for u, d in zip(unsold, deposits, strict=True)
    ]
    free = sum(u.remaining_g for u in unsold if u.unlocked_at <= now and not u.notice_missing)
    current = int(pool["terms_version"])
    return PoolStanding(
        pool_id,
        sum(u.remaining_g for u in unsold),
        max(0, min(free, pool_free_g)),
        min(ends, default=None),
        max((t.withdrawal_notice_days or 0 for t in terms.values()), default=0),
        notice,
        any(u.notice_missing for u in unsold),
        current,
        any(int(d["terms_version"]) < current for d in deposits),
    )
