"""A market table's rows by their key (SQLAlchemy Core), as plain dicts.

The book's tables (``store``) and the venues' (``venues``) read and write rows the same
way — one by its primary key, all in key order, one inserted, some columns of one
updated — so they share these few helpers instead of a copy per table. The hot path of
an order is hand-written SQL in ``store`` and does not come through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

Row = dict[str, Any]


def one(result: Any) -> Row | None:
    """The first row of ``result``, or None."""
    row = result.first()
    return None if row is None else dict(row._mapping)


def every(result: Any) -> list[Row]:
    """Every row of ``result``."""
    return [dict(r._mapping) for r in result]


def _matching(table: sa.Table, key: Mapping[str, Any]) -> list[Any]:
    return [table.c[name] == value for name, value in key.items()]


def insert(uow: Any, table: sa.Table, row: Row) -> None:
    uow.execute(table.insert().values(**row))


def by_key(uow: Any, table: sa.Table, **key: Any) -> Row | None:
    """The row whose key columns have these values."""
    return one(uow.execute(sa.select(table).where(*_matching(table, key))))


def update(uow: Any, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Set ``values`` on the row whose key columns have the values of ``key``."""
    uow.execute(table.update().where(*_matching(table, key)).values(**values))


def all_in_order(uow: Any, table: sa.Table, *columns: str) -> list[Row]:
    """Every row of ``table``, ordered by ``columns``."""
    return every(uow.execute(sa.select(table).order_by(*(table.c[c] for c in columns))))
