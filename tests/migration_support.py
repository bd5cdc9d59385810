"""Re-running one data migration on a database put back to the revision before it.

A test of a backfill writes rows the way old code did and sets ``alembic_version``
back. Later migrations that add columns (0009, issue 11) have already run on that
database and hold rows that need their columns, so only the migrations up to the one
under test are run again; the database is then stamped at the newest revision.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from pctrade.ledger.sql.store import SqlStore


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("pctrade") / "migrations"))
    return config


def alembic_run(store: SqlStore, step: str, revision: str) -> None:
    """One Alembic command (``upgrade``, ``downgrade``, ``stamp``) to ``revision`` on ``store``."""
    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, step)(config, revision)


def migrate_through(store: SqlStore, revision: str) -> None:
    """Upgrade to ``revision``, then stamp the newest revision (later ones already ran)."""
    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        command.stamp(config, "head")
