"""Migration 0008: a reversal keyed before the request log existed replays after it.

Before 0007 a reversal's plan kept its key only in ``sink_reversals``; the request log
(``requests``) was added without a backfill, so a retry of such a reversal found its
key unused and hit ``uq_sink_reversals_key``. Here the reversal is written, its log row
removed (what the old code left), the database put back at 0007 and migrated: 0008
logs it exactly as the code logs it now, and the retry replays. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sinks_world import REMOVALS_G, SinkWorld, build, sponsored, verified_report

from migration_support import migrate_through
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import IdempotencyConflict
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore

LOGGED = ("actor", "idem_key", "request_hash", "result")


def logged(store: SqlStore) -> list[tuple[Any, ...]]:
    columns = [schema.requests.c[name] for name in LOGGED]
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(*columns)))


def as_before_0007(store: SqlStore) -> None:
    """The database as the old code left it: nothing logged, at revision 0007."""
    with store.engine.begin() as conn:
        conn.execute(schema.requests.delete())
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0007'"))


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def test_a_reversal_keyed_the_old_way_replays_after_the_backfill(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    w.sinks.issue("reg", "i", verified_report(w, code), REMOVALS_G // 2)
    rev = w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt")
    assert rev.cancel_seqs
    reversal_log = [r for r in logged(w.store) if r[1] == "rev-1"]
    assert len(reversal_log) == 1

    as_before_0007(w.store)
    with pytest.raises(sa.exc.IntegrityError):  # the bug: the key looked unused
        w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt")
    migrate_through(w.store, "0008")
    assert [r for r in logged(w.store) if r[1] == "rev-1"] == reversal_log
    with w.store.reader() as uow:
        last = uow.head.last_seq
    assert w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt") == rev
    with w.store.reader() as uow:
        assert uow.head.last_seq == last  # a replay: no cancellation again
    with pytest.raises(IdempotencyConflict):
        w.sinks.reverse("reg", "rev-1", code, 1_000, "fire")


def test_the_backfill_leaves_a_key_an_entry_or_the_log_already_uses(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    w.sinks.issue("reg", "i", verified_report(w, code), REMOVALS_G // 2)
    w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt")
    w.sinks.reverse("reg", "rev-2", code, 1_000, "pests")
    with w.store.engine.begin() as conn:
        # Old rules let a reversal take a key an entry of its reporter had used ("i").
        reversals = sa.table("sink_reversals", sa.column("idem_key"))
        conn.execute(reversals.update().where(reversals.c.idem_key == "rev-2").values(idem_key="i"))
    as_before_0007(w.store)
    with w.store.engine.begin() as conn:  # a key logged since 0007 stays as logged
        conn.execute(
            schema.requests.insert().values(
                actor="reg", idem_key="rev-1", request_hash="0" * 64, result="{}", ts="t"
            )
        )
    migrate_through(w.store, "0008")
    # "i" stays the issue entry's, "rev-1" keeps its row: nothing of reg's is added.
    assert [r for r in logged(w.store) if r[0] == "reg"] == [("reg", "rev-1", "0" * 64, "{}")]
    with pytest.raises(IdempotencyConflict):  # the entry's key is the entry's
        w.sinks.reverse("reg", "i", code, 1_000, "pests")
