"""What ``verify`` checks of the pools' tables, the cut-over of migration 0019, and the
migration itself (up from 0018 with the journal's head recorded, down and up again)."""

from __future__ import annotations

import gzip
import shutil
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pool_world import build

from migration_support import alembic_run
from pctrade import bootstrap
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SetClock
from pctrade.ledger.sql.store import SqlStore
from pctrade.pools.sql import schema

FIXTURE = Path(__file__).parent.parent / "fixtures" / "demo-at-0008.db.gz"
POOL_TABLES = {t.name for t in schema.metadata.sorted_tables}


def _problems(store: SqlStore) -> list[str]:
    return [p.code for p in verify(store).problems]


def _tamper(store: SqlStore, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_the_audit_holds_deposit_rows_to_their_holds(any_store: SqlStore) -> None:
    w = build(any_store)
    pool_id = w.open()
    w.deposit("alice", pool_id, 1_000)
    w.deposit("bob", pool_id, 2_000)
    assert _problems(w.store) == []
    _tamper(w.store, "UPDATE pool_deposits SET withdrawn_g = 10 WHERE quantity_g = 1000")
    assert _problems(w.store) == ["pool_deposit_mismatch"]
    _tamper(w.store, "DELETE FROM pool_deposits WHERE quantity_g = 1000")
    assert _problems(w.store) == ["pool_hold_without_deposit"]
    _tamper(w.store, "UPDATE pool_terms SET digest = 'x'")
    assert "pool_terms_mismatch" in _problems(w.store)


def test_a_deposit_row_without_its_hold_and_a_stale_version_are_found(
    any_store: SqlStore,
) -> None:
    w = build(any_store)
    pool_id = w.open()
    w.deposit("alice", pool_id, 1_000)
    _tamper(
        w.store,
        "INSERT INTO pool_deposits (deposit_id, pool_id, account_id, asset_id, quantity_g,"
        " withdrawn_g, terms_version, entry_seq, deposited_at) VALUES"
        f" (999999, '{pool_id}', 1, 1, 5, 0, 1, 999999, '2026-07-01T00:00:00.000000Z')",
    )
    _tamper(w.store, "UPDATE pools SET terms_version = 2")
    assert sorted(_problems(w.store)) == ["pool_deposit_without_hold", "pool_terms_mismatch"]


def test_a_plain_pool_hold_from_before_pools_still_verifies(tmp_path: Path) -> None:
    """The 0008 demo database froze units with reason ``pool`` the plain way; migration
    0019 records the head then as the cut-over, and the audit leaves such holds alone."""
    path = tmp_path / "pctrade.db"
    with gzip.open(FIXTURE) as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    clock = SetClock(datetime(2026, 12, 1, 2, tzinfo=UTC))
    app = bootstrap.build(f"sqlite:///{path}", clock=clock)
    with app.store.engine.connect() as conn:
        since = conn.execute(sa.text("SELECT seq FROM pools_since")).scalar_one()
        legacy = conn.execute(
            sa.text("SELECT hold_id FROM holds WHERE reason = 'pool' AND remaining > 0")
        ).all()
    assert since == 98 and legacy and all(h <= since for (h,) in legacy)
    report = verify(app.store)
    assert report.ok, report.problems
    app.close()


def test_0019_records_the_cut_over_and_matches_the_declared_tables(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "0018")
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO entries (seq, op_type, actor, idem_key, request_hash, ts,"
                    " payload, posting_count, prev_hash, hash) VALUES (1, 'genesis', 'r', 'k',"
                    " 'h', 't', '{}', 0, 'p', 'h'), (2, 'freeze', 'r', 'k2', 'h', 't', '{}', 0,"
                    " 'p', 'h')"
                )
            )
        alembic_run(store, "upgrade", "0019")
        with store.engine.connect() as conn:
            since = conn.execute(sa.text("SELECT seq FROM pools_since")).scalar_one()
        assert since == 2
        alembic_run(store, "upgrade", "head")  # the tables as declared: 0026 changed one
        with store.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        ours = [d for d in diffs if POOL_TABLES & set(map(str, _names(d)))]
        assert ours == []
        alembic_run(store, "downgrade", "0018")
        alembic_run(store, "upgrade", "0019")
    finally:
        store.dispose()


def _names(diff: object) -> list[str]:
    """The table names a comparison's difference touches."""
    out: list[str] = []
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, sa.Table):
            out.append(item.name)
        elif isinstance(item, (sa.Column, sa.Index, sa.Constraint)):
            table = getattr(item, "table", None)
            if isinstance(table, sa.Table):
                out.append(table.name)
    return out
