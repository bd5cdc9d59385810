"""A day of behaviour events for the demo's people, as a partner would send it.

Each person takes the metro to work and a bus home, walks, and some ride a shared
bike; the distances come from a seeded generator, so the same day always yields the
same file (and the same energy). Two events are deliberately bad, so the quick start
shows the pipeline refusing and holding with reasons: a behaviour no methodology
knows, and a "walk" at 40 km/h. Columns are built with numpy, so a million people
take seconds, not minutes. A charging operator's file (``write_charge``) carries one
person's electric-vehicle charge.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.pipeline.schema import EVENTS

PARTNER: Final = "gd-metro-app"
CHARGING_PARTNER: Final = "gd-ev-charging"  # a charging operator (``write_charge``)
_MS_PER_MIN: Final = 60_000
_CHARGER_WH_PER_MIN: Final = 1_000  # a 60 kW charger


def write_day(path: Path, day: date, person_ids: list[str], seed: int, richness: int) -> int:
    """Write the day's events to ``path`` (Parquet); returns the number of events.

    ``richness`` scales the metro ride (km), so two days of the scenario differ.
    """
    n = len(person_ids)
    rng = np.random.default_rng(seed)
    start = day_window(day, 0).start_ms
    people = np.asarray(person_ids, dtype=object)

    def at(hour: int, minute: np.ndarray) -> np.ndarray:
        return start + (hour * 60 + minute.astype(np.int64)) * _MS_PER_MIN

    # Morning metro: 4..(4 + richness) km at about 30 km/h (2 min per km).
    metro_m = rng.integers(4_000, (4 + richness) * 1_000, n)
    metro_start = at(8, rng.integers(0, 30, n))
    metro_end = metro_start + metro_m * 2 * _MS_PER_MIN // 1_000
    # Evening bus trip, counted per trip.
    bus_start = at(18, rng.integers(0, 30, n))
    bus_end = bus_start + 25 * _MS_PER_MIN
    # Steps over the day (one event; the walking methodology caps the day at 296 g).
    steps = rng.integers(3_000, 16_000, n)
    steps_start = at(7, np.zeros(n, dtype=np.int64))
    steps_end = at(21, np.zeros(n, dtype=np.int64))
    # Every other person rides a shared bike at lunchtime: 1..4 km at about 12 km/h.
    riders = np.arange(n) % 2 == 0
    bike_m = rng.integers(1_000, 4_000, n)[riders]
    bike_start = at(12, rng.integers(0, 20, n))[riders]
    bike_end = bike_start + bike_m * 5 * _MS_PER_MIN // 1_000

    columns = {
        "person_id": [people, people, people, people[riders]],
        "behaviour": ["metro_km", "bus_trip", "walk_steps", "cycle_shared"],
        "start_ms": [metro_start, bus_start, steps_start, bike_start],
        "end_ms": [metro_end, bus_end, steps_end, bike_end],
        "quantity": [metro_m, np.ones(n, dtype=np.int64), steps, bike_m],
        "unit": ["m", "trip", "step", "m"],
    }
    sizes = [len(p) for p in columns["person_id"]]
    total = sum(sizes)
    table = pa.table(
        {
            "partner_id": pa.array([PARTNER] * total, pa.string()),
            "event_id": pa.array([f"{day:%Y%m%d}-{i:09d}" for i in range(total)], pa.string()),
            "person_id": pa.array(np.concatenate(columns["person_id"]), pa.string()),
            "behaviour": pa.array(
                np.repeat(np.asarray(columns["behaviour"], dtype=object), sizes), pa.string()
            ),
            "start_ms": pa.array(np.concatenate(columns["start_ms"]), pa.int64()),
            "end_ms": pa.array(np.concatenate(columns["end_ms"]), pa.int64()),
            "quantity": pa.array(np.concatenate(columns["quantity"]), pa.int64()),
            "unit": pa.array(
                np.repeat(np.asarray(columns["unit"], dtype=object), sizes), pa.string()
            ),
            "evidence_ref": pa.nulls(total, pa.string()),
        },
        schema=EVENTS,
    )
    table = pa.concat_tables([table, _bad_events(day, person_ids[0], start)])
    pq.write_table(table, path)
    return int(table.num_rows)


def write_charge(path: Path, day: date, person: str, wh: int, hour: int = 10) -> int:
    """Write a charging operator's file of ``day`` to ``path`` (Parquet): ``person``'s one
    session on a 60 kW public DC charger, ``wh`` delivered from ``hour`` on (China
    Standard Time), the charger's session id as evidence. Returns the number of events."""
    start = day_window(day, 0).start_ms + hour * 60 * _MS_PER_MIN
    minutes = -(-wh // _CHARGER_WH_PER_MIN)  # rounded up: a session ends on the minute
    table = pa.table(
        {
            "partner_id": [CHARGING_PARTNER],
            "event_id": [f"{day:%Y%m%d}-charge-1"],
            "person_id": [person],
            "behaviour": ["ev_charge"],
            "start_ms": [start],
            "end_ms": [start + minutes * _MS_PER_MIN],
            "quantity": [wh],
            "unit": ["Wh"],
            "evidence_ref": [f"DC-GZ-0417-{day:%Y%m%d}-01"],
        },
        schema=EVENTS,
    )
    pq.write_table(table, path)
    return int(table.num_rows)


def _bad_events(day: date, person: str, start_ms: int) -> pa.Table:
    """One unknown behaviour (rejected) and one implausibly fast walk (held)."""
    noon = start_ms + 12 * 60 * _MS_PER_MIN
    return pa.table(
        {
            "partner_id": [PARTNER, PARTNER],
            "event_id": [f"{day:%Y%m%d}-bad-1", f"{day:%Y%m%d}-bad-2"],
            "person_id": [person, person],
            "behaviour": ["teleport", "walk_km"],
            "start_ms": [noon, noon + 60 * _MS_PER_MIN],
            "end_ms": [noon + _MS_PER_MIN, noon + 75 * _MS_PER_MIN],
            "quantity": [1, 10_000],  # 10 km in 15 minutes is not a walk
            "unit": ["trip", "m"],
            "evidence_ref": pa.nulls(2, pa.string()),
        },
        schema=EVENTS,
    )
