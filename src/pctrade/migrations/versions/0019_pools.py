"""Platform pools (issue 14): pools, their versioned terms, deposits, consents, notices.

A deposit is one ledger hold of reason ``pool`` (``pool_deposits.deposit_id`` = the
hold id); ``pctrade.pools.sql.schema`` describes each table. Before this revision the
registry let a holder freeze units with reason ``pool`` (or ``order``) and lift them
again, with no pool behind them; from now on only the pools context opens and releases
pool holds. The journal is never edited, so such holds stay as they were recorded:
``pools_since`` keeps the journal's last seq when this revision runs (0 on a fresh
database), and the pools' audit asks a deposit row only of pool holds opened after it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

POOL_ID = sa.String(length=32)
# The pools' audit reads every ``pool_terms`` entry by this partial index (word for word
# the WHERE of ``pools.sql.store.terms_entries``: SQLite uses a partial index only then).
TERMS_INDEX = "ix_entries_pool_terms"
TERMS_WHERE = sa.text("op_type = 'pool_terms'")
TS = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "pools",
        sa.Column("pool_id", POOL_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform_party", sa.String(length=64), nullable=False),
        sa.Column("platform_account", sa.BigInteger(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=3), nullable=False),
        sa.Column("rule_set", sa.String(length=32), nullable=False),
        sa.Column("admitted", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("opened_seq", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("pool_id"),
        sa.UniqueConstraint("opened_seq"),
    )
    op.create_index("ix_pools_platform", "pools", ["platform_party"])
    op.create_index("ix_pools_jurisdiction", "pools", ["jurisdiction", "pool_id"])
    op.create_table(
        "pool_terms",
        sa.Column("pool_id", POOL_ID, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("fee_bps", sa.Integer(), nullable=False),
        sa.Column("rule_set", sa.String(length=32), nullable=False),
        sa.Column("rule_set_digest", sa.String(length=64), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "version"),
        sa.UniqueConstraint("entry_seq"),
    )
    op.create_table(
        "pool_deposits",
        sa.Column("deposit_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pool_id", POOL_ID, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity_g", sa.BigInteger(), nullable=False),
        sa.Column("withdrawn_g", sa.BigInteger(), nullable=False),
        sa.Column("sold_g", sa.BigInteger(), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("deposited_at", TS, nullable=False),
        sa.CheckConstraint("quantity_g > 0", name="ck_pool_deposits_positive"),
        sa.CheckConstraint(
            "withdrawn_g >= 0 AND sold_g >= 0 AND withdrawn_g + sold_g <= quantity_g",
            name="ck_pool_deposits_within",
        ),
        sa.PrimaryKeyConstraint("deposit_id"),
    )
    op.create_index("ix_pool_deposits_pool", "pool_deposits", ["pool_id", "deposit_id"])
    op.create_index(
        "ix_pool_deposits_account", "pool_deposits", ["account_id", "pool_id", "deposit_id"]
    )
    op.create_table(
        "pool_consents",
        sa.Column("pool_id", POOL_ID, nullable=False),
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entry_seq", sa.BigInteger(), nullable=False),
        sa.Column("consented_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "account_id", "version"),
        sa.UniqueConstraint("entry_seq"),
    )
    op.create_table(
        "pool_notices",
        sa.Column("pool_id", POOL_ID, nullable=False),
        sa.Column("account_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("given_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "account_id"),
    )
    op.create_table(
        "pools_since",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        TERMS_INDEX,
        "entries",
        ["seq"],
        sqlite_where=TERMS_WHERE,
        postgresql_where=TERMS_WHERE,
        unique=False,
    )
    conn = op.get_bind()
    head = conn.execute(sa.text("SELECT COALESCE(MAX(seq), 0) FROM entries")).scalar_one()
    conn.execute(sa.text("INSERT INTO pools_since (seq) VALUES (:seq)"), {"seq": int(head)})


def downgrade() -> None:
    op.drop_index(TERMS_INDEX, table_name="entries")
    for table in ("pools_since", "pool_notices", "pool_consents", "pool_deposits"):
        op.drop_table(table)
    op.drop_table("pool_terms")
    op.drop_index("ix_pools_jurisdiction", table_name="pools")
    op.drop_index("ix_pools_platform", table_name="pools")
    op.drop_table("pools")
