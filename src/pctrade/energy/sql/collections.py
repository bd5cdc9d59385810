"""Collected green energy's SQL: what a holder may collect, what lapses, the audit.

A holder's uncollected energy is what their credits since their last collection
brought, less what an expiry run lapsed of it (``energy.model``). The reads here find
those credits (postings of ``energy_credit`` entries to ``uncollected``, through the
postings' (account, seq) index), the holder's last collection (``energy_collections``)
and where collection began (``energy_collecting_since``); the expiry run's sweep is one
statement over every holder. ``audit_collections`` (registered by ``energy.context``)
holds the rows to the journal: one row per ``energy_collect`` entry with its payload's
facts, and every credit made in the state the rule at its seq says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

import sqlalchemy as sa

from pctrade.energy.model import EnergyOp
from pctrade.ledger.invariants import Problem
from pctrade.ledger.model import ENERGY_ASSET, AccountId, Seq, State
from pctrade.ledger.ports import UnitOfWork

_UNCOLLECTED = int(State.UNCOLLECTED)
_AVAILABLE = int(State.AVAILABLE)
# The holder's credits since their last collection, oldest first: (seq, time, grams).
_CREDITS_SINCE = f"""
SELECT p.seq, e.ts, SUM(p.delta) FROM postings p JOIN entries e ON e.seq = p.seq
WHERE p.account_id = :a AND p.seq > :since AND p.asset_id = {ENERGY_ASSET}
  AND p.state = {_UNCOLLECTED} AND p.delta > 0 AND e.op_type = '{EnergyOp.CREDIT}'
GROUP BY p.seq, e.ts ORDER BY p.seq
"""
# The expiry run's sweep: per holder with uncollected energy, the part of it that is
# older than the cutoff — the balance less what the credits since their last collection
# brought after the cutoff (``energy.model.uncollected_split``).
_LAPSING = f"""
WITH u AS (
  SELECT account_id, amount FROM balances
  WHERE asset_id = {ENERGY_ASSET} AND state = {_UNCOLLECTED} AND amount > 0
),
recent AS (
  SELECT p.account_id, SUM(p.delta) AS g FROM postings p JOIN u ON u.account_id = p.account_id
  WHERE p.seq IN (SELECT seq FROM entries WHERE op_type = '{EnergyOp.CREDIT}' AND ts > :cutoff)
    AND p.asset_id = {ENERGY_ASSET} AND p.state = {_UNCOLLECTED} AND p.delta > 0
    AND p.seq > COALESCE((SELECT MAX(k.seq) FROM energy_collections k
                          WHERE k.account_id = p.account_id), 0)
  GROUP BY p.account_id
),
split AS (
  SELECT u.account_id, u.amount - CASE WHEN COALESCE(r.g, 0) < u.amount
                                       THEN COALESCE(r.g, 0) ELSE u.amount END AS lapse_g
  FROM u LEFT JOIN recent r ON r.account_id = u.account_id
)
SELECT account_id, lapse_g FROM split WHERE lapse_g > 0 ORDER BY account_id
"""


class Credit(NamedTuple):
    """An energy credit of one holder: its entry, the entry's time and the grams."""

    seq: Seq
    ts: str
    credited_g: int


def collecting_since(uow: UnitOfWork) -> Seq:
    """The journal's last seq before energy was credited uncollected (0: from the start).

    A database whose row is missing (emptied by a reset) began with collection.
    """
    value = uow.execute(sa.text("SELECT MAX(seq) FROM energy_collecting_since")).scalar()
    return 0 if value is None else int(value)


def last_collection(uow: UnitOfWork, account_id: AccountId) -> Seq:
    """The holder's last ``energy_collect`` entry (0 if they never collected)."""
    sql = "SELECT MAX(seq) FROM energy_collections WHERE account_id = :a"
    value = uow.execute(sa.text(sql), {"a": account_id}).scalar()
    return 0 if value is None else int(value)


