"""Behaviour events already judged: the keys that make deduplication span days.

``behaviour_events_seen`` keeps, per (partner, event id), the MD5 digest of the content
of every event whose energy was credited or that was held for review, the day, the
outcome (``credited``, ``held``, or ``no_account``) and the ``energy_credit`` entry
that credited the day (NULL when the day credited no gram). The daily pipeline
anti-joins it, so a copy that comes again on a later day, or in a later run of the same
day, is rejected as a duplicate, or as a conflict when its content differs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "behaviour_events_seen",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "event_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_behaviour_events_seen_day", "behaviour_events_seen", ["day"])


def downgrade() -> None:
    op.drop_table("behaviour_events_seen")
