"""Behaviour events already judged (``behaviour_events_seen``): written and read in bulk.

The daily pipeline reads the keys as its ``seen`` relation and rejects their copies;
``services.energy.post_day`` writes the keys of a day's credited and held events in the
transaction of its ``energy_credit`` entry, so a key is remembered exactly when its
energy exists (or its hold is on record). Rows go through the driver's ``executemany``:
at a million rows SQLAlchemy's per-row parameter handling costs more than the SQL; a
national day's go through COPY (``remember_table``).

The table is keyed by day first (migration 0025): on PostgreSQL one partition a month,
added before a day's keys are written (``ensure_partitions``). A run reads the keys of
its own file's events judged since a day (``seen_of_keys``): a semi-join, in bounded
statements, that touches only the months of the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pctrade.energy.pipeline.schema import SEEN
from pctrade.energy.sql import lines
from pctrade.energy.sql.append import append_table
from pctrade.ledger.ports import UnitOfWork

SeenRow = tuple[str, str, str, str, str]
"""(partner_id, event_id, digest, day, outcome)"""
_COLUMNS = "partner_id, event_id, digest, day, outcome, seq"


def _cursor(uow: UnitOfWork) -> tuple[Any, str]:
    """A driver cursor in the entry's transaction (the ledger's port), and its placeholder."""
    return uow.dbapi_connection().cursor(), "%s" if uow.is_postgres else "?"


_PARTITIONS = "behaviour_events_seen"
_KEYS = pa.schema([pa.field("partner_id", pa.string()), pa.field("event_id", pa.string())])
_KEY_ORDER = [("day", "ascending"), ("partner_id", "ascending"), ("event_id", "ascending")]
KEYS_PER_STATEMENT_SQLITE = 10_000  # two parameters a key, under SQLite's 32,766


def partition_ddl(month: str) -> str:
    """The PostgreSQL partition of one month ``YYYY-MM`` (migration 0025 makes the same)."""
    year, number = int(month[:4]), int(month[5:7])
    following = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
    return (
        f"CREATE TABLE IF NOT EXISTS {_PARTITIONS}_{year:04d}_{number:02d}"
        f" PARTITION OF {_PARTITIONS} FOR VALUES FROM ('{month}-01') TO ('{following}-01')"
    )


def ensure_partitions(uow: UnitOfWork, days: Iterable[str]) -> None:
    """The months of ``days`` have their partition (PostgreSQL; SQLite has none)."""
    if not uow.is_postgres:
        return
    cursor = uow.dbapi_connection().cursor()
    for month in sorted({day[:7] for day in days}):
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
            raise ValueError(f"not an ISO day: {month!r}")  # never formatted into SQL
        cursor.execute(partition_ddl(month))
    cursor.close()


def remember(
    uow: UnitOfWork, rows: Sequence[SeenRow], seq: int | None, *, replay_ok: bool = False
) -> None:
    """Record judged events; a key recorded twice on a day is refused (the entry rolls
    back).

    ``replay_ok``: the same rows may have been written by an earlier call (a day that
    credited no gram has no entry whose replay would skip the write).
    """
    if not rows:
        return
    ensure_partitions(uow, {row[3] for row in rows})
    cursor, ph = _cursor(uow)
    conflict = " ON CONFLICT (day, partner_id, event_id) DO NOTHING" if replay_ok else ""
    marks = ", ".join([ph] * 6)
    cursor.executemany(
        f"INSERT INTO behaviour_events_seen ({_COLUMNS}) VALUES ({marks}){conflict}",
        [(*row, seq) for row in rows],
    )
    cursor.close()


SEEN_ROWS = pa.schema(
    [
        pa.field("partner_id", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("digest", pa.string()),
        pa.field("day", pa.string()),
        pa.field("outcome", pa.string()),
    ]
)
"""``SeenRow`` as columns: the judged events of a day, for ``remember_table``."""


def remember_table(uow: UnitOfWork, rows: pa.Table, seq: int) -> None:
    """``remember`` of a table (schema ``SEEN_ROWS``) under the day's entry: COPY or
    sliced executemany (``sql.append``). A key recorded twice is refused likewise."""
    # In key order: each insert lands beside the last in the primary key's b-tree
    # instead of on a random page (several times faster at millions of keys).
    keyed = rows.select(SEEN_ROWS.names).cast(SEEN_ROWS).sort_by(_KEY_ORDER)
    days = pc.unique(keyed.column("day")).to_pylist()
    ensure_partitions(uow, days)
    same: dict[str, int | str] = {"seq": int(seq)}
    if len(days) == 1:  # a day's keys (always, from post_day): the day once, not per row
        keyed, same["day"] = keyed.drop_columns(["day"]), str(days[0])
    append_table(uow, "behaviour_events_seen", keyed, same)


def seen_since(uow: UnitOfWork, day_from: str) -> pa.Table:
    """Keys and digests of the events judged on ``day_from`` or later (schema ``SEEN``)."""
    cursor, ph = _cursor(uow)
    cursor.execute(
        f"SELECT partner_id, event_id, digest FROM behaviour_events_seen WHERE day >= {ph}",
        (day_from,),
    )
    rows = cursor.fetchall()
    cursor.close()
    columns: list[list[str]] = [[str(row[i]) for row in rows] for i in range(len(SEEN.names))]
    return pa.table(dict(zip(SEEN.names, columns, strict=True)), schema=SEEN)


def seen_of_keys(uow: UnitOfWork, keys: pa.Table, day_from: str) -> pa.Table:
    """Keys and digests (schema ``SEEN``) judged on ``day_from`` or later of the events
    ``keys`` (partner_id, event_id) names: a semi-join.

    On PostgreSQL the keys are copied (COPY, written by Arrow) into a temporary table of
    this transaction and joined once; on SQLite they go in bounded statements.
    """
    keys = keys.select(["partner_id", "event_id"]).cast(_KEYS)
    if uow.is_postgres:
        return _seen_of_keys_pg(uow, keys, day_from)
    found: list[pa.Table] = []
    cursor = uow.dbapi_connection().cursor()
    step = KEYS_PER_STATEMENT_SQLITE
    for start in range(0, keys.num_rows, step):
        part = keys.slice(start, step)
        p, e = part.column(0).to_pylist(), part.column(1).to_pylist()
        values = ", ".join(["(?, ?)"] * len(p))
        flat = [v for pair in zip(p, e, strict=True) for v in pair]
        cursor.execute(
            "SELECT partner_id, event_id, digest FROM behaviour_events_seen"
            f" WHERE day >= ? AND (partner_id, event_id) IN (VALUES {values})",
            (day_from, *flat),
        )
        found.append(_seen_table(cursor.fetchall()))
    cursor.close()
    return pa.concat_tables(found) if found else SEEN.empty_table()


def _seen_of_keys_pg(uow: UnitOfWork, keys: pa.Table, day_from: str) -> pa.Table:
    cursor = uow.dbapi_connection().cursor()
    try:
        # Dropped at the end; one left by a failed call on this session goes first.
        cursor.execute("DROP TABLE IF EXISTS pctrade_file_keys")
        cursor.execute("CREATE TEMPORARY TABLE pctrade_file_keys (partner_id TEXT, event_id TEXT)")
        append_table(uow, "pctrade_file_keys", keys)
        cursor.execute("ANALYZE pctrade_file_keys")  # so the join is planned by size
        cursor.execute(
            "SELECT s.partner_id, s.event_id, s.digest FROM behaviour_events_seen s"
            " WHERE s.day >= %s AND EXISTS (SELECT 1 FROM pctrade_file_keys k"
            " WHERE k.partner_id = s.partner_id AND k.event_id = s.event_id)",
            (day_from,),
        )
        found = _seen_table(cursor.fetchall())
        cursor.execute("DROP TABLE pctrade_file_keys")
        return found
    finally:
        cursor.close()


def _seen_table(rows: Sequence[Sequence[Any]]) -> pa.Table:
    columns = [[str(row[i]) for row in rows] for i in range(len(SEEN.names))]
    return pa.table(dict(zip(SEEN.names, columns, strict=True)), schema=SEEN)


def seen_of(uow: UnitOfWork, partner_id: str, event_ids: Sequence[str]) -> dict[str, str]:
    """The digests of those of ``event_ids`` already judged, for one partner's batch."""
    cursor, ph = _cursor(uow)
    found: dict[str, str] = {}
    for start in range(0, len(event_ids), 500):  # bounded statements
        chunk = list(event_ids[start : start + 500])
        cursor.execute(
            "SELECT event_id, digest FROM behaviour_events_seen "
            f"WHERE partner_id = {ph} AND event_id IN ({', '.join([ph] * len(chunk))})"
            " ORDER BY day",  # a key judged again after the window: its latest digest
            (partner_id, *chunk),
        )
        found.update((str(e), str(d)) for e, d in cursor.fetchall())
    cursor.close()
    return found


def credited_days(uow: UnitOfWork, days: Sequence[str]) -> set[str]:
    """Those of ``days`` whose energy was credited already (an ``energy_credit`` entry)."""
    return {day for day in days if lines.credit_of_day(uow, day) is not None}
