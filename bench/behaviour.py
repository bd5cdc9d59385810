"""Benchmark the daily quantification pipeline against a bare DuckDB baseline.

    .venv/bin/python bench/behaviour.py            # 1,000,000 people, ~21 M events
    .venv/bin/python bench/behaviour.py --quick    # 50,000 people, ~1 M events

Prints one JSON line per figure: {"bench", "metric", "value", "unit",
"baseline", "ratio"}. The baseline runs in the same command on the same
Parquet file: `GROUP BY person, behaviour` of quantity x factor (joined to
the factor table), returned as Arrow like the pipeline's outputs. The full
quantification adds import/schema check, validation, deduplication,
plausibility and overlap holds, caps and exact rounding. "End to end" is
import + quantification + writing the energy, rejected and held tables to
Parquet for the bulk posting step; posting into the registry itself is not
included (the registry API is issue 3).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow.parquet as pq

from pctrade.energy.behaviour import load_catalogue
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.definition import behaviours_table
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


def timed(action: Callable[[], _T]) -> tuple[_T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def baseline_seconds(path: Path) -> float:
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
        _, elapsed_s = timed(lambda: con.sql(query).to_arrow_table())
        return elapsed_s
    finally:
        con.close()


def write_outputs(result: QuantifyResult, out_dir: Path) -> None:
    pq.write_table(result.energy, out_dir / "energy.parquet")
    pq.write_table(result.rejected, out_dir / "rejected.parquet")
    pq.write_table(result.held, out_dir / "held.parquet")


def run_duckdb(path: Path, events: int, work: Path) -> float:
    as_of = synthetic_as_of_ms(DAY)
    base_s = baseline_seconds(path)
    base_rate = events / base_s
    emit("baseline_groupby_events_per_s", base_rate, "events/s")
    result, quantify_s = timed(lambda: quantify_file(path, DAY, as_of_ms=as_of, with_events=False))
    rate = events / quantify_s
    emit("quantify_events_per_s", rate, "events/s", base_rate, rate / base_rate)
    emit("quantify_duckdb_s", quantify_s, "s")
    _, write_s = timed(lambda: write_outputs(result, work))
    emit("end_to_end_day_s", quantify_s + write_s, "s")
    emit("energy_rows", result.energy.num_rows, "rows")
    emit("rejected_events", result.rejected.num_rows, "events")
    emit("held_events", result.held.num_rows, "events")
    return rate


def run_spark(path: Path, events: int, duckdb_rate: float, memory: str, quick: bool) -> None:
    from pctrade.energy.pipeline.spark_engine import local_session

    cores = os.cpu_count() or 2
    session, start_s = timed(lambda: local_session(cores, memory, small_data=quick))
    session.sparkContext.setLogLevel("ERROR")
    emit("spark_session_start_s", start_s, "s")
    as_of = synthetic_as_of_ms(DAY)
    try:
        _, spark_s = timed(
            lambda: quantify_file(
                path, DAY, "spark", as_of_ms=as_of, spark=session, with_events=False
            )
        )
    finally:
        session.stop()
    rate = events / spark_s
    emit("quantify_spark_local_events_per_s", rate, "events/s", duckdb_rate, rate / duckdb_rate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 people; under a minute")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--data", type=Path, default=None, help="reuse or create this file")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-post", action="store_true", help="skip posting into registries")
    parser.add_argument("--spark-memory", default="6g")
    args = parser.parse_args()
    people = args.people or (20_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="pctrade-bench-") as tmp:
        work = Path(tmp)
        path = args.data or work / f"day_{people}.parquet"
        if path.exists():
            events = pq.read_metadata(path).num_rows
        else:
            events, gen_s = timed(lambda: generate_day(path, DAY, people))
            emit("generate_events_per_s", events / gen_s, "events/s")
        emit("events", events, "events")
        emit("loadavg_1m", os.getloadavg()[0], "runnable tasks")
        rate = run_duckdb(path, events, work)
        if not args.no_spark:
            run_spark(path, events, rate, args.spark_memory, args.quick)
        if not args.no_post:  # the day end to end into SQLite and PostgreSQL
            from behaviour_posting import run_posting

            run_posting(path, people, emit, rows=args.quick)


if __name__ == "__main__":
    main()
