"""Migration 0023 (surrenders): up, down to 0022 and up again; its tables are the ones
``compliance.sql.surrenders`` declares, and the surrender entries get a partial index."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migration_support import alembic_run
from pctrade.compliance.sql import surrenders
from pctrade.ledger.sql.store import SqlStore

TABLES = {t.name for t in surrenders.metadata.sorted_tables}
INDEX = "ix_entries_compliance_surrender"


def _state(store: SqlStore) -> tuple[set[str], set[str], list[object]]:
    with store.engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("entries")}
        diffs = compare_metadata(MigrationContext.configure(conn), surrenders.metadata)
    ours = [d for d in diffs if any(t in repr(d) for t in TABLES)]
    return names, indexes, ours


def test_0023_makes_the_declared_tables_and_goes_down_and_up(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "head")
        names, indexes, diffs = _state(store)
        assert names >= TABLES and INDEX in indexes and diffs == []
        alembic_run(store, "downgrade", "0022")
        names, indexes, _ = _state(store)
        assert not names & TABLES and INDEX not in indexes
        alembic_run(store, "upgrade", "head")
        names, indexes, diffs = _state(store)
        assert names >= TABLES and INDEX in indexes and diffs == []
    finally:
        store.dispose()
