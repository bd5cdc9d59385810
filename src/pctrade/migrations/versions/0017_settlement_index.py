"""An index of the journal's settlement entries, for ``verify``'s market audit.

``market.audit`` checks every settlement entry against its trade row. It found them by
reading the whole journal; this partial index holds a row for those entries only (no
other entry pays for it), so the audit reads just them, in seq order. It covers the
market's two settlement op types: ``trade_settle`` (order book and block trades) and
``auction_settle`` (one-way bidding, issue 13's auctions), so the auditor needs no other.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

INDEX = "ix_entries_trade_settle"
# Word for word the WHERE of ``market.sql.store``'s read: SQLite uses a partial index
# only for a query whose WHERE has the index's terms.
WHERE = sa.text("op_type IN ('auction_settle', 'trade_settle')")


def upgrade() -> None:
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
