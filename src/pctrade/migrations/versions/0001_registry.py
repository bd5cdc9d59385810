"""The registry: journal, postings, derived balances and holds, parties, accounts, auth.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG = sa.BigInteger()


def upgrade() -> None:
    head = op.create_table(
        "registry_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", BIG, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("next_account_id", BIG, nullable=False),
        sa.Column("next_asset_id", BIG, nullable=False),
    )
    # The chain starts at the all-zero hash; holder accounts start after system ids.
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "last_seq": 0,
                "last_hash": "0" * 64,
                "next_account_id": 1000,
                "next_asset_id": 1,
            }
        ],
    )
    op.create_table(
        "parties",
        sa.Column("party_id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("opened_seq", BIG, nullable=False, index=True),
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("holder_type", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False, index=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("opened_seq", BIG, nullable=False, index=True),
    )
    op.create_table(
        "grants",
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("seq", BIG, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "agent"),
    )
    op.create_table(
        "batches",
        sa.Column("asset_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("denomination", sa.String(64), nullable=False, unique=True),
        sa.Column("instrument", sa.String(8), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("project", sa.String(16), nullable=False),
        sa.Column("vintage", sa.String(8), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("issued_g", BIG, nullable=False),
        sa.Column("issued_seq", BIG, nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("op_type", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("idem_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("corrects_seq", BIG, nullable=True),
        sa.Column("posting_count", BIG, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("actor", "idem_key", name="uq_entries_actor_key"),
    )
    # At most one correction per entry; partial so uncorrected entries cost nothing.
    op.create_index(
        "uq_entries_corrects_seq",
        "entries",
        ["corrects_seq"],
        unique=True,
        sqlite_where=sa.text("corrects_seq IS NOT NULL"),
        postgresql_where=sa.text("corrects_seq IS NOT NULL"),
    )
    op.create_table(
        "postings",
        sa.Column("seq", BIG, nullable=False),
        sa.Column("idx", BIG, nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("asset_id", BIG, nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("delta", BIG, nullable=False),
        sa.PrimaryKeyConstraint("seq", "idx"),
        sqlite_with_rowid=False,  # the key is the row: one B-tree, not two
    )
    op.create_index("ix_postings_account", "postings", ["account_id", "seq"])
    op.create_table(
        "balances",
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("asset_id", BIG, nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("amount", BIG, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "asset_id", "state"),
        sa.CheckConstraint("amount >= 0 OR state = 9", name="ck_balances_non_negative"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "holds",
        sa.Column("hold_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("account_id", BIG, nullable=False, index=True),
        sa.Column("asset_id", BIG, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("amount", BIG, nullable=False),
        sa.Column("remaining", BIG, nullable=False),
        sa.CheckConstraint("remaining >= 0", name="ck_holds_non_negative"),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "api_keys",
        "tokens",
        "users",
        "holds",
        "balances",
        "postings",
        "entries",
        "batches",
        "grants",
        "accounts",
        "parties",
        "registry_head",
    ):
        op.drop_table(table)
