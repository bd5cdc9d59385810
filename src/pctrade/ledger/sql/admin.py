"""Chores on the database as a whole, outside the journal's units of work.

``reset_database`` empties a registry for a fresh demo: it deletes an SQLite file, or
drops every table of a server database. The tables are the contexts' (gathered by
``pctrade.bootstrap.tables``), passed in, since the ledger knows no context.
``accounts_opened_by`` finds the accounts a bulk opening created, for the demo.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql import schema
from pctrade.ledger.sql.store import SqlStore


def reset_database(url: str, metadatas: Sequence[sa.MetaData]) -> None:
    """Start from an empty registry: delete the SQLite file, or drop every table."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            return
        for suffix in ("", "-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
        return
    store = SqlStore(url)
    try:
        for meta in reversed(metadatas):
            meta.drop_all(store.engine)
        with store.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    except sa.exc.SQLAlchemyError as exc:
        raise PctradeError(f"cannot reset the database: {exc}", code="reset_failed") from exc
    finally:
        store.dispose()


def accounts_opened_by(store: SqlStore, seq: int) -> dict[str, int]:
    """Accounts an entry opened, owner to account id, in one query (a bulk opening's
    payload carries only counts)."""
    a = schema.accounts.c
    with store.reader() as uow:
        rows = uow.execute(sa.select(a.owner, a.account_id).where(a.opened_seq == seq))
        return {r.owner: int(r.account_id) for r in rows}
