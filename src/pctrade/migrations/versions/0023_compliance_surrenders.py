"""Surrender (清缴, issue 15): one row per ``compliance_surrender`` entry and one per
batch it surrendered (``compliance.sql.surrenders``), and a partial index of those
entries for ``verify``'s audit of the rows against them. The entries themselves are the
journal's; these rows are written from them in the same transaction, and ``verify``
holds them to it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
INDEX = "ix_entries_compliance_surrender"
# Word for word the WHERE of ``compliance.sql.surrenders``' read of those entries (SQLite
# uses a partial index only for a query whose WHERE has the index's terms).
WHERE = sa.text("op_type = 'compliance_surrender'")


def upgrade() -> None:
    op.create_table(
        "compliance_surrenders",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("rule_set", sa.String(64), nullable=False),
        sa.Column("allowances_g", BIG, nullable=False),
        sa.Column("offsets_g", BIG, nullable=False),
        sa.Column("after_allowances_g", BIG, nullable=False),
        sa.Column("after_offsets_g", BIG, nullable=False),
        sa.Column("after_nonlocal_offsets_g", BIG, nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_compliance_surrenders_obligation",
        "compliance_surrenders",
        ["jurisdiction", "period", "account_id"],
    )
    op.create_table(
        "compliance_surrender_units",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("asset_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("instrument", sa.String(16), nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("offset", sa.Boolean(), nullable=False),
    )
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
    op.drop_table("compliance_surrender_units")
    op.drop_index("ix_compliance_surrenders_obligation", table_name="compliance_surrenders")
    op.drop_table("compliance_surrenders")
