"""A sink loss counts against the credits only for the share they stand for (issue 11).

``sink_reversals`` gains ``issued_loss_g`` (the part of the reported loss that credits
stand for, covered + shortfall) and its basis, ``credited_g`` of ``credited_removals_g``
(what the project's issuances credited, buffer + sponsors, of the removals they were
verified for, when the loss was recorded). NULL on reversals recorded before: those
counted the whole loss against the buffer, are kept as they were recorded, and
``verify`` checks them by the rule they were made under.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = ("issued_loss_g", "credited_g", "credited_removals_g")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("sink_reversals", sa.Column(name, sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sink_reversals") as batch:  # SQLite rebuilds the table
        for name in COLUMNS:
            batch.drop_column(name)
