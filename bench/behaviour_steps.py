"""Where one quantification run spends its time: each step of the plan, timed alone.

    .venv/bin/python bench/behaviour_steps.py DAY.parquet            # DuckDB
    .venv/bin/python bench/behaviour_steps.py DAY.parquet --spark    # Spark local mode

Runs the day's plan (`energy.pipeline.definition.plan`) step by step on one engine,
as its engine module does, and prints one JSON line per step and per output with its
wall seconds (and, on DuckDB, the process's CPU-seconds, DuckDB's threads included).
Materialised steps do their work when created; a view costs nothing until an output
or a later step reads it. `bench/behaviour.py` gives the run as a whole against its
baseline; this says which step to look at. On Spark the first round warms the JVM
and is not printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow.parquet as pq

from pctrade.energy.behaviour import load_catalogue
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.pipeline import duckdb_engine
from pctrade.energy.pipeline.definition import DayParams, Plan, plan
from pctrade.energy.pipeline.importer import import_file
from pctrade.energy.pipeline.schema import SEEN, YEAR_TO_DATE
from pctrade.energy.pipeline.source import EventSource
from pctrade.energy.pipeline.synthetic import synthetic_as_of_ms

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DAY = date(2026, 11, 24)
OUTPUTS = ("energy", "rejected", "held", "partners")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _emit(engine: str, name: str, action: Callable[[], object]) -> None:
    cpu, wall = _cpu_s(), time.perf_counter()
    action()
    line = {
        "bench": "behaviour_steps",
        "engine": engine,
        "step": name,
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(_cpu_s() - cpu, 3) if engine == "duckdb" else None,
    }
    print(json.dumps(line), flush=True)


def run_duckdb(source: EventSource, params: DayParams) -> None:
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        day_plan = plan(load_catalogue(), "duckdb", params, pq.read_metadata(source.path).num_rows)
        for name, table in day_plan.tables.items():
            con.register(name, table)
        con.register("ytd", YEAR_TO_DATE.empty_table())
        con.register("seen", SEEN.empty_table())
        con.execute(f"CREATE TEMP VIEW events AS {duckdb_engine._events_sql(source)}")
        for step in day_plan.steps:
            kind = "TABLE" if step.materialise else "VIEW"
            sql = f"CREATE TEMP {kind} {step.name} AS {step.sql}"
            _emit("duckdb", step.name, partial(con.execute, sql))
        for name in OUTPUTS:
            _emit("duckdb", f"out:{name}", partial(_to_arrow, con, day_plan.outputs[name]))
    finally:
        con.close()


def _to_arrow(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.sql(sql).to_arrow_table()


def run_spark(source: EventSource, params: DayParams, work: Path) -> None:
    from pctrade.energy.pipeline import spark_engine

    session = spark_engine.local_session(cores=2, memory="2g", small_data=False)
    session.sparkContext.setLogLevel("ERROR")
    try:
        for shown in (False, True):
            day_plan = plan(load_catalogue(), "spark", params)
            _spark_round(session, source, day_plan, work, shown)
    finally:
        session.stop()


def _spark_round(
    session: SparkSession, source: EventSource, day_plan: Plan, work: Path, shown: bool
) -> None:
    from pctrade.energy.pipeline import spark_engine as se

    for name, table in day_plan.tables.items():
        session.createDataFrame(table).createOrReplaceTempView(name)
    se._frame(session, YEAR_TO_DATE.empty_table(), se._YTD_DDL).createOrReplaceTempView("ytd")
    se._frame(session, SEEN.empty_table(), se._SEEN_DDL).createOrReplaceTempView("seen")
    se._events_frame(session, source).createOrReplaceTempView("events")

    def create(name: str, sql: str, materialise: bool) -> None:
        session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS {sql}")
        if materialise:
            session.sql(f"CACHE TABLE {name}")

    def timed(name: str, action: Callable[[], object]) -> None:
        if shown:
            _emit("spark", name, action)
        else:
            action()

    try:
        for step in day_plan.steps:
            timed(step.name, partial(create, step.name, step.sql, step.materialise))
        for name in OUTPUTS:
            timed(f"out:{name}", partial(se._fetch, session, day_plan.outputs[name], work / name))
    finally:
        for step in reversed(day_plan.steps):
            if step.materialise and session.catalog.tableExists(step.name):
                session.catalog.uncacheTable(step.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=Path, help="a day's events (Parquet or CSV)")
    parser.add_argument("--spark", action="store_true", help="Spark local mode instead of DuckDB")
    args = parser.parse_args()
    params = DayParams(DAY, day_window(DAY, synthetic_as_of_ms(DAY)))
    with tempfile.TemporaryDirectory(prefix="pctrade-steps-") as tmp:
        source = import_file(args.events, Path(tmp)).source
        if source is None:
            raise SystemExit(f"{args.events}: no readable events (see the import errors)")
        if args.spark:
            run_spark(source, params, Path(tmp))
        else:
            run_duckdb(source, params)


if __name__ == "__main__":
    main()
