"""The market's tables (issue 13): contracts, the command log, orders and their holds,
trades beside their settlement entries, T+1 purchases, and the daily closes.

``market_contracts``' row is each contract's lock and sequencer (``market.service``);
the rest is described in ``pctrade.market.sql.store``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = (
    "market_bought",
    "market_closes",
    "market_commands",
    "market_contracts",
    "market_order_holds",
    "market_orders",
    "market_trades",
)


def upgrade() -> None:
    op.create_table(
        "market_bought",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity_g", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "day", "account_id"),
    )
    op.create_table(
        "market_closes",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("close_fen_per_t", sa.BigInteger(), nullable=True),
        sa.Column("carried", sa.Boolean(), nullable=False),
        sa.Column("volume_g", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "day"),
    )
    op.create_table(
        "market_commands",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("idem_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "seq"),
        sa.UniqueConstraint("actor", "idem_key", name="uq_market_commands_key"),
    )
    op.create_table(
        "market_contracts",
        sa.Column("contract_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("instrument", sa.String(length=8), nullable=False),
        sa.Column("jurisdiction", sa.String(length=3), nullable=False),
        sa.Column("project", sa.String(length=16), nullable=True),
        sa.Column("vintage", sa.String(length=8), nullable=False),
        sa.Column("market", sa.String(length=3), nullable=False),
        sa.Column("listed_by", sa.String(length=64), nullable=False),
        sa.Column("listed_at", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_order_id", sa.BigInteger(), nullable=False),
        sa.Column("trading_day", sa.String(length=10), nullable=True),
        sa.Column("reference_price_fen_per_t", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("contract_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "market_order_holds",
        sa.Column("hold_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_table(
        "market_orders",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("time_in_force", sa.String(length=4), nullable=False),
        sa.Column("price_fen_per_t", sa.BigInteger(), nullable=False),
        sa.Column("quantity_g", sa.BigInteger(), nullable=False),
        sa.Column("filled_g", sa.BigInteger(), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("priority_seq", sa.BigInteger(), nullable=False),
        sa.Column("placed_seq", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("contract_id", "order_id"),
        sa.UniqueConstraint(
            "contract_id", "day", "owner", "client_order_id", name="uq_market_client"
        ),
    )
    op.create_table(
        "market_trades",
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("buy_order_id", sa.BigInteger(), nullable=False),
        sa.Column("sell_order_id", sa.BigInteger(), nullable=False),
        sa.Column("taker_side", sa.String(length=4), nullable=False),
        sa.Column("buyer_account", sa.BigInteger(), nullable=False),
        sa.Column("seller_account", sa.BigInteger(), nullable=False),
        sa.Column("price_fen_per_t", sa.BigInteger(), nullable=False),
        sa.Column("quantity_g", sa.BigInteger(), nullable=False),
        sa.Column("cash_fen", sa.BigInteger(), nullable=False),
        sa.Column("buyer_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("seller_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("trade_id"),
        sa.UniqueConstraint("entry_seq"),
    )
    op.create_index(
        "ix_market_order_holds_order",
        "market_order_holds",
        ["contract_id", "order_id"],
        unique=False,
    )
    op.create_index(
        "ix_market_orders_owner", "market_orders", ["owner", "contract_id"], unique=False
    )
    op.create_index(
        "ix_market_orders_state", "market_orders", ["contract_id", "state"], unique=False
    )
    op.create_index("ix_market_trades_day", "market_trades", ["contract_id", "day"], unique=False)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
