"""Rule sets cited by sink projects, and the carbon-inclusive path (碳普惠).

- ``sink_projects.rule_set``: the version of the rule set whose buffer rate the project
  took at registration (empty for projects registered before rule sets existed).
- ``ci_issuances``: one per carbon-inclusive issuance, opened by the regulator or the
  registry operator under a jurisdiction's rule set, verified by an unaffiliated
  verifier (``claim_digest`` fixes exactly what was verified), issued by one registry
  entry (``issue_seq``) that spends every eligible person's qualifying energy and
  issues the same grams as one PCER batch.
- ``ci_attributions``: that batch's attribution table, keyed by the issue entry and the
  account: grams issued and the energy-line range they came from (first and last
  statement line, by entry seq and line index). Σ amount_g = the batch's issued grams.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
DAY = sa.String(10)
TS = sa.String(32)


def upgrade() -> None:
    op.add_column(
        "sink_projects", sa.Column("rule_set", sa.String(32), nullable=False, server_default="")
    )
    op.create_table(
        "ci_issuances",
        sa.Column("issuance_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("jurisdiction", sa.String(3), nullable=False),
        sa.Column("period_start", DAY, nullable=False),
        sa.Column("period_end", DAY, nullable=False),
        sa.Column("rule_set", sa.String(32), nullable=False),
        sa.Column("methodologies", sa.Text(), nullable=False),
        sa.Column("person_min_g", BIG, nullable=False),
        sa.Column("expiry_s", BIG, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("affiliates", sa.Text(), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verifier", sa.String(64), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("as_of_seq", BIG, nullable=True),
        sa.Column("claim_people", BIG, nullable=False),
        sa.Column("claim_g", BIG, nullable=False),
        sa.Column("claim_digest", sa.String(64), nullable=False),
        sa.Column("below_min_people", BIG, nullable=False),
        sa.Column("issue_seq", BIG, nullable=True, unique=True),
        sa.Column("batch", sa.String(64), nullable=True, unique=True),
    )
    op.create_index("ix_ci_issuances_jurisdiction", "ci_issuances", ["jurisdiction"])
    op.create_table(
        "ci_attributions",
        sa.Column("issue_seq", BIG, nullable=False),
        sa.Column("account_id", BIG, nullable=False),
        sa.Column("amount_g", BIG, nullable=False),
        sa.Column("first_seq", BIG, nullable=False),
        sa.Column("first_idx", BIG, nullable=False),
        sa.Column("last_seq", BIG, nullable=False),
        sa.Column("last_idx", BIG, nullable=False),
        sa.PrimaryKeyConstraint("issue_seq", "account_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ci_attributions_account", "ci_attributions", ["account_id"])


def downgrade() -> None:
    op.drop_table("ci_attributions")
    op.drop_table("ci_issuances")
    with op.batch_alter_table("sink_projects") as batch:  # SQLite rebuilds the table
        batch.drop_column("rule_set")
