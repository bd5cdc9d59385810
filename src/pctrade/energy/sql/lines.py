"""The energy ledger's SQL: statement lines (``energy_lines``) and the energy reads.

An energy credit's statement lines are written beside its ``energy_credit`` entry, in
the entry's transaction, through the ledger's public SQL port (the credit's evidence,
``energy.entries``); the entry's payload records their digest, which ``verify``
recomputes from the stored rows. The reads here — a person's statement, whether a day
was credited, what expires by a cutoff, the year so far — are the energy context's
own, over its lines and the registry's journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from pctrade.energy.model import EnergyLine, EnergyOp
from pctrade.ledger.model import ENERGY_ASSET, AccountId, Seq, State
from pctrade.ledger.ports import UnitOfWork

LINE_COLUMNS = EnergyLine._fields
_LINE_COLS = ", ".join(LINE_COLUMNS)
# FIFO expiry per holder: energy credited by the cutoff less all consumed so far.
_EXPIRABLE = f"""
SELECT c.account_id, c.credited - COALESCE(SUM(b.amount), 0) AS left_g
FROM (SELECT p.account_id, SUM(p.delta) AS credited
      FROM postings p JOIN entries e ON e.seq = p.seq
      WHERE e.op_type = '{EnergyOp.CREDIT}' AND e.ts <= :cutoff
        AND p.asset_id = {ENERGY_ASSET} AND p.state = {int(State.AVAILABLE)}
      GROUP BY p.account_id) AS c
LEFT JOIN balances b ON b.account_id = c.account_id AND b.asset_id = {ENERGY_ASSET}
  AND b.state IN ({int(State.SPENT)}, {int(State.EXPIRED)})
GROUP BY c.account_id, c.credited
HAVING c.credited - COALESCE(SUM(b.amount), 0) > 0
ORDER BY c.account_id
"""


def write_lines(uow: UnitOfWork, seq: Seq, lines: Sequence[EnergyLine]) -> None:
    """A credit's statement lines, in order, under its entry's seq (bulk)."""
    rows = ((seq, i, *line) for i, line in enumerate(lines))
    uow.bulk_insert("energy_lines", ("seq", "idx", *LINE_COLUMNS), rows, len(lines))


def lines_of(
    uow: UnitOfWork, account_id: AccountId, day_from: str, day_to: str
) -> list[tuple[Any, ...]]:
    """Statement lines (seq first, then the EnergyLine columns) in day order."""
    sql = (
        f"SELECT seq, {_LINE_COLS} FROM energy_lines WHERE account_id = :a"
        " AND day >= :f AND day <= :t ORDER BY day, seq, idx"
    )
    params = {"a": account_id, "f": day_from, "t": day_to}
    return [tuple(r) for r in uow.execute(sa.text(sql), params)]


def credit_of_day(uow: UnitOfWork, day: str) -> Seq | None:
    """The entry that credited ``day``'s energy, if one did."""
    sql = "SELECT seq FROM energy_lines WHERE day = :d LIMIT 1"
    value = uow.execute(sa.text(sql), {"d": day}).scalar_one_or_none()
    return None if value is None else int(value)


def expirable(uow: UnitOfWork, cutoff_ts: str) -> tuple[list[AccountId], list[int]]:
    """Each holder's grams credited by ``cutoff_ts`` and not yet consumed (FIFO)."""
    rows = uow.execute(sa.text(_EXPIRABLE), {"cutoff": cutoff_ts}).all()
    return [int(r[0]) for r in rows], [int(r[1]) for r in rows]


def year_to_date(uow: UnitOfWork, day_from: str, day_to: str) -> list[tuple[str, str, int]]:
    """Grams credited per (person, family) between two days (inclusive)."""
    sql = (
        "SELECT person_id, family, SUM(credited_g) FROM energy_lines"
        " WHERE day >= :f AND day <= :t GROUP BY person_id, family ORDER BY person_id, family"
    )
    rows = uow.execute(sa.text(sql), {"f": day_from, "t": day_to})
    return [(r[0], r[1], int(r[2])) for r in rows]
