"""Migration 0026 (a deposit's sold grams derived from its hold): up, down to 0025 and up
again on SQLite and PostgreSQL, with a sale's rows kept.

Down puts ``pool_deposits.sold_g`` back with each deposit's sold grams (computed from
its hold, as the rows before 0026 recorded them) and the lines' account index; up drops
both again, and the tables are as ``pools.sql`` declares them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sale_support import a_sale, pool_world, sell

from migration_support import alembic_run
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools.sql import sales as sdb
from pctrade.pools.sql import schema
from pctrade.pools.sql import store as pdb


def _own(diffs: list[Any], table: str) -> list[Any]:
    return [d for d in diffs if d[0] != "remove_table" and table in repr(d)]


def _shape(store: SqlStore) -> tuple[bool, bool]:
    """Whether ``pool_deposits`` has ``sold_g``, and the lines their account index."""
    with store.engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {c["name"] for c in inspector.get_columns("pool_deposits")}
        indexes = {i["name"] for i in inspector.get_indexes("pool_sale_lines")}
    return "sold_g" in columns, "ix_pool_sale_lines_account" in indexes


def _fillfactors(store: SqlStore) -> set[str]:
    """The storage options of ``holds`` and ``balances`` (PostgreSQL; none on SQLite)."""
    if not store.is_postgres:
        return set()
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT unnest(reloptions) FROM pg_class WHERE relname IN ('holds', 'balances')"
        )
        return {str(r[0]) for r in rows}


def _rows(store: SqlStore) -> list[tuple[int, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT deposit_id, pool_id, account_id, asset_id, quantity_g, withdrawn_g,"
                " terms_version, entry_seq, deposited_at FROM pool_deposits ORDER BY 1"
            )
        ]


def test_0026_derives_sold_and_goes_down_and_up_keeping_the_rows(url: str) -> None:
    store = SqlStore(url)
    try:
        bootstrap.migrate(store)
        pw = pool_world(store)
        sell(pw.w.reg, "sale-1", a_sale(pw, 2_503))
        with store.reader() as uow:
            sold = {
                int(d["deposit_id"]): int(d["sold_g"]) for d in pdb.deposits_of(uow, "POOL-GD-0001")
            }
        assert sum(sold.values()) == 2_503 and all(g > 0 for g in sold.values())
        rows = _rows(store)
        assert _shape(store) == (False, False)
        hot = {"fillfactor=50"} if store.is_postgres else set()
        assert _fillfactors(store) == hot

        alembic_run(store, "downgrade", "0025")
        assert _shape(store) == (True, True)
        assert _rows(store) == rows
        assert _fillfactors(store) == set()
        with store.engine.connect() as conn:
            before = dict(
                conn.exec_driver_sql("SELECT deposit_id, sold_g FROM pool_deposits").all()
            )
        assert before == sold

        alembic_run(store, "upgrade", "0026")
        assert _shape(store) == (False, False)
        assert _fillfactors(store) == hot
        assert _rows(store) == rows
        with store.reader() as uow:
            after = {
                int(d["deposit_id"]): int(d["sold_g"]) for d in pdb.deposits_of(uow, "POOL-GD-0001")
            }
        assert after == sold
        with store.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            # Each table against the metadata that declares it (the other's tables are
            # not in it, so only the table's own differences count).
            diffs = [
                *_own(compare_metadata(context, schema.metadata), "pool_deposits"),
                *_own(compare_metadata(context, sdb.metadata), "pool_sale_lines"),
            ]
        assert diffs == []
        report = verify(store)
        assert report.ok, report.problems
    finally:
        store.dispose()
