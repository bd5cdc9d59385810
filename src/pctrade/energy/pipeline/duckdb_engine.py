"""Run the pipeline definition on DuckDB (the default, single-machine engine).

Reference tables are registered from Arrow; events are read straight from the
Parquet file; materialised steps become temporary tables so the three outputs
do not recompute them. One connection per run: nothing outlives the call.
"""

from __future__ import annotations

from collections.abc import Collection

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour.model import Catalogue
from pctrade.energy.pipeline.definition import DayParams, plan
from pctrade.energy.pipeline.source import EventSource


def run(
    source: EventSource,
    catalogue: Catalogue,
    params: DayParams,
    year_to_date: pa.Table,
    seen: pa.Table,
    outputs: Collection[str],
    threads: int | None = None,
) -> dict[str, pa.Table]:
    """Run every step, then return the requested outputs as Arrow tables."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        # Outputs are unordered sets; not preserving row order lets DuckDB
        # materialise steps in parallel.
        con.execute("SET preserve_insertion_order = false")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        events_n = pq.read_metadata(source.path).num_rows
        day_plan = plan(catalogue, "duckdb", params, events_n)
        for name, table in day_plan.tables.items():
            con.register(name, table)
        con.register("ytd", year_to_date)
        con.register("seen", seen)
        con.execute(f"CREATE TEMP VIEW events AS {_events_sql(source)}")
        for step in day_plan.steps:
            kind = "TABLE" if step.materialise else "VIEW"
            con.execute(f"CREATE TEMP {kind} {step.name} AS {step.sql}")
        return {name: con.sql(day_plan.outputs[name]).to_arrow_table() for name in outputs}
    finally:
        con.close()


def _events_sql(source: EventSource) -> str:
    path = str(source.path).replace("'", "''")
    row_no = "source_row" if source.has_source_row else "file_row_number"
    columns = ", ".join(source.column_exprs())
    return (
        f"SELECT CAST({row_no} AS BIGINT) AS row_no, {columns} "
        f"FROM read_parquet('{path}', file_row_number = true)"
    )
