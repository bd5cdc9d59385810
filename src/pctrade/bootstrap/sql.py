"""The start-up step's SQL: bring the schema to the newest revision, empty a database.

Both act on every table the contexts declare (``tables``), so a context that adds
tables is migrated and reset with the others. ``database_place`` reads a database URL
for the composition root, which keeps an app's files beside its database.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from pctrade.bootstrap.tables import all_tables
from pctrade.ledger.journal import GENESIS_HASH
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT
from pctrade.ledger.sql import engine as engines
from pctrade.ledger.sql import schema


@cache
def _newest_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("pctrade") / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision; a current one costs a single read.

    Tests and the API build an app per test or per process over a database that is
    usually current already; asking Alembic to upgrade it would load every migration.
    """
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    if current is None or current != _newest_revision():
        engines.migrate(engine)


def empty(engine: sa.Engine) -> None:
    """Delete every row and put the journal head back before genesis."""
    with engine.begin() as conn:
        # DELETE, not TRUNCATE: a reset usually finds a few dozen rows, and TRUNCATE on
        # PostgreSQL recreates every table's files, which costs far more.
        for table in reversed(all_tables()):
            if table.name != schema.registry_head.name:
                conn.execute(table.delete())
        conn.execute(
            schema.registry_head.update().values(
                last_seq=0,
                last_hash=GENESIS_HASH,
                next_account_id=FIRST_HOLDER_ACCOUNT,
                next_asset_id=1,
            )
        )


def database_place(url: str) -> tuple[Path | None, str]:
    """Where the database of ``url`` lives: its file for SQLite on disk (else None), and
    a name of it fit for a folder (``postgresql-127.0.0.1-5432-pctrade``)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    database = parsed.database or ""
    if backend == "sqlite" and database not in ("", ":memory:"):
        return Path(database), Path(database).stem
    parts = [backend, parsed.host or "", str(parsed.port or ""), database or "memory"]
    return None, re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(p for p in parts if p))
