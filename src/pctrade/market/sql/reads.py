"""The market's paged and sequenced reads (keyset pages; the stream's seq ranges).

Beside ``store`` (the tables and the service's reads and writes): what the API, the
CLI and the live stream read a page or a seq range at a time. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pctrade.market.sql.store import Row, closes, commands, contracts, orders, trades


def _all(result: Any) -> list[Row]:
    return [dict(r._mapping) for r in result]


def contracts_after(uow: Any, after_id: int, fetch: int) -> list[Row]:
    c = contracts.c
    query = sa.select(contracts).where(c.contract_id > after_id).order_by(c.contract_id)
    return _all(uow.execute(query.limit(fetch)))


def codes_by_id(uow: Any) -> dict[int, str]:
    c = contracts.c
    return {int(r.contract_id): str(r.code) for r in uow.execute(sa.select(c.contract_id, c.code))}


def orders_of_owner(
    uow: Any, owner: str, contract_id: int | None, after: tuple[int, int], fetch: int
) -> list[Row]:
    """The owner's orders in (contract id, order id) order, after ``after``."""
    c = orders.c
    query = sa.select(orders).where(
        c.owner == owner, sa.tuple_(c.contract_id, c.order_id) > sa.tuple_(*after)
    )
    if contract_id is not None:
        query = query.where(c.contract_id == contract_id)
    return _all(uow.execute(query.order_by(c.contract_id, c.order_id).limit(fetch)))


def fills_of_owner(uow: Any, owner: str, after_entry: int, fetch: int) -> list[Row]:
    """Trades in which one of the owner's orders took part, by settlement entry."""
    t, buy, sell = trades.c, orders.alias("buy"), orders.alias("sell")
    query = (
        sa.select(
            trades,
            buy.c.owner.label("buy_owner"),
            sell.c.owner.label("sell_owner"),
        )
        .join(
            buy,
            sa.and_(buy.c.contract_id == t.contract_id, buy.c.order_id == t.buy_order_id),
        )
        .join(
            sell,
            sa.and_(sell.c.contract_id == t.contract_id, sell.c.order_id == t.sell_order_id),
        )
        .where(sa.or_(buy.c.owner == owner, sell.c.owner == owner), t.entry_seq > after_entry)
        .order_by(t.entry_seq)
        .limit(fetch)
    )
    return _all(uow.execute(query))


def trades_after(
    uow: Any, contract_id: int, day: str | None, after_entry: int, fetch: int
) -> list[Row]:
    t = trades.c
    query = sa.select(trades).where(t.contract_id == contract_id, t.entry_seq > after_entry)
    if day is not None:
        query = query.where(t.day == day)
    return _all(uow.execute(query.order_by(t.entry_seq).limit(fetch)))


def commands_between(uow: Any, contract_id: int, after_seq: int, upto_seq: int) -> list[Row]:
    """The contract's commands with after < seq ≤ upto: seq and kind (no actor)."""
    c = commands.c
    query = (
        sa.select(c.seq, c.kind, c.ts)
        .where(c.contract_id == contract_id, c.seq > after_seq, c.seq <= upto_seq)
        .order_by(c.seq)
    )
    return _all(uow.execute(query))


def trades_between(uow: Any, contract_id: int, after_seq: int, upto_seq: int) -> list[Row]:
    t = trades.c
    query = (
        sa.select(trades)
        .where(t.contract_id == contract_id, t.seq > after_seq, t.seq <= upto_seq)
        .order_by(t.entry_seq)
    )
    return _all(uow.execute(query))


def closes_between(uow: Any, contract_id: int, after_seq: int, upto_seq: int) -> list[Row]:
    c = closes.c
    query = sa.select(closes).where(
        c.contract_id == contract_id, c.seq > after_seq, c.seq <= upto_seq
    )
    return _all(uow.execute(query.order_by(c.seq)))


def closes_in(uow: Any, contract_id: int, first_day: str, last_day: str) -> list[Row]:
    c = closes.c
    query = sa.select(closes).where(
        c.contract_id == contract_id, c.day >= first_day, c.day <= last_day
    )
    return _all(uow.execute(query.order_by(c.day)))
