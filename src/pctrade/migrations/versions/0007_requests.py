"""The request log: idempotency for writes that record no journal entry.

``requests`` keeps, per (actor, idempotency key), the fingerprint of the request that
first used the key and its result (JSON), for the writes that change no holding and so
write no entry (a rejected held behaviour event, a release the caps left empty, a sink
reversal's plan). With ``entries`` it is the one idempotency mechanism
(``ledger.write``): a key is used once per actor, by an entry or by a row here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("idem_key", sa.String(128), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("actor", "idem_key", name="pk_requests"),
    )


def downgrade() -> None:
    op.drop_table("requests")
