"""Held behaviour events and reviewers' decisions (``behaviour_held``, migration 0006).

Held rows are written in bulk beside their keys in ``behaviour_events_seen`` (same
transaction, same driver ``executemany``); a decision is one row, inserted once: its
primary key is what makes a second decision on the same event fail, even when two
reviewers race (the loser's transaction, and its release entry, roll back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from pctrade.energy.sql.seen import _cursor
from pctrade.kernel.errors import Conflict
from pctrade.ledger.ports import UnitOfWork

HeldRow = tuple[str, str, str, str, str, str, int, int, int, str, str, int, str]
"""(partner_id, event_id, day, person_id, behaviour, methodology, start_ms, end_ms,
quantity, unit, reason, avoided_ug, digest)"""
_HELD_COLUMNS = (
    "partner_id, event_id, day, person_id, behaviour, methodology, start_ms, end_ms,"
    " quantity, unit, reason, avoided_ug, digest"
)
_DECISION_COLUMNS = "decision, reason, actor, idem_key, credited_g, cap_flag, seq, decided_at"


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """A held event as stored, with the decision on it if there is one."""

    partner_id: str
    event_id: str
    day: str
    person_id: str
    behaviour: str
    methodology: str
    start_ms: int
    end_ms: int
    quantity: int
    unit: str
    reason: str
    avoided_ug: int
    digest: str
    decision: DecisionRow | None = None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    decision: str  # released | rejected
    reason: str
    actor: str
    idem_key: str
    credited_g: int
    cap_flag: str
    seq: int | None
    decided_at: str


def keep(
    uow: UnitOfWork, rows: Sequence[HeldRow], seq: int | None, *, replay_ok: bool = False
) -> None:
    """Record held events (``seq``: the day's entry, if any)."""
    if not rows:
        return
    cursor, ph = _cursor(uow)
    conflict = " ON CONFLICT (partner_id, event_id) DO NOTHING" if replay_ok else ""
    marks = ", ".join([ph] * 14)
    cursor.executemany(
        f"INSERT INTO behaviour_held ({_HELD_COLUMNS}, seq) VALUES ({marks}){conflict}",
        [(*row, seq) for row in rows],
    )
    cursor.close()


_SELECT = (
    f"SELECT h.partner_id, h.event_id, h.day, h.person_id, h.behaviour, h.methodology,"
    f" h.start_ms, h.end_ms, h.quantity, h.unit, h.reason, h.avoided_ug, h.digest,"
    f" {', '.join('d.' + c.strip() for c in _DECISION_COLUMNS.split(','))}"
    " FROM behaviour_held h LEFT JOIN behaviour_hold_decisions d"
    " ON d.partner_id = h.partner_id AND d.event_id = h.event_id"
)


def _held(row: Sequence[Any]) -> HeldEvent:
    decision = None
    if row[13] is not None:
        d = row[13:]
        seq = None if d[6] is None else int(d[6])
        decision = DecisionRow(d[0], d[1], d[2], d[3], int(d[4]), d[5], seq, d[7])
    return HeldEvent(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        str(row[5]),
        int(row[6]),
        int(row[7]),
        int(row[8]),
        str(row[9]),
        str(row[10]),
        int(row[11]),
        str(row[12]),
        decision=decision,
    )


def held_of(uow: UnitOfWork, partner_id: str, event_id: str) -> HeldEvent | None:
    sql = _SELECT + " WHERE h.partner_id = :p AND h.event_id = :e"
    row = uow.execute(sa.text(sql), {"p": partner_id, "e": event_id}).first()
    return None if row is None else _held(row)


def held_on(
    uow: UnitOfWork, day: str, partner_id: str | None, after: tuple[str, str], n: int
) -> list[HeldEvent]:
    """Up to ``n`` of a day's held events (of one partner, if given) after the key
    ``after`` (partner id, event id), in key order: a page (``kernel.paging``)."""
    where = (
        " WHERE h.day = :d AND (h.partner_id > :ap OR (h.partner_id = :ap AND h.event_id > :ae))"
    )
    if partner_id is not None:
        where += " AND h.partner_id = :p"
    sql = _SELECT + where + " ORDER BY h.partner_id, h.event_id LIMIT :n"
    params = {"d": day, "p": partner_id, "ap": after[0], "ae": after[1], "n": n}
    return [_held(r) for r in uow.execute(sa.text(sql), params)]


def undecided(uow: UnitOfWork, n: int) -> list[HeldEvent]:
    """Up to ``n`` held events no reviewer has decided yet, oldest day first: what a
    reviewer's queue shows, whatever the day."""
    sql = _SELECT + " WHERE d.partner_id IS NULL ORDER BY h.day, h.partner_id, h.event_id LIMIT :n"
    return [_held(r) for r in uow.execute(sa.text(sql), {"n": n})]


def decide(uow: UnitOfWork, partner_id: str, event_id: str, row: DecisionRow) -> None:
    """Record the decision on a held event; a second one is refused."""
    sql = (
        f"INSERT INTO behaviour_hold_decisions (partner_id, event_id, {_DECISION_COLUMNS})"
        " VALUES (:p, :e, :decision, :reason, :actor, :idem_key, :credited_g, :cap_flag,"
        " :seq, :decided_at)"
    )
    params = {
        "p": partner_id,
        "e": event_id,
        "decision": row.decision,
        "reason": row.reason,
        "actor": row.actor,
        "idem_key": row.idem_key,
        "credited_g": row.credited_g,
        "cap_flag": row.cap_flag,
        "seq": row.seq,
        "decided_at": row.decided_at,
    }
    try:
        uow.execute(sa.text(sql), params)
    except sa.exc.IntegrityError as exc:
        raise Conflict(
            f"event {partner_id}/{event_id} was decided already", code="already_decided"
        ) from exc


def credited_g(uow: UnitOfWork, account_id: int, family: str, day_from: str, day_to: str) -> int:
    """Grams credited to an account for one family between two days (inclusive)."""
    sql = (
        "SELECT COALESCE(SUM(credited_g), 0) FROM energy_lines"
        " WHERE account_id = :p AND family = :f AND day >= :a AND day <= :b"
    )
    params = {"p": account_id, "f": family, "a": day_from, "b": day_to}
    return int(uow.execute(sa.text(sql), params).scalar_one())


def releases(uow: UnitOfWork) -> list[tuple[str, str, int, int]]:
    """(partner_id, event_id, credited_g, seq) of every release that wrote an entry."""
    sql = (
        "SELECT partner_id, event_id, credited_g, seq FROM behaviour_hold_decisions"
        " WHERE seq IS NOT NULL ORDER BY seq"
    )
    return [(str(p), str(e), int(g), int(s)) for p, e, g, s in uow.execute(sa.text(sql))]
