"""Pool sells on the market (issue 14): the pool an order, a block proposal or an auction
sells for, and ``pool_settle`` among the settlement entries the market's audit reads.

A platform sells its pool's units on the book, by block trade or by one-way bidding
(``market.pool_sells``). Such a sell freezes nothing, so the market records which pool
it sells for (``pool_id``; None for every other order, proposal and auction): its fills
settle from the pool's holds, and what the pool's open sells claim is summed by the new
indexes.

The partial index of the settlement entries (0017) is made again with ``pool_settle``
in its list, word for word the WHERE of ``market.sql.store``'s read (SQLite uses a
partial index only for a query whose WHERE has the index's terms).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEX = "ix_entries_trade_settle"
WHERE = sa.text("op_type IN ('auction_settle', 'pool_settle', 'trade_settle')")
WHERE_BEFORE = sa.text("op_type IN ('auction_settle', 'trade_settle')")
POOL_COLUMNS = {
    "market_orders": "ix_market_orders_pool",
    "market_block_proposals": "ix_market_block_pool",
    "market_auctions": "ix_market_auctions_pool",
}
STATE = {"market_orders": "state", "market_block_proposals": "outcome", "market_auctions": "state"}


def upgrade() -> None:
    for table, index in POOL_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("pool_id", sa.String(32), nullable=True))
        op.create_index(index, table, ["pool_id", STATE[table]], unique=False)
    op.drop_index(INDEX, table_name="entries")
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
    op.create_index(
        INDEX,
        "entries",
        ["seq"],
        sqlite_where=WHERE_BEFORE,
        postgresql_where=WHERE_BEFORE,
        unique=False,
    )
    for table, index in POOL_COLUMNS.items():
        op.drop_index(index, table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("pool_id")
