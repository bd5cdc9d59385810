"""A reproducible synthetic day of behaviour events, for tests and the benchmark.

Each person gets `slots` events: slot 0 is a day's step count; slots 1..n are
trips and other behaviours in disjoint 50-minute windows from 06:00, with
distances consistent with each mode's speed. A fraction of events
(`faults_per_mille`) is corrupted in one of eight ways (unknown behaviour,
unknown unit, negative quantity, end before start, future timestamp,
implausible speed, overlapping trip, previous day), and about as many are
resubmitted, half as identical copies and half with conflicting content.

Randomness is integer hashing of (row index, seed) in SQL, so the same
arguments produce the same file on any machine, and 20 M rows take seconds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Final

import duckdb

from pctrade.energy.behaviour.model import MS_PER_DAY
from pctrade.energy.behaviour.quantify import day_window

_AS_OF_AFTER_DAY_END_MS: Final = 2 * 3_600_000
_MINUTE_MS: Final = 60_000


def synthetic_as_of_ms(day: date) -> int:
    """The as-of time the synthetic day is meant to be quantified at."""
    return day_window(day, 0).end_ms + _AS_OF_AFTER_DAY_END_MS


# r(salt) mixes the row index with a salt in two rounds of modular
# multiplication; every intermediate stays below 2^63.
def _r(salt: int) -> str:
    return (
        f"((((i * 2654435761 + {{seed}} * 40503 + {salt} * 97) % 4294967291) "
        f"* 1103515245 + 12345) % 2147483648)"
    )


_GENERATE = f"""
WITH base AS (
  SELECT i, i // {{slots}} AS person, i % {{slots}} AS slot,
    {_r(1)} AS r1, {_r(2)} AS r2, {_r(3)} AS r3, {_r(4)} AS r4, {_r(5)} AS r5
  FROM range({{rows}}) t(i)
),
typed AS (
  SELECT *,
    CASE WHEN slot = 0 THEN 'walk_steps'
      WHEN r1 % 100 < 25 THEN 'metro_km' WHEN r1 % 100 < 30 THEN 'metro_trip'
      WHEN r1 % 100 < 45 THEN 'bus_km' WHEN r1 % 100 < 55 THEN 'bus_trip'
      WHEN r1 % 100 < 70 THEN 'cycle_shared' WHEN r1 % 100 < 75 THEN 'cycle_own'
      WHEN r1 % 100 < 80 THEN 'walk_km' WHEN r1 % 100 < 83 THEN 'run_km'
      WHEN r1 % 100 < 93 THEN 'e_ticket' WHEN r1 % 100 < 95 THEN 'second_hand_item'
      WHEN r1 % 100 < 97 THEN 'home_power_saved' ELSE 'ev_charge' END AS behaviour,
    CASE WHEN slot = 0 THEN 900 ELSE 5 + r2 % 35 END AS minutes
  FROM base
),
measured AS (
  SELECT *,
    CASE behaviour
      WHEN 'walk_steps' THEN 500 + r2 % 24500
      WHEN 'metro_km' THEN minutes * (300 + r3 % 500)
      WHEN 'bus_km' THEN minutes * (200 + r3 % 300)
      WHEN 'cycle_shared' THEN minutes * (150 + r3 % 200)
      WHEN 'cycle_own' THEN minutes * (150 + r3 % 300)
      WHEN 'walk_km' THEN minutes * (50 + r3 % 60)
      WHEN 'run_km' THEN minutes * (150 + r3 % 100)
      WHEN 'second_hand_item' THEN 1 + r3 % 3
      WHEN 'home_power_saved' THEN 1000 + r3 % 8000
      WHEN 'ev_charge' THEN minutes * (100 + r3 % 400)
      ELSE 1 END AS base_quantity,
    CASE WHEN slot = 0 THEN {{day_start_ms}} + 7 * 3600000
      ELSE {{day_start_ms}} + 6 * 3600000 + slot * 50 * {_MINUTE_MS} + (r4 % 10) * {_MINUTE_MS}
      END AS start_ms
  FROM typed
),
reported AS (
  SELECT *,
    behaviour IN ('metro_km', 'bus_km', 'cycle_shared', 'cycle_own', 'walk_km', 'run_km')
      AND r2 % 10 = 0 AS in_km,
    r3 % 1000 < {{faults_per_mille}} AS faulty, r4 % 8 AS fault
  FROM measured
),
clean AS (
  SELECT i, person, behaviour, start_ms, start_ms + minutes * {_MINUTE_MS} AS end_ms,
    CASE WHEN in_km THEN GREATEST(base_quantity // 1000, 1) ELSE base_quantity END AS quantity,
    CASE WHEN in_km THEN 'km'
      WHEN behaviour = 'walk_steps' THEN 'step'
      WHEN behaviour IN ('metro_trip', 'bus_trip') THEN 'trip'
      WHEN behaviour IN ('e_ticket', 'second_hand_item') THEN 'item'
      WHEN behaviour IN ('home_power_saved', 'ev_charge') THEN 'Wh'
      ELSE 'm' END AS unit,
    faulty, fault, r5
  FROM reported
),
events AS (
  SELECT i,
    CASE split_part(behaviour, '_', 1)
      WHEN 'metro' THEN 'metro_card' WHEN 'bus' THEN 'bus_pay' WHEN 'cycle' THEN 'bike_share'
      WHEN 'walk' THEN 'step_app' WHEN 'run' THEN 'step_app' WHEN 'e' THEN 'e_invoice'
      WHEN 'second' THEN 'resale_market' WHEN 'home' THEN 'power_grid' ELSE 'charge_net' END
      AS partner_id,
    'E' || CAST(i AS VARCHAR) AS event_id,
    'P' || lpad(CAST(person AS VARCHAR), 8, '0') AS person_id,
    CASE WHEN faulty AND fault = 0 THEN 'teleport' ELSE behaviour END AS behaviour,
    CASE WHEN faulty AND fault = 4 THEN {{day_end_ms}} - 10 * {_MINUTE_MS}
      WHEN faulty AND fault = 6 THEN start_ms - 50 * {_MINUTE_MS}
      WHEN faulty AND fault = 7 THEN start_ms - {MS_PER_DAY}
      ELSE start_ms END AS start_ms,
    CASE WHEN faulty AND fault = 3 THEN start_ms - {_MINUTE_MS}
      WHEN faulty AND fault = 4 THEN {{day_end_ms}} + 3 * 3600000
      WHEN faulty AND fault = 6 THEN end_ms - 50 * {_MINUTE_MS}
      WHEN faulty AND fault = 7 THEN end_ms - {MS_PER_DAY}
      ELSE end_ms END AS end_ms,
    CASE WHEN faulty AND fault = 2 THEN -quantity
      WHEN faulty AND fault = 5 THEN quantity * 20
      ELSE quantity END AS quantity,
    CASE WHEN faulty AND fault = 1 THEN 'mile' ELSE unit END AS unit,
    CASE WHEN behaviour IN ('e_ticket', 'second_hand_item', 'home_power_saved', 'ev_charge')
      THEN 'R' || CAST(i AS VARCHAR) END AS evidence_ref,
    r5
  FROM clean
),
copies AS (
  SELECT {{rows}} + i AS i, partner_id, event_id, person_id, behaviour, start_ms, end_ms,
    CASE WHEN r5 % 1000 < {{faults_per_mille}} // 2 THEN quantity ELSE quantity + 1 END
      AS quantity,
    unit, evidence_ref, r5
  FROM events
  WHERE r5 % 1000 < {{faults_per_mille}}
)
SELECT partner_id, event_id, person_id, behaviour, start_ms, end_ms, quantity, unit, evidence_ref
FROM (SELECT * FROM events UNION ALL SELECT * FROM copies)
ORDER BY i
"""


def generate_day(
    path: Path,
    day: date,
    people: int,
    *,
    slots: int = 21,
    faults_per_mille: int = 10,
    seed: int = 1,
    threads: int | None = None,
) -> int:
    """Write a synthetic day to `path` (Parquet); returns the number of events."""
    if not 1 <= slots <= 21:
        raise ValueError("slots must be 1..21 so that trip windows stay inside one day")
    window = day_window(day, 0)
    sql = _GENERATE.format(
        rows=int(people) * int(slots),
        slots=int(slots),
        seed=int(seed),
        faults_per_mille=int(faults_per_mille),
        day_start_ms=window.start_ms,
        day_end_ms=window.end_ms,
    )
    target = str(path).replace("'", "''")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT PARQUET, ROW_GROUP_SIZE 1000000)")
        count = con.execute(f"SELECT COUNT(*) FROM read_parquet('{target}')").fetchone()
    finally:
        con.close()
    return int(count[0]) if count else 0
