"""Held behaviour events and the reviewers' decisions on them.

``behaviour_held`` keeps every event a daily run held for review (implausible speed,
overlapping trip, partner anomaly) with what it would earn (``avoided_ug``), written
in the transaction that remembers its key in ``behaviour_events_seen``. A reviewer
decides each one once: ``behaviour_hold_decisions`` has one row per (partner, event
id), ``released`` (the ``energy_credit`` entry ``seq`` that credited it, NULL when the
caps left no room) or ``rejected``, with the reason, the reviewer and the request's
idempotency key (so a replay of the same request answers the same decision).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "behaviour_held",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("person_id", sa.Text(), nullable=False),
        sa.Column("behaviour", sa.String(64), nullable=False),
        sa.Column("methodology", sa.String(64), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("avoided_ug", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "event_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_behaviour_held_day", "behaviour_held", ["day", "partner_id"])
    op.create_table(
        "behaviour_hold_decisions",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("idem_key", sa.Text(), nullable=False),
        sa.Column("credited_g", sa.BigInteger(), nullable=False),
        sa.Column("cap_flag", sa.String(32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "event_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("behaviour_hold_decisions")
    op.drop_table("behaviour_held")
