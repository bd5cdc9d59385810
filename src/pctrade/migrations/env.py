"""Alembic environment: runs on the connection pctrade hands it, or else on the config's
URL, ``$PCTRADE_DATABASE_URL`` or the default database, as every pctrade command would."""

from __future__ import annotations

from alembic import context

from pctrade.ledger.sql.engine import make_engine
from pctrade.ledger.sql.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run()
