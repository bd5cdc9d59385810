"""Migration 0022 (compliance): up, down to 0021 and up again; the tables it makes are
the ones ``compliance.sql.schema`` declares, column for column and index for index, and
the journal's compliance entries get their own partial index."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migration_support import alembic_run
from pctrade.compliance.sql import schema
from pctrade.ledger.sql.store import SqlStore

TABLES = {t.name for t in schema.metadata.sorted_tables}


def _ours(diff: object) -> bool:
    """Whether an autogenerate difference is about one of the compliance tables."""
    for part in diff if isinstance(diff, tuple) else (diff,):
        if isinstance(part, (list, tuple)):
            if any(_ours(p) for p in part):
                return True
            continue
        if isinstance(part, str) and part in TABLES:
            return True
        table = part if isinstance(part, sa.Table) else getattr(part, "table", None)
        if table is not None and getattr(table, "name", None) in TABLES:
            return True
    return False


def test_0022_makes_the_declared_compliance_tables_and_goes_down_and_up(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "head")
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
            names = set(sa.inspect(conn).get_table_names())
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("entries")}
        assert names >= TABLES
        assert [d for d in diffs if _ours(d)] == []
        assert "ix_entries_compliance" in indexes
        alembic_run(store, "downgrade", "0021")
        with store.engine.connect() as conn:
            assert not TABLES & set(sa.inspect(conn).get_table_names())
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("entries")}
        assert "ix_entries_compliance" not in indexes
        alembic_run(store, "upgrade", "0022")
        with store.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) >= TABLES
    finally:
        store.dispose()
