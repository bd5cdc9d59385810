"""A batch's methodology (issue 15): ``batches.methodology``, the methodology its units
were credited under as the issuer stated it (e.g. ``CCER-14-001-V01``), NULL where none
was stated. Surrender reads it to refuse offsets of a methodology the rule set in force
does not admit (``methodology_not_admitted``). The issuing entry records it in its
``batch`` payload, so the column is what the journal says.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("methodology", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("methodology")
