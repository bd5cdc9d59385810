"""An index of the journal's settlement entries, for ``verify``'s market audit.

``market.audit`` checks every ``trade_settle`` entry against its trade row. It found
them by reading the whole journal; this partial index holds a row for those entries
only (no other entry pays for it), so the audit reads just them, in seq order.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

INDEX = "ix_entries_trade_settle"
WHERE = sa.text("op_type = 'trade_settle'")


def upgrade() -> None:
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
