"""The floor under any exact quantification plan: its unavoidable operations, each alone.

    .venv/bin/python bench/behaviour.py --floor [--data DAY.parquet] [--no-post --no-spark]

The rules (`pctrade.energy.behaviour.quantify`) need, whatever the plan:

- `dedupe_screen` — which (partner, event id) keys occur more than once: a
  global look at every key, here the cheapest one found (sort 32-bit hashes of
  the keys, compare neighbours);
- `overlap_screen` — whose trips overlap: every trip of a person in start
  order (partition by a 32-bit hash of the person, sort by start, compare each
  start with the previous end);
- `tallies` — per (person, family) the count and quantity of each behaviour,
  the aggregation the caps are applied to (64-bit sums, two behaviours' counts
  sharing one, as the pipeline sums them on a file of known size);
- `judging_scan` — every column of every event read and joined to its
  (behaviour, unit) rules, to find the events that are rejected (a simplified
  test: unknown pair, quantity out of range, end before start).

Each runs alone on the same file, returning Arrow like the baseline, in rounds
interleaved with the bare group-by. Their sum is what a plan made of these four
would take with nothing else (no exact dedupe of the candidates, no overlap
rule, no caps, no unfolding, no reasons, no outputs but these); its rate as a
ratio to the baseline's is a ceiling on the pipeline's ratio, unless two of
the four can share one pass, which their different keys rule out (keys,
people in time order, (person, family) groups, every row).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb

from pctrade.energy.behaviour import load_catalogue
from pctrade.energy.pipeline.catalogue_tables import behaviours_table, units_table
from pctrade.energy.pipeline.energy_steps import CountColumns, unit_weights

Emit = Callable[..., None]  # emit(metric, value, unit, baseline=None, ratio=None)
WallSeconds = Callable[[Callable[[], object]], float]  # runs an action, returns its wall seconds

_UNIT_RULES = """
SELECT u.behaviour, u.unit, u.multiplier, u.max_quantity, b.family_no, b.rank_in_family,
  b.trip
FROM units u JOIN behaviours b ON u.behaviour = b.behaviour
"""


def _queries(path: str, ranks: int) -> dict[str, str]:
    file = f"read_parquet('{path}')"
    counts = CountColumns(ranks, packed=True)
    sums = ", ".join(
        [f"CAST(sum_no_overflow(w.{c}) AS BIGINT)" for c in counts.names()]
        + [
            "CAST(sum_no_overflow(LEAST(GREATEST(e.quantity, 0), w.max_quantity) "
            f"* w.multiplier_{k}) AS BIGINT)"
            for k in range(1, ranks + 1)
        ]
    )
    return {
        "dedupe_screen": f"""
SELECT DISTINCT key_hash FROM (
  SELECT key_hash, LAG(key_hash) OVER (ORDER BY key_hash) AS previous_hash
  FROM (SELECT CAST(hash(partner_id, event_id) >> 32 AS UINTEGER) AS key_hash FROM {file})
) WHERE key_hash = previous_hash""",
        "overlap_screen": f"""
SELECT DISTINCT person_key FROM (
  SELECT person_key, start_ms,
    LAG(end_ms) OVER (PARTITION BY person_key ORDER BY start_ms) AS previous_end_ms
  FROM (
    SELECT CAST(hash(e.person_id) >> 32 AS UINTEGER) AS person_key, e.start_ms, e.end_ms
    FROM {file} e JOIN behaviours b ON e.behaviour = b.behaviour
    WHERE b.trip AND e.start_ms IS NOT NULL AND e.end_ms IS NOT NULL
  )
) WHERE start_ms < previous_end_ms""",
        "tallies": f"""
SELECT e.person_id, w.family_no, {sums}
FROM {file} e JOIN unit_weights w ON e.behaviour = w.behaviour AND e.unit = w.unit
GROUP BY e.person_id, w.family_no""",
        "judging_scan": f"""
SELECT e.*
FROM {file} e LEFT JOIN unit_rules c ON e.behaviour = c.behaviour AND e.unit = c.unit
WHERE c.max_quantity IS NULL OR e.quantity <= 0 OR e.quantity > c.max_quantity
  OR e.end_ms < e.start_ms""",
    }


def _connection() -> duckdb.DuckDBPyConnection:
    catalogue = load_catalogue()
    con = duckdb.connect(":memory:")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    con.register("behaviours_arrow", behaviours_table(catalogue))
    con.register("units_arrow", units_table(catalogue))
    con.execute("CREATE TABLE behaviours AS SELECT * FROM behaviours_arrow")
    con.execute("CREATE TABLE units AS SELECT * FROM units_arrow")
    con.execute(f"CREATE TABLE unit_rules AS {_UNIT_RULES}")
    ranks = int(con.execute("SELECT MAX(rank_in_family) FROM behaviours").fetchall()[0][0])
    con.execute(f"CREATE TABLE unit_weights AS {unit_weights(ranks, packed_counts=True)}")
    return con


def run_floor(
    order: str,
    path: Path,
    events: int,
    rounds: int,
    baseline: Callable[[Path], None],
    wall_s: WallSeconds,
    emit: Emit,
) -> None:
    """Time each operation alone, interleaved with the baseline; emit each and their sum."""
    con = _connection()
    ranks = int(con.execute("SELECT MAX(rank_in_family) FROM behaviours").fetchall()[0][0])
    queries = _queries(str(path).replace("'", "''"), ranks)
    walls: dict[str, list[float]] = {name: [] for name in ("baseline", *queries)}
    try:
        for _ in range(rounds):
            walls["baseline"].append(wall_s(lambda: baseline(path)))
            for name, sql in queries.items():
                walls[name].append(wall_s(partial(_to_arrow, con, sql)))
    finally:
        con.close()
    base_s = min(walls["baseline"])
    total_s = 0.0
    for name in queries:
        taken = min(walls[name])
        total_s += taken
        emit(f"{order}_floor_{name}_s", taken, "s", base_s, taken / base_s)
    emit(f"{order}_floor_sum_s", total_s, "s", base_s, total_s / base_s)
    base_rate, rate = events / base_s, events / total_s
    emit(f"{order}_floor_sum_events_per_s", rate, "events/s", base_rate, rate / base_rate)
    emit(f"{order}_floor_baseline_s_median", statistics.median(walls["baseline"]), "s")


def _to_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.sql(sql).to_arrow_table()
