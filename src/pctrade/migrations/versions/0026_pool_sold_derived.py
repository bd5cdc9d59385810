"""Fewer writes per contributor in a pool sale (issue 14): ``sold_g`` derived, the
lines' account index dropped.

- ``pool_deposits.sold_g`` is dropped. What a deposit has left is its ledger hold's
  ``remaining`` (hold id = deposit id), which the sale's entry draws down anyway, so
  what was sold of it is derived: ``quantity_g − withdrawn_g − remaining``
  (``pools.sql.schema.sold_g``). A sale then writes nothing to the deposits: one
  B-tree write less per contributor (and on PostgreSQL one non-HOT update with three
  indexes). The check becomes ``0 <= withdrawn_g <= quantity_g``; the audit holds the
  derived figure to the journal's draws.
- ``ix_pool_sale_lines_account`` is dropped: a contributor's statement finds its sales
  through its own postings (the ledger's account index) and reads each line by primary
  key; the index cost one more B-tree write per contributor per sale.
- PostgreSQL: ``holds`` and ``balances`` get ``fillfactor = 50``. A sale updates every
  drawn hold and every contributor's frozen balance in one transaction, so each page's
  rows are all updated at once, and only a page with room for a new version of each
  can keep them HOT (no new index entries; the updated columns are not indexed). At
  70 the sale ran as at 100; at 50 the two updates took 2.6–3 s instead of 6–7.5 s for
  a million contributors (docs/pool-sales.md). It applies to pages written from now
  on; existing pages stay as packed until the table is rewritten.

Down puts ``sold_g`` back, computed from the holds, with the old check, and the index,
and the tables' default fill factor.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TABLE = "pool_deposits"
CHECK = "ck_pool_deposits_within"
CHECK_BEFORE = "withdrawn_g >= 0 AND sold_g >= 0 AND withdrawn_g + sold_g <= quantity_g"
CHECK_AFTER = "withdrawn_g >= 0 AND withdrawn_g <= quantity_g"
LINES_INDEX = "ix_pool_sale_lines_account"
BIG = sa.BigInteger()
TS = sa.String(32)


def _deposits(*, sold: bool, check: str) -> sa.Table:
    """``pool_deposits`` as it stands, for SQLite's rebuild of the table (batch mode
    copies from it rather than from reflection, which does not give CHECK names)."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("deposit_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("pool_id", sa.String(32), nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("asset_id", BIG, nullable=False),
        sa.Column("quantity_g", BIG, nullable=False),
        sa.Column("withdrawn_g", BIG, nullable=False),
        *([sa.Column("sold_g", BIG, nullable=True)] if sold else []),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("entry_seq", BIG, nullable=False),
        sa.Column("deposited_at", TS, nullable=False),
    ]
    return sa.Table(
        TABLE,
        sa.MetaData(),
        *columns,
        sa.CheckConstraint("quantity_g > 0", name="ck_pool_deposits_positive"),
        sa.CheckConstraint(check, name=CHECK),
        sa.Index("ix_pool_deposits_pool", "pool_id", "deposit_id"),
        sa.Index("ix_pool_deposits_account", "account_id", "pool_id", "deposit_id"),
    )


# The ledger's tables a pool sale updates row by row, by primary key (PostgreSQL only).
HOT_TABLES = ("holds", "balances")
FILLFACTOR = 50


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in HOT_TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILLFACTOR})")
    op.drop_index(LINES_INDEX, table_name="pool_sale_lines")
    with op.batch_alter_table(TABLE, copy_from=_deposits(sold=True, check=CHECK_BEFORE)) as b:
        b.drop_constraint(CHECK, type_="check")
        b.drop_column("sold_g")
        b.create_check_constraint(CHECK, CHECK_AFTER)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, copy_from=_deposits(sold=False, check=CHECK_AFTER)) as b:
        b.add_column(sa.Column("sold_g", BIG, nullable=True))
    # What was sold of each deposit, as the rows before 0026 recorded it.
    op.execute(
        "UPDATE pool_deposits SET sold_g = quantity_g - withdrawn_g"
        " - (SELECT remaining FROM holds WHERE holds.hold_id = pool_deposits.deposit_id)"
    )
    with op.batch_alter_table(TABLE, copy_from=_deposits(sold=True, check=CHECK_AFTER)) as b:
        b.alter_column("sold_g", existing_type=BIG, nullable=False)
        b.drop_constraint(CHECK, type_="check")
        b.create_check_constraint(CHECK, CHECK_BEFORE)
    op.create_index(LINES_INDEX, "pool_sale_lines", ["account_id", "entry_seq"])
    if op.get_bind().dialect.name == "postgresql":
        for table in HOT_TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
