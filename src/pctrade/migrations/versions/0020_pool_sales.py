"""Pool sales (issue 14): one row per sale, one line per contributor per sale.

- ``pool_sales``: one per ``pool_settle`` entry (``entry_seq``): the pool and its
  platform's account, the venue, price, quantity, gross, the contributors' trade fee,
  the pool fee, the net paid out, the rates in force, the buyer, the number of
  contributors, when it settled and when it paid (one entry: the same time).
- ``pool_sale_lines``: per contributor per sale: the grams sold, the gross, fee and net
  shares in fen and the remainder of the exact split. Σ per sale = the sale's figures.
- A partial index of the journal's ``pool_settle`` entries, so that ``verify``'s audit
  of the sales reads just them (as 0017 does for the market's settlements).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
TS = sa.String(32)
INDEX = "ix_entries_pool_settle"
# Word for word the WHERE of ``pools.sql.sales``'s read of those entries.
WHERE = sa.text("op_type = 'pool_settle'")


def upgrade() -> None:
    op.create_table(
        "pool_sales",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("sale_id", sa.String(64), nullable=False),
        sa.Column("pool_id", sa.String(32), nullable=False),
        sa.Column("platform_account", BIG, nullable=False),
        sa.Column("venue", sa.String(16), nullable=False),
        sa.Column("price_fen_per_t", BIG, nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("gross_fen", BIG, nullable=False),
        sa.Column("trade_fee_bps", sa.Integer(), nullable=False),
        sa.Column("trade_fee_fen", BIG, nullable=False),
        sa.Column("pool_fee_bps", sa.Integer(), nullable=False),
        sa.Column("pool_fee_fen", BIG, nullable=False),
        sa.Column("net_fen", BIG, nullable=False),
        sa.Column("buyer_account", BIG, nullable=False),
        sa.Column("contributors", BIG, nullable=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("paid_at", TS, nullable=False),
    )
    op.create_index("ix_pool_sales_pool", "pool_sales", ["pool_id", "entry_seq"])
    op.create_index("uq_pool_sales_sale", "pool_sales", ["pool_id", "sale_id"], unique=True)
    op.create_table(
        "pool_sale_lines",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("account_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("grams_g", BIG, nullable=False),
        sa.Column("gross_fen", BIG, nullable=False),
        sa.Column("fee_fen", BIG, nullable=False),
        sa.Column("net_fen", BIG, nullable=False),
        sa.Column("remainder", BIG, nullable=False),
    )
    op.create_index("ix_pool_sale_lines_account", "pool_sale_lines", ["account_id", "entry_seq"])
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
    op.drop_table("pool_sale_lines")
    op.drop_table("pool_sales")
