"""Helpers shared by the behaviour tests: building events and comparing outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour import DayResult, Event, day_window
from pctrade.energy.pipeline import QuantifyResult
from pctrade.energy.pipeline.schema import EVENTS, YEAR_TO_DATE

DAY = date(2026, 11, 24)
WINDOW = day_window(DAY, 0)
DAY_START_MS = WINDOW.start_ms
AS_OF_MS = WINDOW.end_ms + 2 * 3_600_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000


def event(row_no: int = 0, **fields: Any) -> Event:
    """A valid 30-minute, 12 km metro ride at 08:00 unless fields say otherwise."""
    values: dict[str, Any] = {
        "partner_id": "metro_card",
        "event_id": f"E{row_no}",
        "person_id": "alice",
        "behaviour": "metro_km",
        "start_ms": DAY_START_MS + 8 * HOUR_MS,
        "end_ms": DAY_START_MS + 8 * HOUR_MS + 30 * MINUTE_MS,
        "quantity": 12,
        "unit": "km",
        "evidence_ref": None,
    }
    values.update(fields)
    return Event(row_no=row_no, **values)


def write_events(path: Path, events: Iterable[Event]) -> Path:
    rows = [{name: getattr(e, name) for name in EVENTS.names} for e in events]
    pq.write_table(pa.Table.from_pylist(rows, schema=EVENTS), path)
    return path


def events_from_parquet(path: Path) -> list[Event]:
    table = pq.read_table(path)
    return [Event(row_no=i, **row) for i, row in enumerate(table.to_pylist())]


def energy_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted(tuple(row.values()) for row in table.to_pylist())


def outcome_of_result(result: QuantifyResult) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a run decided, in a canonical order, for comparing engines."""
    return {
        "energy": energy_rows(result.energy),
        "rejected": sorted(
            (r["row_no"], r["reason"])
            for r in result.rejected.select(["row_no", "reason"]).to_pylist()
        ),
        "held": sorted(
            (r["row_no"], r["reason"], r["avoided_ug"])
            for r in result.held.select(["row_no", "reason", "avoided_ug"]).to_pylist()
        ),
    }


def outcome_of_day(result: DayResult) -> dict[str, list[tuple[Any, ...]]]:
    """The pure reference's decisions in the same shape as `outcome_of_result`."""
    return {
        "energy": sorted(
            (
                r.day,
                r.person_id,
                r.family,
                r.methodology,
                r.behaviour,
                r.base_unit,
                r.events_n,
                r.quantity,
                r.factor_ug_per_unit,
                r.avoided_ug,
                r.cap_forfeit_ug,
                r.remainder_ug,
                r.credited_g,
                None if r.cap_flag is None else str(r.cap_flag),
            )
            for r in result.energy
        ),
        "rejected": sorted((r.event.row_no, str(r.reason)) for r in result.rejected),
        "held": sorted((h.event.row_no, str(h.reason), h.avoided_ug) for h in result.held),
    }


# 08:00 on DAY, when ``event``'s default ride starts.
_START = DAY_START_MS + 8 * HOUR_MS


def every_bad_input() -> list[Event]:
    """One event per rule of issue 4, plus good events in the same batch."""
    late = DAY_START_MS + 23 * HOUR_MS + 50 * MINUTE_MS
    return [
        event(0),
        event(1, behaviour="teleport"),
        event(2, unit="mile"),
        event(3, quantity=-5),
        event(4, quantity=2**63 - 1),
        event(5, end_ms=_START - 1),
        event(6, start_ms=late, end_ms=AS_OF_MS + 1, quantity=1),
        event(7, start_ms=DAY_START_MS - HOUR_MS, end_ms=DAY_START_MS - 1),
        event(8, person_id=None),
        event(9, behaviour="e_ticket", unit="item", quantity=1, person_id="carol"),
        event(10, event_id="E0"),  # identical resubmission of row 0
        event(11, event_id="E20", person_id="dan", quantity=3),
        event(12, event_id="E20", person_id="dan", quantity=4),  # conflicting copy
        event(13, person_id="erin", behaviour="walk_km", quantity=40, end_ms=_START + HOUR_MS),
        event(14, person_id="fay"),
        event(
            15,
            person_id="fay",
            behaviour="cycle_shared",
            unit="m",
            quantity=4_000,
            start_ms=_START + 10 * MINUTE_MS,
            end_ms=_START + 40 * MINUTE_MS,
        ),
        event(
            16,
            person_id="gus",
            behaviour="walk_steps",
            unit="step",
            quantity=30_000,
            start_ms=DAY_START_MS + 7 * HOUR_MS,
            end_ms=DAY_START_MS + 22 * HOUR_MS,
        ),
        event(
            17, person_id="gus", behaviour="run_km", unit="km", quantity=5, end_ms=_START + HOUR_MS
        ),
        event(
            18,
            person_id="hal",
            behaviour="ev_charge",
            unit="kWh",
            quantity=40,
            evidence_ref="S1",
            end_ms=_START + HOUR_MS,
        ),
    ]


# What gus and hal of ``every_bad_input`` were credited earlier in the year, near their
# yearly caps, as the pipeline reads it (``YTD``) and as the reference does (``YTD_MAP``).
YTD = pa.table(
    {
        "person_id": ["gus", "hal"],
        "family": ["walking", "ev_charging"],
        "credited_g": [108_000, 1_990_000],
    },
    schema=YEAR_TO_DATE,
)
YTD_MAP = {("gus", "walking"): 108_000, ("hal", "ev_charging"): 1_990_000}