def credits_since(uow: UnitOfWork, account_id: AccountId, since: Seq) -> list[Credit]:
    """The holder's uncollected credits after entry ``since``, oldest first."""
    rows = uow.execute(sa.text(_CREDITS_SINCE), {"a": account_id, "since": since})
    return [Credit(int(r[0]), str(r[1]), int(r[2])) for r in rows]


def lapsing(uow: UnitOfWork, cutoff_ts: str) -> tuple[list[AccountId], list[int]]:
    """Each holder's uncollected grams older than ``cutoff_ts`` (the expiry run's)."""
    rows = uow.execute(sa.text(_LAPSING), {"cutoff": cutoff_ts}).all()
    return [int(r[0]) for r in rows], [int(r[1]) for r in rows]


def record(uow: UnitOfWork, seq: Seq, payload: dict[str, Any]) -> None:
    """A collection's row, written in its entry's transaction: its payload's facts."""
    uow.execute(
        sa.text(
            "INSERT INTO energy_collections"
            " (seq, account_id, collected_g, lapsed_g, first_seq, since_seq, cutoff)"
            " VALUES (:seq, :a, :c, :l, :f, :s, :cutoff)"
        ),
        {
            "seq": seq,
            "a": int(payload["account"]),
            "c": int(payload["collected_g"]),
            "l": int(payload["lapsed_g"]),
            "f": int(payload["first_seq"]),
            "s": int(payload["since_seq"]),
            "cutoff": str(payload["cutoff"]),
        },
    )


# ---- the audit ----------------------------------------------------------------------
_COLLECT_ENTRIES = f"SELECT seq, payload FROM entries WHERE op_type = '{EnergyOp.COLLECT}'"
_ROWS = (
    "SELECT seq, account_id, collected_g, lapsed_g, first_seq, since_seq, cutoff"
    " FROM energy_collections"
)
# Credits posted to the state the rule at their seq forbids: to ``available`` after
# collection began, to ``uncollected`` before it.
_CREDITS_OFF_RULE = f"""
SELECT DISTINCT p.seq FROM postings p JOIN entries e ON e.seq = p.seq
WHERE e.op_type = '{EnergyOp.CREDIT}' AND p.asset_id = {ENERGY_ASSET} AND p.delta > 0
  AND ((p.seq > :since AND p.state = {_AVAILABLE})
       OR (p.seq <= :since AND p.state = {_UNCOLLECTED}))
ORDER BY p.seq
"""
PROBLEMS_NAMED_MAX = 100


def _facts(payload: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("account", "collected_g", "lapsed_g", "first_seq", "since_seq")
    return (*(int(payload.get(k, -1)) for k in keys), str(payload.get("cutoff", "")))


def audit_collections(uow: UnitOfWork) -> Iterator[Problem]:
    """Every collection's row against its entry, and every credit against the rule.

    Problems (codes are stable):

        energy_collection_row_mismatch   a collection's row is missing, altered or stray
        energy_credit_off_rule           a credit made to ``available`` after collection
                                         began, or ``uncollected`` before it
    """
    entries = {int(seq): json.loads(p) for seq, p in uow.execute(sa.text(_COLLECT_ENTRIES))}
    rows = {int(r[0]): tuple(r[1:]) for r in uow.execute(sa.text(_ROWS))}
    for seq in sorted(entries.keys() | rows.keys()):
        payload, row = entries.get(seq), rows.get(seq)
        if payload is None:
            yield Problem("energy_collection_row_mismatch", "a collection row without entry", seq)
        elif row is None or (*map(int, row[:5]), str(row[5])) != _facts(payload):
            yield Problem(
                "energy_collection_row_mismatch", "a collection's row differs from its entry", seq
            )
    since = collecting_since(uow)
    off = uow.execute(sa.text(_CREDITS_OFF_RULE), {"since": since}).scalars().all()
    for seq in off[:PROBLEMS_NAMED_MAX]:
        state = "available" if int(seq) > since else "uncollected"
        message = f"a credit to {state} on the wrong side of collecting since {since}"
        yield Problem("energy_credit_off_rule", message, int(seq))
