"""The energy ledger's SQL: statement lines (``energy_lines``), the energy reads, the audit.

An energy credit's statement lines are written beside its ``energy_credit`` entry, in
the entry's transaction, through the ledger's public SQL port (the credit's evidence,
``energy.entries``); the entry's payload records their digest, which ``verify``
recomputes from the stored rows (``audit_lines``, registered by ``energy.context``).
The reads here — a person's statement, whether a day was credited, the year so
far — are the energy context's own, over its lines and the registry's journal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from pctrade.energy.credit_columns import LinesHasher
from pctrade.energy.invariants import check_lines
from pctrade.energy.model import EnergyLine, EnergyOp
from pctrade.energy.sql.append import append_table
from pctrade.ledger.invariants import Problem
from pctrade.ledger.model import AccountId, Seq
from pctrade.ledger.ports import UnitOfWork

LINE_COLUMNS = EnergyLine._fields
_LINE_COLS = ", ".join(LINE_COLUMNS)


def write_lines(uow: UnitOfWork, seq: Seq, lines: Sequence[EnergyLine]) -> None:
    """A credit's statement lines, in order, under its entry's seq (bulk)."""
    rows = ((seq, i, *line) for i, line in enumerate(lines))
    uow.bulk_insert("energy_lines", ("seq", "idx", *LINE_COLUMNS), rows, len(lines))


def write_lines_table(uow: UnitOfWork, seq: Seq, lines: pa.Table) -> None:
    """``write_lines`` of a table of lines (columns in ``EnergyLine`` order, all of one
    day): COPY or sliced executemany (``sql.append``), the same rows."""
    n = lines.num_rows
    if n == 0:
        return
    days = pc.unique(lines.column("day")).to_pylist()
    if len(days) != 1:  # the plan refused such a credit before its lines are written
        raise ValueError("a credit's lines are all of its day")
    day = days[0]
    rows = lines.drop_columns(["day"]).add_column(0, "idx", pa.array(range(n), pa.int64()))
    append_table(uow, "energy_lines", rows, {"seq": int(seq), "day": str(day)})


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


def year_to_date(uow: UnitOfWork, day_from: str, day_to: str) -> list[tuple[str, str, int]]:
    """Grams credited per (person, family) between two days (inclusive)."""
    sql = (
        "SELECT person_id, family, SUM(credited_g) FROM energy_lines"
        " WHERE day >= :f AND day <= :t GROUP BY person_id, family ORDER BY person_id, family"
    )
    rows = uow.execute(sa.text(sql), {"f": day_from, "t": day_to})
    return [(r[0], r[1], int(r[2])) for r in rows]


# ---- the audit ----------------------------------------------------------------------
_CREDITS = f"SELECT seq, payload FROM entries WHERE op_type = '{EnergyOp.CREDIT}' ORDER BY seq"
_STREAM_CHUNK = 50_000
_CURSOR_IDS = itertools.count(1)  # a server-side cursor's name is unique per session


def audit_lines(uow: UnitOfWork) -> Iterator[Problem]:
    """Every credit's stored lines against its payload's digest, and stray lines.

    Walks the credits and the lines together in seq order (both streamed, so a journal
    of millions of lines is checked in constant memory), so the problems come in
    journal order.
    """
    credits = _stream(uow, _CREDITS)
    lines = _stream(uow, f"SELECT seq, {_LINE_COLS} FROM energy_lines ORDER BY seq, idx")
    credit = next(credits, None)
    line = next(lines, None)
    while credit is not None or line is not None:
        seq = min(int(row[0]) for row in (credit, line) if row is not None)
        payload = None
        if credit is not None and int(credit[0]) == seq:
            payload = json.loads(credit[1])
            credit = next(credits, None)
        stored: list[tuple[Any, ...]] = []
        while line is not None and int(line[0]) == seq:
            stored.append(tuple(line[1:]))
            line = next(lines, None)
        yield from check_lines(seq, payload, stored)


def audit_credit(uow: UnitOfWork, seq: Seq) -> list[Problem]:
    """``audit_lines`` of one credit: its stored lines against its payload's digest,
    hashed by Arrow a slice at a time as they stream (``credit_columns.LinesHasher``),
    so a national day's ten million lines are never all held."""
    sql = f"SELECT payload FROM entries WHERE seq = {int(seq)} AND op_type = '{EnergyOp.CREDIT}'"
    found = list(_stream(uow, sql))
    select = f"SELECT {_LINE_COLS} FROM energy_lines WHERE seq = {int(seq)} ORDER BY idx"
    if not found:
        return list(check_lines(seq, None, [tuple(row) for row in _stream(uow, select)]))
    hasher = LinesHasher()
    for rows in _stream_slices(uow, select):
        hasher.update(pa.table(list(zip(*rows, strict=True)), names=list(LINE_COLUMNS)))
    if hasher.hexdigest() != json.loads(found[0][0]).get("lines_digest"):
        return [Problem("energy_lines_mismatch", "stored energy lines were altered", seq)]
    return []


# Only credits of kept files name them; the LIKE spares parsing every other payload.
_KEPT = (
    f"SELECT seq, payload FROM entries WHERE op_type = '{EnergyOp.CREDIT}'"
    """ AND payload LIKE '%"kept"%' ORDER BY seq"""
)


def kept_records(uow: UnitOfWork) -> Iterator[tuple[Seq, list[dict[str, Any]]]]:
    """(seq, the files it recorded) of every credit that recorded kept files, in order."""
    for seq, payload in _stream(uow, _KEPT):
        kept = json.loads(payload).get("kept")
        if isinstance(kept, list) and kept:
            yield int(seq), [f for f in kept if isinstance(f, dict)]


def _stream(uow: UnitOfWork, sql: str) -> Iterator[Any]:
    """Rows in chunks on a driver cursor (server-side on PostgreSQL) of this snapshot."""
    for rows in _stream_slices(uow, sql):
        yield from rows


def _stream_slices(uow: UnitOfWork, sql: str) -> Iterator[list[Any]]:
    """``_stream``'s rows, a fetched slice at a time."""
    driver = uow.dbapi_connection()
    if uow.is_postgres:
        cursor = driver.cursor(name=f"pctrade_energy_audit_{next(_CURSOR_IDS)}")
        cursor.itersize = _STREAM_CHUNK
    else:
        cursor = driver.cursor()
    cursor.execute(sql)
    while rows := cursor.fetchmany(_STREAM_CHUNK):
        yield rows
    cursor.close()
