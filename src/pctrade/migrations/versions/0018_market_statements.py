"""Indexes for the daily settlement statement: an account's trades of a day.

A statement (``market.reports``) lists one account's trades of one day, as buyer or as
seller, of every contract and mode. ``market_trades`` was indexed by contract and day
only, so each statement read every trade row. These two indexes find the account's
rows of the day from either side; the statement's positions come from the journal's
postings by their existing account index (``market.sql.statements``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_market_trades_buyer_day": ["buyer_account", "day"],
    "ix_market_trades_seller_day": ["seller_account", "day"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "market_trades", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="market_trades")
