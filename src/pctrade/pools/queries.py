"""Reads of the pools (issue 14): terms, a contributor's deposits, the public page, the
regulator's view of fees and payout delays across platforms' pools.

The public page holds aggregates only, never a contributor's identity or holding.
A contributor reads their own deposits (or an agent they authorised, or an
authority); the regulator's view is for authorities.
"""

from __future__ import annotations

import json
from typing import Any

from pctrade.kernel.errors import Forbidden
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger import access
from pctrade.ledger.model import Role
from pctrade.ledger.ports import Store
from pctrade.ledger.service import AUTHORITIES, account_of
from pctrade.ledger.write import acting_party
from pctrade.pools.service import pool_row
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
