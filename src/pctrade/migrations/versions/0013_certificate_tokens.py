"""Unguessable certificate ids for the retirements recorded before them (issue 12).

Retirement certificates were public and numbered by their entry's seq
(``RC-{seq:012d}``), so anyone could read every beneficiary's name and account number
by counting. Since this revision a certificate's id is ``RC-{seq}-{token}`` with a
random token that a new ``retire`` entry records in its hashed payload. An entry
recorded before cannot take one — the journal is never edited, and its hash covers
its payload — so this migration draws a token for each of them and keeps it beside
the journal, in ``certificate_tokens`` (seq, token). Their old ids stop answering;
the retiring account's holder finds the new one at ``GET /retirements/{seq}/certificate``.
Those retirements never chose to publish their beneficiary, so the public view
withholds it.

Nothing in the journal changes, so every entry's hash still verifies; ``verify``
checks that each retirement has exactly one token, in its payload or here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

import base64
import json
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# As ``kernel.entropy.token`` draws them, written out so that this step stays what it was.
TOKEN_BYTES = 16
TOKEN_LEN = 26
CHUNK_ROWS = 10_000

_tokens = sa.table("certificate_tokens", sa.column("seq"), sa.column("token"))


def _token() -> str:
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode().rstrip("=").lower()


def upgrade() -> None:
    op.create_table(
        "certificate_tokens",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(TOKEN_LEN), nullable=False),
    )
    conn = op.get_bind()
    retirements = conn.execute(
        sa.text("SELECT seq, payload FROM entries WHERE op_type = 'retire' ORDER BY seq")
    )
    seqs = [
        int(seq) for seq, payload in retirements if "certificate_token" not in json.loads(payload)
    ]
    for start in range(0, len(seqs), CHUNK_ROWS):
        chunk = seqs[start : start + CHUNK_ROWS]
        conn.execute(sa.insert(_tokens), [{"seq": seq, "token": _token()} for seq in chunk])


def downgrade() -> None:
    op.drop_table("certificate_tokens")
