"""Benchmark the daily quantification pipeline against a bare DuckDB baseline.

    .venv/bin/python bench/behaviour.py            # 1,000,000 people, ~21 M events
    .venv/bin/python bench/behaviour.py --quick    # 20,000 people, ~0.4 M events
    .venv/bin/python bench/behaviour.py --floor    # + the floor under any exact plan

Prints one JSON line per figure: {"bench", "metric", "value", "unit",
"baseline", "ratio"}. The baseline runs in the same command on the same
Parquet file: `GROUP BY person, behaviour` of quantity x factor (joined to
the factor table), returned as Arrow like the pipeline's outputs. The full
quantification adds import/schema check, validation, deduplication,
plausibility and overlap holds, caps and exact rounding.

Both file orders are measured: the generated file is sorted by person, which
flatters every rate, so a person-shuffled copy is written in the same run.
For each order, baseline and pipeline rounds alternate (baseline, pipeline,
baseline, pipeline, ...) so that a change of load on a shared machine hits
both; the minimum and the median of each are reported, with the ratio of the
pipeline's rate to the baseline's. CPU-seconds are the process's user + system
time (`getrusage`, which counts DuckDB's threads) over a round. "End to end" is
quantification + writing the energy, rejected and held tables to Parquet for
the bulk posting step. Then (unless `--no-post`) `behaviour_posting.run_posting`
takes the same day end to end into a registry on SQLite and on PostgreSQL:
import, quantify, the set-based post (beside the row-wise one it replaced) and
the entry's check. The Spark local-mode figure runs in the full bench (`--no-spark`
skips it) and in `--quick` only with `--spark`: a local Spark run costs about 35 s
whatever the day's size (planning and caching the pipeline's steps), which alone
would take `--quick` past its minute. `--floor` times, per order, the operations any
exact plan must make, each alone (`behaviour_floor.py`), and their sum's ratio to the
baseline: a ceiling on the pipeline's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow.parquet as pq

from pctrade.energy.behaviour import load_catalogue
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.catalogue_tables import behaviours_table
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms

DAY = date(2026, 11, 24)
_T = TypeVar("_T")


def emit(
    metric: str, value: float, unit: str, baseline: float | None = None, ratio: float | None = None
) -> None:
    line = {
        "bench": "behaviour",
        "metric": metric,
        "value": round(value, 3),
        "unit": unit,
        "baseline": None if baseline is None else round(baseline, 3),
        "ratio": None if ratio is None else round(ratio, 3),
    }
    print(json.dumps(line), flush=True)


@dataclass(frozen=True, slots=True)
class Round:
    """One timed run: wall seconds and the process's CPU-seconds (all threads)."""

    wall_s: float
    cpu_s: float


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(action: Callable[[], _T]) -> tuple[_T, Round]:
    cpu_before = _cpu_s()
    started = time.perf_counter()
    result = action()
    wall_s = time.perf_counter() - started
    return result, Round(wall_s, _cpu_s() - cpu_before)


def _wall_s(action: Callable[[], object]) -> float:
    return timed(action)[1].wall_s


def baseline_groupby(path: Path) -> None:
    """The bare group-by the issue names as the yardstick."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("behaviours", behaviours_table(load_catalogue()))
        query = (
            "SELECT e.person_id, e.behaviour, SUM(e.quantity * b.factor_ug) AS avoided_ug "
            f"FROM read_parquet('{path}') e JOIN behaviours b ON e.behaviour = b.behaviour "
            "GROUP BY e.person_id, e.behaviour"
        )
        con.sql(query).to_arrow_table()
    finally:
        con.close()


def quantify(path: Path) -> QuantifyResult:
    return quantify_file(path, DAY, as_of_ms=synthetic_as_of_ms(DAY), with_events=False)


def shuffle_people(path: Path, shuffled: Path) -> None:
    """A copy of the day in a fixed pseudo-random row order (people interleaved)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(
            "COPY (SELECT * EXCLUDE (file_row_number) "
            f"FROM read_parquet('{path}', file_row_number = true) "
            f"ORDER BY hash(file_row_number)) TO '{shuffled}' (FORMAT parquet)"
        )
    finally:
        con.close()


def write_outputs(result: QuantifyResult, out_dir: Path) -> None:
    pq.write_table(result.energy, out_dir / "energy.parquet")
    pq.write_table(result.rejected, out_dir / "rejected.parquet")
    pq.write_table(result.held, out_dir / "held.parquet")


