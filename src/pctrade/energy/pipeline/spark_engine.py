"""Run the same pipeline definition on Apache Spark: local mode, or a standalone cluster.

The step SQL is identical to DuckDB's except for the dialect hooks in
`definition.render`. Materialised steps are cached views; they are uncached
and dropped when the run ends, so one long-lived session can run many days.
Spark 4 runs in ANSI mode by default, so an integer overflow raises instead of
wrapping silently, the same as DuckDB.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

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

# `local`, `local[4]`, `local[*]`; `spark://host:port`, or several masters for standby
# failover (`spark://h1:7077,h2:7077`). Other cluster managers are not supported.
_LOCAL_MASTER: Final = re.compile(r"local(\[([1-9][0-9]{0,3}|\*)\])?")
_CLUSTER_MASTER: Final = re.compile(
    r"spark://[A-Za-z0-9.\-]+:[0-9]{1,5}(,[A-Za-z0-9.\-]+:[0-9]{1,5})*"
)
# A JVM size as Spark reads it: `512m`, `2g`.
_JVM_SIZE: Final = re.compile(r"[1-9][0-9]{0,6}[kmgt]")
# Start-up over throughput, for a few thousand rows (tests): the JIT stops at its quick
# tier, whole-stage code generation is off.
_QUICK_JIT: Final = "-XX:TieredStopAtLevel=1"


def is_master(master: str) -> bool:
    """Whether `master` is a master URL the pipeline runs on (`session_for`)."""
    return bool(_LOCAL_MASTER.fullmatch(master) or _CLUSTER_MASTER.fullmatch(master))


def is_jvm_size(size: str) -> bool:
    """Whether `size` is a memory size the way Spark's settings take it (`512m`, `2g`)."""
    return bool(_JVM_SIZE.fullmatch(size))


def session_for(
    master: str,
    *,
    executor_memory: str = "2g",
    executor_cores: int | None = None,
    small_data: bool = False,
) -> SparkSession:
    """A session on `master`: local mode (`local[N]`) or a standalone cluster
    (`spark://host:port`), configured alike either way."""
    if _CLUSTER_MASTER.fullmatch(master):
        return cluster_session(
            master,
            executor_memory=executor_memory,
            executor_cores=executor_cores,
            small_data=small_data,
        )
    local = _LOCAL_MASTER.fullmatch(master)
    if local is None:
        raise ValueError(f"unknown Spark master {master!r}: use local[N] or spark://host:port")
    given = local.group(2)
    if given is None:
        cores = 1  # plain `local`: one thread, as Spark reads it
    elif given == "*":
        cores = os.cpu_count() or 1
    else:
        cores = int(given)
    return local_session(cores, small_data=small_data)


def local_session(cores: int = 2, memory: str = "2g", *, small_data: bool = False) -> SparkSession:
    """A local-mode session sized for one machine, without the web UI.

    `small_data` trades peak throughput for start-up time (tests): the JIT
    stops at its quick tier and whole-stage code generation is off, because
    compiling code costs more than running it on a few thousand rows.
    """
    builder = _builder(f"local[{cores}]", cores * 2, small_data).config(
        "spark.driver.memory", memory
    )
    if small_data:
        builder = builder.config("spark.driver.extraJavaOptions", _QUICK_JIT).config(
            "spark.sql.shuffle.partitions", str(cores)
        )
    return _create(builder, f"local[{cores}]")


