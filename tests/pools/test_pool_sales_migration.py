"""Migration 0020 (pool sales): up, down to 0019 and up again; the tables it makes are
the ones ``pools.sql.sales`` declares, and the journal's pool_settle entries get their
own partial index."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migration_support import alembic_run
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools.sql import sales

SALE_TABLES = {t.name for t in sales.metadata.sorted_tables}


def _table_names(diff: object) -> set[str]:
    items = diff if isinstance(diff, list) else [diff]
    out: set[str] = set()
    for item in items:
        for part in item if isinstance(item, tuple) else ():
            table = getattr(part, "table", None)
            name = getattr(part, "name", None) if isinstance(part, sa.Table) else None
            if isinstance(part, str):
                out.add(part)
            elif name:
                out.add(str(name))
            elif table is not None:
                out.add(str(table.name))
    return out


def test_0020_makes_the_declared_sale_tables_and_goes_down_and_up(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "head")
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), sales.metadata)
            names = set(sa.inspect(conn).get_table_names())
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("entries")}
        assert names >= SALE_TABLES
        assert [d for d in diffs if SALE_TABLES & _table_names(d)] == []
        assert "ix_entries_pool_settle" in indexes
        alembic_run(store, "downgrade", "0019")
        with store.engine.connect() as conn:
            assert not SALE_TABLES & set(sa.inspect(conn).get_table_names())
        alembic_run(store, "upgrade", "0020")
        with store.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) >= SALE_TABLES
    finally:
        store.dispose()
