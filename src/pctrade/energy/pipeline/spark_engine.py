"""Run the same pipeline definition on Apache Spark (local mode here, a cluster at scale).

The step SQL is identical to DuckDB's except for the dialect hooks in
`definition.render`. Materialised steps are cached views; they are uncached
and dropped when the run ends, so one long-lived session can run many days.
Spark 4 runs in ANSI mode by default, so an integer overflow raises instead of
wrapping silently, the same as DuckDB.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from pctrade.energy.behaviour.model import Catalogue
from pctrade.energy.pipeline.definition import DayParams, plan
from pctrade.energy.pipeline.source import EventSource

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_REFERENCE_VIEWS = ("behaviours", "units", "families", "ytd", "seen", "events")
_YTD_DDL = "person_id STRING, family STRING, credited_g BIGINT"
_SEEN_DDL = "partner_id STRING, event_id STRING, digest STRING"


def local_session(cores: int = 2, memory: str = "2g", *, small_data: bool = False) -> SparkSession:
    """A local-mode session sized for one machine, without the web UI.

    `small_data` trades peak throughput for start-up time (tests): the JIT
    stops at its quick tier and whole-stage code generation is off, because
    compiling code costs more than running it on a few thousand rows.
    """
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("pctrade-quantify")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if small_data:
        builder = (
            builder.config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.shuffle.partitions", str(cores))
        )
    return builder.getOrCreate()


def run(
    spark: SparkSession,
    source: EventSource,
    catalogue: Catalogue,
    params: DayParams,
    year_to_date: pa.Table,
    seen: pa.Table,
    outputs: Collection[str],
    work_dir: Path,
) -> dict[str, pa.Table]:
    """Run every step, then return the requested outputs as Arrow tables.

    Outputs travel through Parquet files in `work_dir` rather than being
    collected through the driver: a national day has tens of millions of
    energy rows, far above what `collect` should carry.
    """
    day_plan = plan(catalogue, "spark", params)
    steps = day_plan.steps
    try:
        for name, table in day_plan.tables.items():
            spark.createDataFrame(table).createOrReplaceTempView(name)
        _frame(spark, year_to_date, _YTD_DDL).createOrReplaceTempView("ytd")
        _frame(spark, seen, _SEEN_DDL).createOrReplaceTempView("seen")
        _events_frame(spark, source).createOrReplaceTempView("events")
        for step in steps:
            spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {step.name} AS {step.sql}")
            if step.materialise:
                spark.sql(f"CACHE TABLE {step.name}")
        return {name: _fetch(spark, day_plan.outputs[name], work_dir / name) for name in outputs}
    finally:
        # Uncache everything before dropping anything: uncaching a view
        # re-resolves it, which needs the views it reads from.
        for step in reversed(steps):
            if step.materialise and spark.catalog.tableExists(step.name):
                spark.catalog.uncacheTable(step.name)
        for name in (*(step.name for step in steps), *_REFERENCE_VIEWS):
            spark.catalog.dropTempView(name)


def _fetch(spark: SparkSession, sql: str, directory: Path) -> pa.Table:
    spark.sql(sql).write.mode("overwrite").parquet(str(directory))
    return pq.read_table(directory)


def _frame(spark: SparkSession, table: pa.Table, ddl: str) -> DataFrame:
    # createDataFrame infers nothing from an empty Arrow table, so pass the DDL.
    if table.num_rows == 0:
        return spark.createDataFrame([], ddl)
    return spark.createDataFrame(table)


def _events_frame(spark: SparkSession, source: EventSource) -> DataFrame:
    frame = spark.read.parquet(str(source.path))
    row_no = "source_row" if source.has_source_row else "_metadata.row_index"
    return frame.selectExpr(f"CAST({row_no} AS BIGINT) AS row_no", *source.column_exprs())
