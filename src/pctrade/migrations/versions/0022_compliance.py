"""Compliance (issue 15): caps, allocation runs, emissions reports (MRV).

- ``compliance_caps``: one per jurisdiction and period (its ``compliance_cap`` entry).
- ``compliance_runs`` and ``compliance_allocations``: an allocation run (its one
  ``compliance_allocate`` or ``compliance_take_back`` entry) and its lines per emitter.
- ``compliance_reports``, ``compliance_report_steps``, ``compliance_report_streams``: an
  emitter's annual report, each ``emissions_report`` step, each submission's streams.
- A partial index of the journal's compliance entries, so that ``verify``'s audit reads
  just them (as 0017 and 0020 do for the market's and the pools' settlements).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
TS = sa.String(32)
J = sa.String(3)
PERIOD = sa.String(9)
RULE_SET = sa.String(32)
DIGEST = sa.String(64)
PARTY = sa.String(64)
REPORT_ID = sa.String(40)
INDEX = "ix_entries_compliance"
# Word for word the WHERE of ``compliance.sql.store``'s read of those entries.
WHERE = sa.text(
    "op_type IN ('compliance_allocate', 'compliance_cap', 'compliance_take_back', "
    "'emissions_report')"
)


def upgrade() -> None:
    op.create_table(
        "compliance_caps",
        sa.Column("jurisdiction", J, primary_key=True),
        sa.Column("period", PERIOD, primary_key=True),
        sa.Column("cap_g", BIG, nullable=False),
        sa.Column("rule_set", RULE_SET, nullable=False),
        sa.Column("rule_set_digest", DIGEST, nullable=False),
        sa.Column("entry_seq", BIG, nullable=False, unique=True),
        sa.Column("set_by", PARTY, nullable=False),
        sa.Column("set_at", TS, nullable=False),
    )
    op.create_table(
        "compliance_runs",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("jurisdiction", J, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("asset_id", BIG, nullable=True),
        sa.Column("denomination", sa.String(64), nullable=True),
        sa.Column("granted_g", BIG, nullable=False),
        sa.Column("taken_g", BIG, nullable=False),
        sa.Column("debt_g", BIG, nullable=False),
        sa.Column("recipients", BIG, nullable=False),
        sa.Column("rule_set", RULE_SET, nullable=False),
        sa.Column("rule_set_digest", DIGEST, nullable=False),
        sa.Column("run_by", PARTY, nullable=False),
        sa.Column("ran_at", TS, nullable=False),
    )
    op.create_index(
        "ix_compliance_runs_period", "compliance_runs", ["jurisdiction", "period", "entry_seq"]
    )
    op.create_table(
        "compliance_allocations",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("account_id", BIG, primary_key=True, autoincrement=False),
        sa.Column("jurisdiction", J, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("granted_g", BIG, nullable=False),
        sa.Column("taken_g", BIG, nullable=False),
        sa.Column("debt_g", BIG, nullable=False),
    )
    op.create_index(
        "ix_compliance_allocations_account",
        "compliance_allocations",
        ["account_id", "jurisdiction", "period"],
    )
    op.create_table(
        "compliance_reports",
        sa.Column("report_id", REPORT_ID, primary_key=True),
        sa.Column("jurisdiction", J, nullable=False),
        sa.Column("period", PERIOD, nullable=False),
        sa.Column("emitter_party", PARTY, nullable=False),
        sa.Column("emitter_account", BIG, nullable=False),
        sa.Column("affiliates", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reported_g", BIG, nullable=False),
        sa.Column("verified_g", BIG, nullable=True),
        sa.Column("confirmed_g", BIG, nullable=True),
        sa.Column("verifier", PARTY, nullable=True),
        sa.Column("rule_set", RULE_SET, nullable=False),
        sa.Column("last_seq", BIG, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(
        "ix_compliance_reports_emitter",
        "compliance_reports",
        ["emitter_account", "jurisdiction", "period"],
        unique=True,
    )
    op.create_index(
        "ix_compliance_reports_period",
        "compliance_reports",
        ["jurisdiction", "period", "report_id"],
    )
    op.create_table(
        "compliance_report_steps",
        sa.Column("entry_seq", BIG, primary_key=True, autoincrement=False),
        sa.Column("report_id", REPORT_ID, nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("actor", PARTY, nullable=False),
        sa.Column("figure_g", BIG, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rule_set", RULE_SET, nullable=False),
        sa.Column("rule_set_digest", DIGEST, nullable=False),
        sa.Column("ts", TS, nullable=False),
    )
    op.create_index(
        "ix_compliance_report_steps_report", "compliance_report_steps", ["report_id", "entry_seq"]
    )
    op.create_table(
        "compliance_report_streams",
        sa.Column("report_id", REPORT_ID, primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("activity_units", BIG, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("factor_mg_per_unit", BIG, nullable=False),
    )
    op.create_index(
        INDEX, "entries", ["seq"], sqlite_where=WHERE, postgresql_where=WHERE, unique=False
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="entries")
    for table in (
        "compliance_report_streams",
        "compliance_report_steps",
        "compliance_reports",
        "compliance_allocations",
        "compliance_runs",
        "compliance_caps",
    ):
        op.drop_table(table)
