"""Backfill the request log from the writes keyed before it existed.

Before migration 0007, two writes that record no journal entry kept their idempotency
key in their own rows: a sink reversal's plan (``sink_reversals.reported_by``,
``idem_key``) and a reviewer's decision on a held behaviour event that credited
nothing (``behaviour_hold_decisions.actor``, ``idem_key`` with ``seq`` NULL: a
rejection, or a release the caps left empty). Since 0007 the one idempotency mechanism
(``ledger.write``) looks a key up in ``entries`` and ``requests`` only, so on a
database with such rows a retry of an old request was no longer answered as a replay
(a reversal's retry even hit ``uq_sink_reversals_key``). This migration logs each of
them in ``requests`` as the code logs it now, so the retry replays:

- a reversal: the fingerprint of ``Request("sink_reversal", {project_code, loss_g,
  cause})`` and the result ``{"reversal_id": id}`` (``sinks.requests.reversal``);
- a rejection: ``Request("reject_held", {partner_id, event_id, reason})``, result ``{}``;
- a release without an entry: the ``ReleaseHeld(partner_id, event_id, reason)``
  command's fingerprint, result ``{}`` (``energy.review``).

The fingerprints are computed here, not imported, so that this step stays what it was
when written; ``tests/integration/test_request_backfill.py`` holds them equal to the
code's. A key is used once per actor: where an entry already uses an old row's key,
the entry keeps it; where several old rows share one (the old rules allowed a key per
event), the earliest is logged; a key already logged is left as it is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_entries = sa.table("entries", sa.column("actor"), sa.column("idem_key"))
_requests = sa.table(
    "requests",
    sa.column("actor"),
    sa.column("idem_key"),
    sa.column("request_hash"),
    sa.column("result"),
    sa.column("ts"),
)
_reversals = sa.table(
    "sink_reversals",
    sa.column("reversal_id"),
    sa.column("project_code"),
    sa.column("loss_g"),
    sa.column("cause"),
    sa.column("reported_by"),
    sa.column("reported_at"),
    sa.column("idem_key"),
)
_decisions = sa.table(
    "behaviour_hold_decisions",
    sa.column("partner_id"),
    sa.column("event_id"),
    sa.column("decision"),
    sa.column("reason"),
    sa.column("actor"),
    sa.column("idem_key"),
    sa.column("seq"),
    sa.column("decided_at"),
)


def _canonical(value: Any) -> str:  # ledger.journal.canonical_json
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash(body: Any) -> str:  # ledger.journal.request_hash
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


# (ts, actor, key, fingerprint, result): one write keyed the old way.
Keyed = tuple[str, str, str, str, str]


def _old_reversals(conn: sa.Connection) -> list[Keyed]:
    r = _reversals.c
    found = []
    for row in conn.execute(sa.select(_reversals).order_by(r.reversal_id)):
        body = {
            "request": "sink_reversal",
            "project_code": row.project_code,
            "loss_g": int(row.loss_g),
            "cause": row.cause,
        }
        result = _canonical({"reversal_id": int(row.reversal_id)})
        found.append((row.reported_at, row.reported_by, row.idem_key, _hash(body), result))
    return found


def _old_decisions(conn: sa.Connection) -> list[Keyed]:
    d = _decisions.c
    query = sa.select(_decisions).where(d.seq.is_(None)).order_by(d.partner_id, d.event_id)
    found = []
    for row in conn.execute(query):
        fields = {"partner_id": row.partner_id, "event_id": row.event_id, "reason": row.reason}
        if row.decision == "released":  # the caps left no room: the release's command
            body = {"command": "ReleaseHeld", **fields}
        else:
            body = {"request": "reject_held", **fields}
        found.append((row.decided_at, row.actor, row.idem_key, _hash(body), _canonical({})))
    return found


def _used(conn: sa.Connection, table: Any, actor: str, key: str) -> bool:
    c = table.c
    query = sa.select(sa.literal(1)).where(c.actor == actor, c.idem_key == key).limit(1)
    return conn.execute(query).first() is not None


def upgrade() -> None:
    conn = op.get_bind()
    taken: set[tuple[str, str]] = set()
    # Earliest first (stable for equal times): it is the one a key was first used for.
    for ts, actor, key, fingerprint, result in sorted(
        [*_old_reversals(conn), *_old_decisions(conn)], key=lambda k: k[0]
    ):
        if (actor, key) in taken:
            continue
        taken.add((actor, key))
        if _used(conn, _entries, actor, key) or _used(conn, _requests, actor, key):
            continue
        conn.execute(
            _requests.insert().values(
                actor=actor, idem_key=key, request_hash=fingerprint, result=result, ts=ts
            )
        )


def downgrade() -> None:
    # The rows logged here are valid at 0007 too (they are what its code logs), and
    # they cannot be told apart from rows logged since: they stay.
    pass
