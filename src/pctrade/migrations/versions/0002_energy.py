"""Green energy: the statement lines behind each ``energy_credit`` entry.

The lines are not derived state: they are the credit's evidence, kept beside the
journal (like the parties and accounts an entry opens) and bound to it by the digest
in the entry's payload, which ``verify`` recomputes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()


def upgrade() -> None:
    op.create_table(
        "energy_lines",
        sa.Column("seq", BIG, nullable=False),
        sa.Column("idx", BIG, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("methodology", sa.String(64), nullable=False),
        sa.Column("behaviour", sa.String(64), nullable=False),
        sa.Column("base_unit", sa.String(16), nullable=False),
        sa.Column("events_n", BIG, nullable=False),
        sa.Column("quantity", BIG, nullable=False),
        sa.Column("factor_ug_per_unit", BIG, nullable=False),
        sa.Column("avoided_ug", BIG, nullable=False),
        sa.Column("cap_forfeit_ug", BIG, nullable=False),
        sa.Column("remainder_ug", BIG, nullable=False),
        sa.Column("credited_g", BIG, nullable=False),
        sa.Column("cap_flag", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("seq", "idx"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_energy_lines_account_day", "energy_lines", ["account_id", "day"])
    op.create_index("ix_energy_lines_day", "energy_lines", ["day"])


def downgrade() -> None:
    op.drop_table("energy_lines")
