"""Identity as its own context (issue 12): logins managed over the API and the CLI.

- ``users``: unchanged, indexed by party.
- ``tokens``: each token now names its login (``username``) and when it was issued, so
  a password change can revoke every token of the party. The table is made afresh:
  tokens issued before this revision end, and their holders log in again.
- ``api_keys``: a key gets a public id (``key_id``), the few characters shown in
  listings, and when it was created, rotated and revoked. Existing keys are kept and
  keep working (their creation time is unknown, NULL).
- ``party_facts``: real-name facts per party and its onboarding agent (personal data).
- ``identity_events``: the identity audit log.
- ``login_throttle``: login attempts per account and client address in the current window.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.String(32)
DAY = sa.String(10)
PARTY = sa.String(64)
ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index("ix_users_party_id", "users", ["party_id"])
    op.drop_table("tokens")
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", PARTY, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_index("ix_tokens_party_id", "tokens", ["party_id"])
    _api_keys_with_ids()
    _facts_and_audit()


def _api_keys_with_ids() -> None:
    op.create_table(
        "api_keys_0011",
        sa.Column("key_id", sa.Integer(), autoincrement=True),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("party_id", PARTY, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("shown", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=True),
        sa.Column("created_by", PARTY, nullable=True),
        sa.Column("rotated_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    # A key made before this revision shows only its prefix: the rest was never kept.
    op.execute(
        "INSERT INTO api_keys_0011 (key_hash, party_id, label, shown)"
        " SELECT key_hash, party_id, label, 'pct_k_' FROM api_keys ORDER BY party_id, key_hash"
    )
    op.drop_table("api_keys")
    op.rename_table("api_keys_0011", "api_keys")
    op.create_index("ix_api_keys_party_id", "api_keys", ["party_id", "key_id"])


def _facts_and_audit() -> None:
    op.create_table(
        "party_facts",
        sa.Column("party_id", PARTY, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("onboarded_by", PARTY, nullable=True),
        sa.Column("real_name_verified", sa.Boolean(), nullable=False),
        sa.Column("real_name_verified_on", DAY, nullable=True),
        sa.Column("real_name_method", sa.String(32), nullable=True),
        sa.Column("risk_level", sa.String(2), nullable=True),
        sa.Column("risk_assessed_on", DAY, nullable=True),
        sa.Column("birth_date", DAY, nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("net_assets_fen", sa.BigInteger(), nullable=True),
        sa.Column("recorded_by", PARTY, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_table(
        "identity_events",
        sa.Column("event_id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("ts", TS, nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor", PARTY, nullable=True),
        sa.Column("party_id", PARTY, nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(512), nullable=True),
    )
    op.create_index("ix_identity_events_party_id", "identity_events", ["party_id", "event_id"])
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", TS, nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_window_start", "login_throttle", ["window_start"])


def downgrade() -> None:
    for index, table in (
        ("ix_login_throttle_window_start", "login_throttle"),
        ("ix_identity_events_party_id", "identity_events"),
        ("ix_api_keys_party_id", "api_keys"),
        ("ix_tokens_party_id", "tokens"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("login_throttle", "identity_events", "party_facts", "tokens"):
        op.drop_table(table)
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", PARTY, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
    )
    op.create_table(
        "api_keys_0009",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("party_id", PARTY, nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
    )
    # A revoked key must not come back to life under the older schema.
    op.execute(
        "INSERT INTO api_keys_0009 (key_hash, party_id, label)"
        " SELECT key_hash, party_id, label FROM api_keys WHERE revoked_at IS NULL"
    )
    op.drop_table("api_keys")
    op.rename_table("api_keys_0009", "api_keys")
    op.drop_index("ix_users_party_id", table_name="users")
