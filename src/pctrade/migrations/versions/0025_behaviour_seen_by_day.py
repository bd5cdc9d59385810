"""Judged behaviour events partitioned by day (issue 17): ``behaviour_events_seen``.

A national day remembers ~20 M keys; a year of them is billions of rows. A run reads
only the keys it can use: those judged within the window dedupe spans
(``energy.seen_window``), of the events in its own file. So the table is keyed by day
first: on PostgreSQL it is partitioned by range of day, one partition a month
(``energy.sql.seen.ensure_partitions`` adds them as days are posted), so a window's
read touches only its months and an old month leaves as one partition; on SQLite its
primary key starts with the day (a WITHOUT ROWID table is stored in key order), so a
day's keys lie together. ``(partner_id, event_id)`` stays indexed for the lookups by
key (ingestion, the window's semi-join). The day is compared byte-wise (``COLLATE
"C"`` on PostgreSQL), as ISO dates sort.

The key is now (day, partner, event id): a key is still recorded once per day (a
second write of it rolls the entry back), and dedupe keeps a key judged within the
window from being credited again; a key older than the window, credited anew, is
recorded under its new day instead of failing the post.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_COLUMNS = "partner_id, event_id, digest, day, outcome, seq"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_pg()
    else:
        _upgrade_sqlite()


def _upgrade_pg() -> None:
    op.execute("ALTER TABLE behaviour_events_seen RENAME TO behaviour_events_seen_0005")
    op.execute("ALTER INDEX ix_behaviour_events_seen_day RENAME TO ix_behaviour_events_seen_0005")
    op.execute(
        "CREATE TABLE behaviour_events_seen ("
        " partner_id TEXT NOT NULL, event_id TEXT NOT NULL, digest VARCHAR(32) NOT NULL,"
        ' day VARCHAR(10) COLLATE "C" NOT NULL, outcome VARCHAR(16) NOT NULL, seq BIGINT,'
        " CONSTRAINT pk_behaviour_events_seen_by_day PRIMARY KEY (day, partner_id, event_id)"
        ") PARTITION BY RANGE (day)"
    )
    op.execute(
        "CREATE INDEX ix_behaviour_events_seen_key ON behaviour_events_seen (partner_id, event_id)"
    )
    months = op.get_bind().execute(
        sa.text("SELECT DISTINCT substr(day, 1, 7) FROM behaviour_events_seen_0005")
    )
    for (month,) in months.fetchall():
        op.execute(_partition_ddl(str(month)))
    op.execute(
        f"INSERT INTO behaviour_events_seen ({_COLUMNS})"
        f" SELECT {_COLUMNS} FROM behaviour_events_seen_0005"
    )
    op.execute("DROP TABLE behaviour_events_seen_0005")


def _partition_ddl(month: str) -> str:
    """The partition of one month ``YYYY-MM`` (as ``energy.sql.seen.partition_ddl``)."""
    year, number = int(month[:4]), int(month[5:7])
    following = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
    return (
        f"CREATE TABLE IF NOT EXISTS behaviour_events_seen_{year:04d}_{number:02d}"
        f" PARTITION OF behaviour_events_seen FOR VALUES FROM ('{month}-01')"
        f" TO ('{following}-01')"
    )


def _upgrade_sqlite() -> None:
    op.create_table(
        "behaviour_events_seen_by_day",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("day", "partner_id", "event_id"),
        sqlite_with_rowid=False,
    )
    op.execute(
        f"INSERT INTO behaviour_events_seen_by_day ({_COLUMNS})"
        f" SELECT {_COLUMNS} FROM behaviour_events_seen"
    )
    op.drop_table("behaviour_events_seen")
    op.rename_table("behaviour_events_seen_by_day", "behaviour_events_seen")
    op.create_index(
        "ix_behaviour_events_seen_key", "behaviour_events_seen", ["partner_id", "event_id"]
    )


def downgrade() -> None:
    """Back to one key per (partner, event id): refused if a key was recorded twice."""
    op.execute("ALTER TABLE behaviour_events_seen RENAME TO behaviour_events_seen_by_day")
    op.create_table(
        "behaviour_events_seen",
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("partner_id", "event_id"),
        sqlite_with_rowid=False,
    )
    op.execute(
        f"INSERT INTO behaviour_events_seen ({_COLUMNS})"
        f" SELECT {_COLUMNS} FROM behaviour_events_seen_by_day"
    )
    op.execute("DROP TABLE behaviour_events_seen_by_day")
    op.create_index("ix_behaviour_events_seen_day", "behaviour_events_seen", ["day"])
