"""Forest sinks: projects, parcels, sponsorships, monitoring reports, issuances and their
attribution tables, reversals.

These rows sit beside the journal as the evidence behind its entries, as the energy
lines of revision 0002 do: a sponsorship row is keyed by the ``energy_spend`` entry that
paid for it, an issuance and its attribution rows by the ``issue`` entry that created
the batch, and each is written in that entry's own transaction. Conservation for every
issuance: buffer_g + Σ sink_attributions.amount_g = removals_g. The tables are spelled
out here (not imported from ``sinks_store``) so that this revision never changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()
DAY = sa.String(10)
TS = sa.String(32)
CODE = sa.String(16)


def _col(name: str, kind: sa.types.TypeEngine[Any], nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, kind, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sink_projects",
        sa.Column("code", CODE, primary_key=True),
        _col("name", sa.String(200)),
        _col("project_type", sa.String(16)),
        _col("jurisdiction", sa.String(3)),
        _col("forest_type", sa.String(32)),
        _col("owner", sa.String(64)),
        _col("affiliates", sa.Text()),
        _col("area_m2", BIG),
        _col("stand_age_y", sa.Integer()),
        _col("crediting_start", DAY),
        _col("crediting_end", DAY),
        _col("unit_energy_g", BIG),
        _col("units_offered", BIG),
        _col("units_sold", BIG),
        _col("buffer_bps", sa.Integer()),
        _col("model_version", sa.String(64)),
        _col("status", sa.String(16)),
        _col("registered_at", TS),
        _col("approved_by", sa.String(64), nullable=True),
        _col("approved_at", TS, nullable=True),
        _col("batches", sa.Integer()),
    )
    op.create_table(
        "sink_parcels",
        _col("project_code", CODE),
        _col("parcel_id", sa.String(64)),
        _col("area_m2", BIG),
        _col("years_not_forest", sa.Integer()),
        _col("wetland", sa.Boolean()),
        sa.PrimaryKeyConstraint("project_code", "parcel_id"),
    )
    op.create_table(
        "sink_sponsorships",
        sa.Column("spend_seq", BIG, primary_key=True, autoincrement=False),
        _col("project_code", CODE),
        _col("account_id", BIG),
        _col("units", BIG),
        _col("energy_g", BIG),
        _col("sponsored_on", DAY),
    )
    op.create_index(
        "ix_sink_sponsorships_project", "sink_sponsorships", ["project_code", "sponsored_on"]
    )
    op.create_index("ix_sink_sponsorships_account", "sink_sponsorships", ["account_id"])
    op.create_table(
        "sink_reports",
        sa.Column("report_id", sa.Integer(), primary_key=True, autoincrement=True),
        _col("project_code", CODE),
        _col("period_start", DAY),
        _col("period_end", DAY),
        _col("removals_g", BIG),
        _col("expected_g", BIG),
        _col("filed_by", sa.String(64)),
        _col("filed_at", TS),
        _col("status", sa.String(16)),
        _col("verifier", sa.String(64), nullable=True),
        _col("decided_at", TS, nullable=True),
        _col("reason", sa.String(512)),
        _col("issued_g", BIG),
    )
    op.create_index("ix_sink_reports_project", "sink_reports", ["project_code"])
    op.create_table(
        "sink_issuances",
        sa.Column("issue_seq", BIG, primary_key=True, autoincrement=False),
        _col("report_id", sa.Integer()),
        _col("project_code", CODE),
        sa.Column("batch", sa.String(64), nullable=False, unique=True),
        _col("removals_g", BIG),
        _col("buffer_bps", sa.Integer()),
        _col("buffer_g", BIG),
        _col("total_shares", BIG),
        _col("leftover_g", BIG),
        _col("sponsors", BIG),
        _col("shares_as_of", DAY),
    )
    op.create_index("ix_sink_issuances_project", "sink_issuances", ["project_code"])
    op.create_table(
        "sink_attributions",
        _col("issue_seq", BIG),
        _col("account_id", BIG),
        _col("shares", BIG),
        _col("amount_g", BIG),
        _col("remainder", BIG),
        _col("rounded_up", sa.Boolean()),
        sa.PrimaryKeyConstraint("issue_seq", "account_id"),
        # Clustered by issuance then account: a batch's rows are appended in key order.
        sqlite_with_rowid=False,
    )
    op.create_index("ix_sink_attributions_account", "sink_attributions", ["account_id"])
    op.create_table(
        "sink_reversals",
        sa.Column("reversal_id", sa.Integer(), primary_key=True, autoincrement=True),
        _col("project_code", CODE),
        _col("loss_g", BIG),
        _col("cause", sa.String(512)),
        _col("reported_by", sa.String(64)),
        _col("reported_at", TS),
        _col("idem_key", sa.String(128)),
        _col("covered_g", BIG),
        _col("shortfall_g", BIG),
        _col("plan", sa.Text()),
        _col("cancel_seqs", sa.Text()),
        _col("status", sa.String(8)),
        sa.UniqueConstraint("reported_by", "idem_key", name="uq_sink_reversals_key"),
    )


def downgrade() -> None:
    for table in (
        "sink_reversals",
        "sink_attributions",
        "sink_issuances",
        "sink_reports",
        "sink_sponsorships",
        "sink_parcels",
        "sink_projects",
    ):
        op.drop_table(table)
