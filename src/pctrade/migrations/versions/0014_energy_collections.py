"""Collected green energy: ``energy_collections`` and ``energy_collecting_since`` (issue 11).

Green energy is now credited ``uncollected`` (ledger state 7): its holder collects it
into ``available`` with an ``energy_collect`` entry (one row per entry in
``energy_collections``), and only uncollected energy lapses after the expiry period,
as in Ant Forest, whose rule the rule sets cite. The journal is never edited, so the
energy credited before this revision stays as it was recorded, in ``available``, and
counts as collected. ``energy_collecting_since`` records where that history ends: the
journal's last seq when this revision runs (0 on a fresh database); ``verify`` checks
every credit against it (at or before it: to available; after it: uncollected).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "energy_collections",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("collected_g", sa.BigInteger(), nullable=False),
        sa.Column("lapsed_g", sa.BigInteger(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("since_seq", sa.BigInteger(), nullable=False),
        sa.Column("cutoff", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_energy_collections_account", "energy_collections", ["account_id", "seq"])
    op.create_table(
        "energy_collecting_since",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    conn = op.get_bind()
    head = conn.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM entries")).scalar_one()
    conn.execute(
        sa.text("INSERT INTO energy_collecting_since (seq) VALUES (:seq)"), {"seq": int(head)}
    )


def downgrade() -> None:
    op.drop_table("energy_collecting_since")
    op.drop_table("energy_collections")
