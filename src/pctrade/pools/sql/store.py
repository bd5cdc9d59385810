"""Reads and writes of the pools' tables (``schema``), in the caller's unit of work.

The pools read two of the ledger's tables by plain SQL for their audit and their
deposits' holds (``holds``, ``entries``), as the market does: never its SQL module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from pctrade.pools.sql.schema import (
    Row,
    deposits_held,
    left_g,
    pool_consents,
    pool_deposits,
    pool_notices,
    pool_terms,
    pools,
    pools_since,
    sold_g,
)


def _all(result: Any) -> list[Row]:
    return [dict(r) for r in result.mappings()]


def _one(uow: Any, query: Any) -> Row | None:
    row = uow.execute(query).mappings().first()
    return None if row is None else dict(row)


# ---- pools and terms -----------------------------------------------------------------
def since(uow: Any) -> int:
    """The journal's last seq when pools began (migration 0019): older pool holds were
    plain freezes."""
    value = uow.execute(sa.select(sa.func.max(pools_since.c.seq))).scalar()
    return int(value or 0)


def pool(uow: Any, pool_id: str, *, lock: bool = False) -> Row | None:
    query = sa.select(pools).where(pools.c.pool_id == pool_id)
    return _one(uow, query.with_for_update() if lock else query)


def pool_count(uow: Any, jurisdiction: str) -> int:
    query = sa.select(sa.func.count()).where(pools.c.jurisdiction == jurisdiction)
    return int(uow.execute(query).scalar_one())


def pools_page(
    uow: Any,
    after: str,
    limit: int,
    *,
    jurisdiction: str | None = None,
    platform: str | None = None,
) -> list[Row]:
    query = sa.select(pools).where(pools.c.pool_id > after).order_by(pools.c.pool_id).limit(limit)
    if jurisdiction is not None:
        query = query.where(pools.c.jurisdiction == jurisdiction)
    if platform is not None:
        query = query.where(pools.c.platform_party == platform)
    return _all(uow.execute(query))


def insert_pool(uow: Any, row: Row) -> None:
    uow.execute(pools.insert().values(**row))


def update_pool(uow: Any, pool_id: str, **values: Any) -> None:
    uow.execute(sa.update(pools).where(pools.c.pool_id == pool_id).values(**values))


def insert_terms(uow: Any, row: Row) -> None:
    uow.execute(pool_terms.insert().values(**row))


def terms_versions(uow: Any, pool_id: str) -> list[Row]:
    t = pool_terms.c
    return _all(uow.execute(sa.select(pool_terms).where(t.pool_id == pool_id).order_by(t.version)))


def terms_version(uow: Any, pool_id: str, version: int) -> Row | None:
    t = pool_terms.c
    return _one(uow, sa.select(pool_terms).where(t.pool_id == pool_id, t.version == version))


def all_terms(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(pool_terms).order_by(pool_terms.c.entry_seq)))


def all_pools(uow: Any) -> list[Row]:
    return _all(uow.execute(sa.select(pools).order_by(pools.c.pool_id)))


# ---- deposits ------------------------------------------------------------------------
def insert_deposit(uow: Any, row: Row) -> None:
    uow.execute(pool_deposits.insert().values(**row))


def _deposit_rows() -> Any:
    """Deposit rows as readers see them: the table's columns and ``sold_g``, derived from
    the deposit's hold (``schema.sold_g``)."""
    return sa.select(*pool_deposits.c, sold_g.label("sold_g")).select_from(deposits_held)


def deposits_of(uow: Any, pool_id: str, account_id: int | None = None) -> list[Row]:
    """The pool's deposits (of one contributor if given), oldest first."""
    d = pool_deposits.c
    query = _deposit_rows().where(d.pool_id == pool_id).order_by(d.deposit_id)
    if account_id is not None:
        query = query.where(d.account_id == account_id)
    return _all(uow.execute(query))


def deposits_of_account(uow: Any, account_id: int, after: int, limit: int) -> list[Row]:
    d = pool_deposits.c
    query = (
        _deposit_rows()
        .where(d.account_id == account_id, d.deposit_id > after)
        .order_by(d.deposit_id)
        .limit(limit)
    )
    return _all(uow.execute(query))


def add_withdrawn(uow: Any, draws: Sequence[tuple[int, int]]) -> None:
    """Record what each (deposit id, grams) withdrawal took out of its deposit."""
    d = pool_deposits.c
    for deposit_id, grams in draws:
        uow.execute(
            sa.update(pool_deposits)
            .where(d.deposit_id == deposit_id)
            .values(withdrawn_g=d.withdrawn_g + grams)
        )


