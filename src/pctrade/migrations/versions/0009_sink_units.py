"""Per-unit attribution of sink removals (issue 11): columns added, history kept.

- ``sink_projects``: the sponsor unit a project declares — ``unit_kind`` (``tree`` or
  ``area``), ``units_total`` (units in the whole project), ``unit_area_m2`` (the area
  they cover, the parcels' area) and ``m2_per_unit`` (area units). NULL on projects
  registered before: their units offered are their trees, and their terms digest (which
  sponsorship and issue entries recorded) is computed without these columns. With them,
  the published price: ``unit_expected_g`` (the removal the model expects of one unit
  over the crediting period) and ``energy_per_removal_bps`` (the rule set's ratio).
- ``sink_issuances``: ``project_units``, ``sponsors_g`` and ``unissued_g``, so that
  removals_g = buffer_g + sponsors_g + unissued_g per issuance. NULL on issuances made
  before: those gave all but the buffer to the sponsors, are kept as they were recorded,
  and ``verify`` checks them by the rule they were made under.

No row is rewritten, so every journal entry's evidence digests still match.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG = sa.BigInteger()


def upgrade() -> None:
    op.add_column("sink_projects", sa.Column("unit_kind", sa.String(8), nullable=True))
    for name in ("units_total", "unit_area_m2", "m2_per_unit", "unit_expected_g"):
        op.add_column("sink_projects", sa.Column(name, BIG, nullable=True))
    op.add_column("sink_projects", sa.Column("energy_per_removal_bps", sa.Integer(), nullable=True))
    for name in ("project_units", "sponsors_g", "unissued_g"):
        op.add_column("sink_issuances", sa.Column(name, BIG, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sink_issuances") as batch:  # SQLite rebuilds the table
        for name in ("project_units", "sponsors_g", "unissued_g"):
            batch.drop_column(name)
    with op.batch_alter_table("sink_projects") as batch:
        for name in ("unit_kind", "units_total", "unit_area_m2", "m2_per_unit",
                     "unit_expected_g", "energy_per_removal_bps"):  # fmt: skip
            batch.drop_column(name)
