"""Every row of every table, for tests that a replay or a refusal wrote nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from pctrade.kernel.errors import IdempotencyConflict
from pctrade.ledger.sql.store import SqlStore


def everything(store: SqlStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: what a replay or a refusal must leave as it was."""
    tables = sa.MetaData()
    tables.reflect(bind=store.engine)
    with store.engine.connect() as conn:
        return {
            name: sorted(tuple(row) for row in conn.execute(sa.select(table)))
            for name, table in tables.tables.items()
        }


def reused(store: SqlStore, call: Any, *args: Any) -> None:
    """``call`` is refused as a reuse of its key, and writes nothing."""
    before = everything(store)
    with pytest.raises(IdempotencyConflict) as exc:
        call(*args)
    assert exc.value.code == "idempotency_key_reused"
    assert everything(store) == before