def move_to_version(uow: Any, deposit_ids: Sequence[int], version: int) -> None:
    if deposit_ids:
        d = pool_deposits.c
        uow.execute(
            sa.update(pool_deposits)
            .where(d.deposit_id.in_(list(deposit_ids)))
            .values(terms_version=version)
        )


def totals(uow: Any, pool_id: str) -> Row:
    """A pool's aggregates: contributors with units in it, and grams by what became of them."""
    d = pool_deposits.c
    query = (
        sa.select(
            sa.func.count(sa.distinct(sa.case((left_g > 0, d.account_id)))).label("contributors"),
            sa.func.count(sa.distinct(d.account_id)).label("contributors_ever"),
            sa.func.coalesce(sa.func.sum(d.quantity_g), 0).label("deposited_g"),
            sa.func.coalesce(sa.func.sum(d.withdrawn_g), 0).label("withdrawn_g"),
            sa.func.coalesce(sa.func.sum(sold_g), 0).label("sold_g"),
        )
        .select_from(deposits_held)
        .where(d.pool_id == pool_id)
    )
    row = uow.execute(query).mappings().one()
    return {k: int(v) for k, v in dict(row).items()}


def unsold_g(uow: Any, pool_id: str) -> int:
    """The pool's units neither withdrawn nor sold, over all its deposits."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(left_g), 0))
        .select_from(deposits_held)
        .where(pool_deposits.c.pool_id == pool_id)
    )
    return int(uow.execute(query).scalar_one())


def contributors_behind(uow: Any, pool_id: str, version: int) -> int:
    """Contributors with unsold units under a terms version older than ``version``."""
    d = pool_deposits.c
    query = (
        sa.select(sa.func.count(sa.distinct(d.account_id)))
        .select_from(deposits_held)
        .where(d.pool_id == pool_id, d.terms_version < version, left_g > 0)
    )
    return int(uow.execute(query).scalar_one())


# ---- consents and notices --------------------------------------------------------------
def insert_consent(uow: Any, row: Row) -> None:
    uow.execute(pool_consents.insert().values(**row))


def consent(uow: Any, pool_id: str, account_id: int, version: int) -> Row | None:
    c = pool_consents.c
    return _one(
        uow,
        sa.select(pool_consents).where(
            c.pool_id == pool_id, c.account_id == account_id, c.version == version
        ),
    )


def notice(uow: Any, pool_id: str, account_id: int) -> str | None:
    n = pool_notices.c
    row = _one(uow, sa.select(pool_notices).where(n.pool_id == pool_id, n.account_id == account_id))
    return None if row is None else str(row["given_at"])


def give_notice(uow: Any, pool_id: str, account_id: int, given_at: str) -> None:
    """Record (or renew) a contributor's notice of withdrawal from a pool."""
    n = pool_notices.c
    uow.execute(pool_notices.delete().where(n.pool_id == pool_id, n.account_id == account_id))
    uow.execute(
        pool_notices.insert().values(pool_id=pool_id, account_id=account_id, given_at=given_at)
    )


def clear_notice(uow: Any, pool_id: str, account_id: int) -> None:
    n = pool_notices.c
    uow.execute(pool_notices.delete().where(n.pool_id == pool_id, n.account_id == account_id))


# ---- what the audit reads of the ledger ------------------------------------------------
def pool_holds(uow: Any, after_seq: int) -> Iterator[Row]:
    """Every hold of reason ``pool`` opened after ``after_seq``, by id."""
    result = uow.execute(
        sa.text(
            "SELECT hold_id, account_id, asset_id, amount, remaining FROM holds"
            " WHERE reason = 'pool' AND hold_id > :s ORDER BY hold_id"
        ),
        {"s": after_seq},
    )
    for r in result.mappings():
        yield dict(r)


def all_deposits(uow: Any) -> list[Row]:
    """Every deposit row as stored (no hold joined: the audit pairs them itself)."""
    return _all(uow.execute(sa.select(pool_deposits).order_by(pool_deposits.c.deposit_id)))


def terms_entries(uow: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every ``pool_terms`` entry's seq and payload, in order."""
    result = uow.execute(
        sa.text("SELECT seq, payload FROM entries WHERE op_type = 'pool_terms' ORDER BY seq")
    )
    for seq, payload in result:
        yield int(seq), payload if isinstance(payload, dict) else json.loads(payload)