def run_duckdb(order: str, path: Path, events: int, rounds: int, work: Path) -> float:
    """Interleaved baseline and pipeline rounds on one file; returns the pipeline's best rate."""
    base: list[Round] = []
    runs: list[Round] = []
    result: QuantifyResult | None = None
    for _ in range(rounds):
        base.append(timed(lambda: baseline_groupby(path))[1])
        result, taken = timed(lambda: quantify(path))
        runs.append(taken)
    assert result is not None
    for stat, pick in (("min", min), ("median", statistics.median)):
        base_rate = events / pick(r.wall_s for r in base)
        rate = events / pick(r.wall_s for r in runs)
        emit(f"{order}_baseline_groupby_events_per_s_{stat}", base_rate, "events/s")
        emit(f"{order}_quantify_events_per_s_{stat}", rate, "events/s", base_rate, rate / base_rate)
    base_cpu = statistics.median(r.cpu_s for r in base)
    cpu = statistics.median(r.cpu_s for r in runs)
    emit(f"{order}_quantify_cpu_s_median", cpu, "CPU-s", base_cpu, cpu / base_cpu)
    emit(f"{order}_quantify_duckdb_s_min", min(r.wall_s for r in runs), "s")
    _, written = timed(lambda: write_outputs(result, work))
    emit(f"{order}_end_to_end_day_s", min(r.wall_s for r in runs) + written.wall_s, "s")
    emit(f"{order}_energy_rows", result.energy.num_rows, "rows")
    emit(f"{order}_rejected_events", result.rejected.num_rows, "events")
    emit(f"{order}_held_events", result.held.num_rows, "events")
    emit(f"{order}_loadavg_1m", os.getloadavg()[0], "runnable tasks")
    return events / min(r.wall_s for r in runs)


def run_spark(path: Path, events: int, duckdb_rate: float, memory: str, quick: bool) -> None:
    from pctrade.energy.pipeline.spark_engine import local_session

    cores = os.cpu_count() or 2
    session, start = timed(lambda: local_session(cores, memory, small_data=quick))
    session.sparkContext.setLogLevel("ERROR")
    emit("spark_session_start_s", start.wall_s, "s")
    as_of = synthetic_as_of_ms(DAY)
    try:
        _, spark = timed(
            lambda: quantify_file(
                path, DAY, "spark", as_of_ms=as_of, spark=session, with_events=False
            )
        )
    finally:
        session.stop()
    rate = events / spark.wall_s
    emit("quantify_spark_local_events_per_s", rate, "events/s", duckdb_rate, rate / duckdb_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 people; under a minute")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--data", type=Path, default=None, help="reuse or create this file")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per order")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--spark", action="store_true", help="with --quick: the Spark figure too")
    parser.add_argument("--no-post", action="store_true", help="skip posting into registries")
    parser.add_argument("--spark-memory", default="6g")
    parser.add_argument(
        "--floor", action="store_true", help="time the unavoidable operations alone, per order"
    )
    args = parser.parse_args()
    people = args.people or (20_000 if args.quick else 1_000_000)
    rounds = args.rounds or (2 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="pctrade-bench-") as tmp:
        work = Path(tmp)
        path = args.data or work / f"day_{people}.parquet"
        if path.exists():
            events = pq.read_metadata(path).num_rows
        else:
            events, generated = timed(lambda: generate_day(path, DAY, people))
            emit("generate_events_per_s", events / generated.wall_s, "events/s")
        shuffled = work / "day_shuffled.parquet"
        shuffle_people(path, shuffled)
        emit("events", events, "events")
        emit("loadavg_1m", os.getloadavg()[0], "runnable tasks")
        rate = run_duckdb("sorted", path, events, rounds, work)
        run_duckdb("shuffled", shuffled, events, rounds, work)
        if args.floor:  # a ceiling on the pipeline's ratio: see behaviour_floor.py
            from behaviour_floor import run_floor

            for order, file in (("sorted", path), ("shuffled", shuffled)):
                run_floor(order, file, events, rounds, baseline_groupby, _wall_s, emit)
        if not args.no_spark and (args.spark or not args.quick):
            run_spark(path, events, rate, args.spark_memory, args.quick)
        if not args.no_post:  # the day end to end into SQLite and PostgreSQL
            from behaviour_posting import run_posting

            run_posting(path, people, emit, rows=args.quick)


if __name__ == "__main__":
    main()
