"""The judged keys by day (migration 0025) and the window a run reads (SQLite, PostgreSQL).

A run given its file reads only the keys of the file's events judged within the window,
and decides exactly as with the whole window; migration 0025 keeps every key through
up, down and up again, a partition a month on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from behaviour_support import HOUR_MS, MINUTE_MS, event, outcome_of_result, write_events

from migration_support import alembic_run
from pctrade import bootstrap
from pctrade.energy import seen_window
from pctrade.energy import service as energy
from pctrade.energy.behaviour import Event, day_window
from pctrade.energy.pipeline import quantify_file
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.sql.store import SqlStore

DAY1 = date(2026, 11, 30)
DAY2 = DAY1 + timedelta(days=1)  # the next month: another partition on PostgreSQL


def on(day: date, row_no: int, **fields: object) -> Event:
    start = day_window(day, 0).start_ms + 8 * HOUR_MS + row_no * MINUTE_MS
    return event(row_no, start_ms=start, end_ms=start + 30 * MINUTE_MS, **fields)


def test_a_run_reads_only_its_files_keys_and_decides_the_same(
    any_store: SqlStore, tmp_path: Path
) -> None:
    registry = bootstrap.build(any_store).registry
    people = ["alice", "bob"]
    registry.open_accounts("registry", "open", c.OpenAccounts(Role.INDIVIDUAL, people))
    first = [on(DAY1, i, event_id=f"E{i}", person_id=people[i % 2]) for i in range(40)]
    path1 = write_events(tmp_path / "day1.parquet", first)
    result1 = quantify_file(path1, DAY1, as_of_ms=day_window(DAY1, 0).end_ms)
    energy.post_day(registry, result1)
    second = [
        first[3],  # a copy of a credited event: a duplicate
        on(DAY2, 4, event_id="E4", person_id="alice"),  # a reused id, new content: conflict
        *(on(DAY2, i, event_id=f"F{i}", person_id="bob") for i in range(5, 12)),
    ]
    path2 = write_events(tmp_path / "day2.parquet", second)
    whole = energy.judged_before(any_store, DAY2)
    window = energy.judged_before(any_store, DAY2, path2)
    assert whole.num_rows == 40
    assert sorted(window.column("event_id").to_pylist()) == ["E3", "E4"]
    as_of = day_window(DAY2, 0).end_ms
    decided = [
        outcome_of_result(quantify_file(path2, DAY2, as_of_ms=as_of, seen=seen))
        for seen in (whole, window)
    ]
    assert decided[0] == decided[1]
    reasons = {reason for _, reason in decided[1]["rejected"]}
    assert {"duplicate_event_processed", "duplicate_event_processed_conflict"} <= reasons
    energy.post_day(registry, quantify_file(path2, DAY2, as_of_ms=as_of, seen=window))
    if any_store.engine.dialect.name == "postgresql":
        with any_store.engine.connect() as conn:
            parts = conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " JOIN pg_class p ON p.oid = i.inhparent"
                    " WHERE p.relname = 'behaviour_events_seen'"
                )
            )
            names = {r[0] for r in parts}
        assert {"behaviour_events_seen_2026_11", "behaviour_events_seen_2026_12"} <= names


def test_an_unreadable_file_gets_the_whole_window(any_store: SqlStore, tmp_path: Path) -> None:
    bad = tmp_path / "events.csv"
    bad.write_text('partner_id,event_id\n"unclosed\n', encoding="utf-8")
    assert seen_window.file_keys(bad) is None
    assert energy.judged_before(any_store, DAY2, bad).num_rows == 0  # read as before


_ROWS = [
    ("p", "e1", "d1", "2026-11-30", "credited", 7),
    ("p", "e2", "d2", "2026-12-01", "held", None),
    ("q", "e1", "d3", "2027-01-02", "no_account", 9),
]


def _keys(store: SqlStore) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        query = "SELECT partner_id, event_id, digest, day, outcome, seq FROM behaviour_events_seen"
        return sorted(tuple(r) for r in conn.execute(sa.text(query + " ORDER BY 1, 2")))


def test_0025_keeps_every_key_up_down_and_up(url: str) -> None:
    store = SqlStore(url)
    try:
        alembic_run(store, "upgrade", "0024")
        with store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO behaviour_events_seen (partner_id, event_id, digest, day,"
                    " outcome, seq) VALUES (:p, :e, :d, :day, :o, :s)"
                ),
                [dict(zip(["p", "e", "d", "day", "o", "s"], row, strict=True)) for row in _ROWS],
            )
        alembic_run(store, "upgrade", "head")
        assert _keys(store) == sorted(_ROWS)
        with store.engine.begin() as conn:  # a key once a day: the same key another day
            conn.execute(
                sa.text(
                    "INSERT INTO behaviour_events_seen (partner_id, event_id, digest, day,"
                    " outcome) VALUES ('p', 'e3', 'd', '2026-11-30', 'held')"
                )
            )
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(
                    sa.text(
                        "INSERT INTO behaviour_events_seen (partner_id, event_id, digest, day,"
                        " outcome) VALUES ('p', 'e1', 'd', '2026-11-30', 'held')"
                    )
                )
            conn.execute(sa.text("DELETE FROM behaviour_events_seen WHERE event_id = 'e3'"))
        alembic_run(store, "downgrade", "0024")
        assert _keys(store) == sorted(_ROWS)
        alembic_run(store, "upgrade", "head")
        assert _keys(store) == sorted(_ROWS)
    finally:
        store.dispose()
