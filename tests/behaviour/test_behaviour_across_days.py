"""Deduplication across days and runs, through the registry (SQLite and PostgreSQL).

An event credited or held once is remembered, in the transaction of the day's energy
entry, by (partner, event id) and content digest; a later copy — in the next day's file
or in a rerun of the same day — is rejected, and a changed copy is a conflict. A rerun
of a credited day refuses each late event by itself.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from behaviour_support import HOUR_MS, MINUTE_MS, event, write_events

from pctrade import bootstrap
from pctrade.energy import service as energy
from pctrade.energy.behaviour import Event, day_window
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.ledger import commands as c
from pctrade.ledger.model import ENERGY_ASSET, Role, State
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

DAY1 = date(2026, 11, 24)
DAY2 = DAY1 + timedelta(days=1)


def on(day: date, row_no: int, **fields: Any) -> Event:
    start = day_window(day, 0).start_ms + 8 * HOUR_MS
    return event(row_no, start_ms=start, end_ms=start + 30 * MINUTE_MS, **fields)


@pytest.fixture
def registry(any_store: SqlStore) -> Registry:
    reg = bootstrap.build(any_store).registry
    for person in ("alice", "bob"):
        reg.open_account(
            "registry", f"open-{person}", c.OpenAccount(person, Role.INDIVIDUAL, person)
        )
    return reg


def run(registry: Registry, path: Path, day: date) -> QuantifyResult:
    """What `pctrade behaviour quantify` does: quantify against the registry, then post."""
    store = registry.store
    return quantify_file(
        path,
        day,
        as_of_ms=day_window(day, 0).end_ms,
        seen=energy.judged_before(store, day),
        day_credited=energy.is_day_credited(store, day),
    )


def balance(registry: Registry, person: str) -> int:
    """The person's energy credited and waiting for collection (nobody collects here)."""
    with registry.store.reader() as uow:
        [account] = [a for a in uow.accounts_of(person)]
        return uow.balance(account.account_id, ENERGY_ASSET, State.UNCOLLECTED)


def rejected(result: QuantifyResult) -> dict[str, str]:
    return {r["event_id"]: r["reason"] for r in result.rejected.to_pylist()}


def remembered(registry: Registry) -> list[tuple[Any, ...]]:
    store = registry.store
    assert isinstance(store, SqlStore)
    with store.engine.connect() as conn:
        query = "SELECT event_id, day, outcome, seq IS NULL FROM behaviour_events_seen"
        return sorted(tuple(r) for r in conn.execute(sa.text(query)))


def test_an_event_sent_again_the_next_day_is_credited_once(
    registry: Registry, tmp_path: Path
) -> None:
    day1 = [on(DAY1, 0, event_id="E1"), on(DAY1, 1, event_id="E2", person_id="bob")]
    first = run(registry, write_events(tmp_path / "d1.parquet", day1), DAY1)
    posted = energy.post_day(registry, first)
    assert posted.seq is not None and posted.remembered == 2
    alice_after_day1 = balance(registry, "alice")
    assert alice_after_day1 == 561  # 12 km of metro
    day2 = [
        on(DAY1, 0, event_id="E1"),  # yesterday's event, sent again unchanged
        on(DAY1, 1, event_id="E2", person_id="bob", quantity=13),  # and changed
        on(DAY2, 2, event_id="E3"),
    ]
    second = run(registry, write_events(tmp_path / "d2.parquet", day2), DAY2)
    assert rejected(second) == {
        "E1": "duplicate_event_processed",
        "E2": "duplicate_event_processed_conflict",
    }
    energy.post_day(registry, second)
    assert balance(registry, "alice") == alice_after_day1 + 561  # E3 only
    assert balance(registry, "bob") == 561
    assert [row[:3] for row in remembered(registry)] == [
        ("E1", "2026-11-24", "credited"),
        ("E2", "2026-11-24", "credited"),
        ("E3", "2026-11-25", "credited"),
    ]


def test_a_rerun_of_a_credited_day_refuses_late_events_one_by_one(
    registry: Registry, tmp_path: Path
) -> None:
    energy.post_day(
        registry, run(registry, write_events(tmp_path / "a.parquet", [on(DAY1, 0)]), DAY1)
    )
    late = [on(DAY1, 0), on(DAY1, 1, event_id="LATE", person_id="bob"), on(DAY1, 2, unit="mile")]
    rerun = run(registry, write_events(tmp_path / "b.parquet", late), DAY1)
    assert rejected(rerun) == {
        "E0": "duplicate_event_processed",
        "LATE": "day_already_credited",
        "E2": "unknown_unit",
    }
    report = energy.post_day(registry, rerun)
    assert report.seq is None and report.remembered == 0
    assert balance(registry, "bob") == 0


def test_held_events_are_remembered_even_when_nothing_is_credited(
    registry: Registry, tmp_path: Path
) -> None:
    too_fast = [on(DAY1, 0, quantity=90)]  # 90 km of metro in 30 minutes
    first = run(registry, write_events(tmp_path / "a.parquet", too_fast), DAY1)
    assert first.held.column("reason").to_pylist() == ["implausible_speed"]
    report = energy.post_day(registry, first)
    assert (report.seq, report.remembered) == (None, 1)
    assert remembered(registry) == [("E0", "2026-11-24", "held", True)]
    energy.post_day(registry, first)  # posting the same result again is harmless
    again = run(registry, write_events(tmp_path / "b.parquet", too_fast), DAY1)
    assert rejected(again) == {"E0": "duplicate_event_processed"}
    assert again.held.num_rows == 0


def test_posting_needs_the_credited_events(registry: Registry, tmp_path: Path) -> None:
    path = write_events(tmp_path / "a.parquet", [on(DAY1, 0)])
    result = quantify_file(path, DAY1, as_of_ms=day_window(DAY1, 0).end_ms, with_events=False)
    with pytest.raises(ValueError, match="with_events"):
        energy.post_day(registry, result)
    assert remembered(registry) == []
