"""Block trades and one-way bidding (issue 13): proposals, auctions, bids and the holds
that cover them; the trade row's mode (listing, block, auction) and reference; an order
action's facts for surveillance on the command log (its touch price).

The tables are described in ``pctrade.market.sql.venues``. A block trade or an auction
fill has no order, so ``market_trades``' order ids become nullable (SQLite rebuilds the
table: ``batch_alter_table``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
TABLES = (
    "market_auction_bids",
    "market_auctions",
    "market_block_proposals",
    "market_venue_holds",
)
COMMAND_COLUMNS = ("order_id", "price_fen_per_t", "quantity_g", "touch_fen_per_t")


def upgrade() -> None:
    op.create_table(
        "market_block_proposals",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", BIG, nullable=False),
        sa.Column("proposer", sa.String(length=64), nullable=False),
        sa.Column("proposer_account", BIG, nullable=False),
        sa.Column("counterparty", sa.String(length=64), nullable=False),
        sa.Column("acceptor_account", BIG, nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("price_fen_per_t", BIG, nullable=False),
        sa.Column("expires_at_s", BIG, nullable=False),
        sa.Column("proposed_at_s", BIG, nullable=False),
        sa.Column("hold_cash_fen", BIG, nullable=False),
        sa.Column("hold_credits_g", BIG, nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("ended_seq", BIG, nullable=True),
        sa.Column("trade_id", sa.String(length=64), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "proposal_id"),
    )
    op.create_index("ix_market_block_open", "market_block_proposals", ["contract_id", "outcome"])
    op.create_table(
        "market_auctions",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("auction_id", BIG, nullable=False),
        sa.Column("seller", sa.String(length=64), nullable=False),
        sa.Column("seller_account", BIG, nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("reserve_price_fen_per_t", BIG, nullable=False),
        sa.Column("opens_at_s", BIG, nullable=False),
        sa.Column("closes_at_s", BIG, nullable=False),
        sa.Column("bid_quantity_min_g", BIG, nullable=False),
        sa.Column("bid_quantity_max_g", BIG, nullable=False),
        sa.Column("quantity_step_g", BIG, nullable=False),
        sa.Column("price_step_fen_per_t", BIG, nullable=False),
        sa.Column("pricing", sa.String(length=12), nullable=False),
        sa.Column("bid_revision_allowed", sa.Boolean(), nullable=False),
        sa.Column("reserve_published", sa.Boolean(), nullable=False),
        sa.Column("bidder_quantity_max_g", BIG, nullable=True),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("rule_set", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("cleared_seq", BIG, nullable=True),
        sa.PrimaryKeyConstraint("contract_id", "auction_id"),
    )
    op.create_table(
        "market_auction_bids",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("auction_id", BIG, nullable=False),
        sa.Column("bid_id", BIG, nullable=False),
        sa.Column("bidder", sa.String(length=64), nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("price_fen_per_t", BIG, nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("priority_seq", BIG, nullable=False),
        sa.Column("frozen_fen", BIG, nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("filled_g", BIG, nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("contract_id", "auction_id", "bid_id"),
    )
    op.create_table(
        "market_venue_holds",
        sa.Column("hold_id", BIG, nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("venue", sa.String(length=8), nullable=False),
        sa.Column("ref_id", BIG, nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("asset_id", BIG, nullable=False),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_index(
        "ix_market_venue_holds_ref", "market_venue_holds", ["contract_id", "venue", "ref_id"]
    )
    with op.batch_alter_table("market_trades") as batch:
        batch.alter_column("buy_order_id", existing_type=BIG, nullable=True)
        batch.alter_column("sell_order_id", existing_type=BIG, nullable=True)
        batch.add_column(
            sa.Column("mode", sa.String(length=8), nullable=False, server_default="listing")
        )
        batch.add_column(sa.Column("ref", sa.String(length=64), nullable=True))
    with op.batch_alter_table("market_commands") as batch:
        for name in COMMAND_COLUMNS:
            batch.add_column(sa.Column(name, BIG, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_commands") as batch:
        for name in COMMAND_COLUMNS:
            batch.drop_column(name)
    op.execute("DELETE FROM market_trades WHERE mode <> 'listing'")
    with op.batch_alter_table("market_trades") as batch:
        batch.drop_column("ref")
        batch.drop_column("mode")
        batch.alter_column("buy_order_id", existing_type=BIG, nullable=False)
        batch.alter_column("sell_order_id", existing_type=BIG, nullable=False)
    op.drop_index("ix_market_venue_holds_ref", table_name="market_venue_holds")
    op.drop_index("ix_market_block_open", table_name="market_block_proposals")
    for table in TABLES:
        op.drop_table(table)
