"""Migration 0021 (pool orders): up, down to 0020 and up again, SQLite and PostgreSQL.

It adds ``pool_id`` (and an index) to the market's orders, block proposals and auctions, as
``market.sql`` declares them, and makes the settlement entries' partial index again
with ``pool_settle`` in its list, which the market's audit reads by (``EXPLAIN``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migration_support import alembic_run
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.sql import store as mdb
from pctrade.market.sql import venues as vdb

TABLES = {
    "market_orders": "ix_market_orders_pool",
    "market_block_proposals": "ix_market_block_pool",
    "market_auctions": "ix_market_auctions_pool",
}


def _pool_columns(store: SqlStore) -> dict[str, tuple[bool, bool]]:
    """Per table: whether it has ``pool_id``, and its pool index."""
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {
            table: (
                "pool_id" in {c["name"] for c in inspector.get_columns(table)},
                index in {i["name"] for i in inspector.get_indexes(table)},
            )
            for table, index in TABLES.items()
        }


def _settlement_index_where(store: SqlStore) -> str:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "sqlite":
            sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_entries_trade_settle'"
        else:
            sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_entries_trade_settle'"
        return str(conn.exec_driver_sql(sql).scalar())


def test_0021_adds_the_pool_columns_and_goes_down_and_up(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "head")
        assert _pool_columns(store) == {t: (True, True) for t in TABLES}
        assert "pool_settle" in _settlement_index_where(store)
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            # Each table against the metadata that declares it (other tables are not in
            # it, so only the table's own differences count).
            declared = {
                "market_orders": mdb.metadata,
                "market_block_proposals": vdb.metadata,
                "market_auctions": vdb.metadata,
            }
            for table, meta in declared.items():
                diffs = compare_metadata(context, meta)
                assert [d for d in diffs if f"<{table}>" in repr(d)] == []
        alembic_run(store, "downgrade", "0020")
        assert _pool_columns(store) == {t: (False, False) for t in TABLES}
        where = _settlement_index_where(store)
        assert "trade_settle" in where and "pool_settle" not in where
        alembic_run(store, "upgrade", "0021")
        assert _pool_columns(store) == {t: (True, True) for t in TABLES}
    finally:
        store.dispose()


def test_the_audit_reads_the_settlements_by_their_index(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        plan = " ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + mdb._SETTLEMENTS)
        )
    assert "ix_entries_trade_settle" in plan, plan