def cluster_session(
    master_url: str,
    *,
    executor_memory: str = "2g",
    executor_cores: int | None = None,
    cores_max: int | None = None,
    driver_host: str | None = None,
    small_data: bool = False,
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A session on a standalone cluster (`spark://host:port`), configured as
    `local_session` is (ANSI, UTC, no UI).

    The workers read the events file and write the outputs where the driver names
    them, and the driver reads the outputs back from there: the run's files (the
    data folder, the work folder, see `run`) must be on storage that the driver and
    every worker see at the same path (one machine, NFS, a shared volume).
    `executor_cores` None: each executor takes all of its worker's cores;
    `cores_max` None: the application takes every core the cluster offers;
    `driver_host`: the address executors reach the driver at (the machine's own
    name when None); `conf`: further Spark settings.
    """
    if not _CLUSTER_MASTER.fullmatch(master_url):
        raise ValueError(f"not a standalone master URL: {master_url!r} (spark://host:port)")
    if not is_jvm_size(executor_memory):
        raise ValueError(f"executor memory {executor_memory!r} is not a size such as 2g")
    partitions = 2 * cores_max if cores_max is not None else 200  # Spark's own default
    builder = _builder(master_url, partitions, small_data).config(
        "spark.executor.memory", executor_memory
    )
    if executor_cores is not None:
        builder = builder.config("spark.executor.cores", str(executor_cores))
    if cores_max is not None:
        builder = builder.config("spark.cores.max", str(cores_max))
    if driver_host is not None:
        builder = builder.config("spark.driver.host", driver_host).config(
            "spark.driver.bindAddress", driver_host
        )
    if small_data:
        builder = (
            builder.config("spark.driver.extraJavaOptions", _QUICK_JIT)
            .config("spark.executor.extraJavaOptions", _QUICK_JIT)
            # A task whose cached input sits on a busy executor waits this long for it
            # (3 s by default) before running elsewhere: far longer than moving a few
            # kilobytes takes.
            .config("spark.locality.wait", "0s")
            # Each executor compiles generated code for itself, and adaptive execution
            # plans every stage again: on a few thousand rows both cost more than
            # they save (a quarter of the CPU each, measured in local mode).
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return _create(builder, master_url)


def _builder(master: str, shuffle_partitions: int, small_data: bool) -> SparkSession.Builder:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("pctrade-quantify")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        # A temporary view made from SQL text is analysed again wherever it is read, so
        # each of the pipeline's chained views would re-analyse every view below it: most
        # of a small day's CPU (the tests' three local days: about 155 s of CPU, 84 s with
        # the analysed plan kept). A run creates its views in order over inputs that no
        # longer change, so the kept plan is the plan the text would give.
        .config("spark.sql.legacy.storeAnalyzedPlanForView", "true")
        .config("spark.sql.maxPlanStringLength", "10000")  # only for logs and the UI
    )
    if small_data:
        builder = builder.config("spark.sql.codegen.wholeStage", "false")
    return builder


def _create(builder: SparkSession.Builder, master: str) -> SparkSession:
    # getOrCreate hands back a running session as it is, whatever was asked: refuse
    # one on another master rather than run a "cluster" job in local mode.
    session = builder.getOrCreate()
    running = session.sparkContext.master
    if running != master:
        raise RuntimeError(f"a Spark session on {running} is running here; asked for {master}")
    return session


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
    energy rows, far above what `collect` should carry. On a cluster the workers
    write them, so `work_dir` and the events file must be on storage they share
    with the driver (`cluster_session`).
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
    spark.sql(sql).write.mode("overwrite").parquet(_uri(directory))
    # Spark writes a file even for no rows (it carries the schema); finding none means
    # the workers wrote where this machine cannot see (storage not shared).
    if not any(directory.glob("*.parquet")):
        raise RuntimeError(
            f"the Spark workers' output is not in {directory}: the work folder must be on "
            "storage the driver and every worker share"
        )
    return pq.read_table(directory)


def _uri(path: Path) -> str:
    """A local (or shared) path as a URI, so a cluster whose default file system is
    HDFS still reads and writes the files the driver means."""
    return f"file://{path.absolute()}"


def _frame(spark: SparkSession, table: pa.Table, ddl: str) -> DataFrame:
    # createDataFrame infers nothing from an empty Arrow table, so pass the DDL.
    if table.num_rows == 0:
        return spark.createDataFrame([], ddl)
    return spark.createDataFrame(table)


def _events_frame(spark: SparkSession, source: EventSource) -> DataFrame:
    frame = spark.read.parquet(_uri(source.path))
    row_no = "source_row" if source.has_source_row else "_metadata.row_index"
    return frame.selectExpr(f"CAST({row_no} AS BIGINT) AS row_no", *source.column_exprs())
