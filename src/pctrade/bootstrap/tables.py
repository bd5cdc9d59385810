"""Every table the migrations create, gathered from the contexts' registrations.

Whoever must act on all of them (a reset, a test emptying a shared database) takes
them from here, so a context that adds tables is not forgotten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pctrade.bootstrap.contexts import CONTEXTS
from pctrade.ledger.extensions import metadata_of

if TYPE_CHECKING:  # types only: SQLAlchemy is imported by the sql modules alone
    from sqlalchemy import MetaData, Table

METADATAS: tuple[MetaData, ...] = tuple(metadata_of(CONTEXTS))


def all_tables() -> list[Table]:
    return [table for meta in METADATAS for table in meta.sorted_tables]
