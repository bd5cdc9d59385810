"""Account status (issue 12): blocked, suspended, closed, each change a journal entry.

``account_status`` keeps each account's status as its last ``account_status`` entry left
it (``ledger.status``): ``status`` is the number of ``AccountStatus`` (0 open, 1 blocked,
2 suspended, 3 closed), ``reason`` that entry's reason and ``seq`` the entry. An account
without a row never changed and is open, so existing registries need no backfill: no
account had a status before this revision. ``verify`` replays the statuses from the
journal and compares them with this table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_status",
        sa.Column("account_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_status")
