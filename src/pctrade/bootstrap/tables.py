"""Every table the migrations create: the registry's and those of the modules beside it.

Whoever must act on all of them (a reset, a test emptying a shared database) takes
them from here, so a module that adds tables is not forgotten.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

from pctrade.inclusive.sql import store as inclusive_store
from pctrade.ledger.sql import schema
from pctrade.sinks.sql import store as sinks_store

METADATAS: tuple[MetaData, ...] = (schema.metadata, sinks_store.metadata, inclusive_store.metadata)


def all_tables() -> list[Table]:
    return [table for meta in METADATAS for table in meta.sorted_tables]
