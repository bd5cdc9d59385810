"""The driver of the cluster test: quantifies files on a standalone cluster, keeps the
results as Parquet, and says which executors the application had.

It runs in a process of its own, as a deployment's driver would: a process holds one
SparkContext, and the test process may hold a local-mode one already (the ``spark``
fixture). Usage: ``python spark_cluster_driver.py SPEC.json``, where the spec names the
master, an output folder and the runs (file, day, as-of time, optional year-to-date
table). Each run's outputs go to ``OUT/<run>/<output>.parquet``; ``OUT/app.json``
records the application id and its executors.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.spark_engine import cluster_session

EXECUTORS_WAIT_S = 120.0


def main(spec_path: str) -> None:
    spec: dict[str, Any] = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    started = time.monotonic()
    session = cluster_session(
        spec["master"],
        executor_memory="512m",
        executor_cores=1,
        cores_max=spec["executors"],
        driver_host="127.0.0.1",
        small_data=True,
    )
    try:
        session.sparkContext.setLogLevel("ERROR")
        executors = _wait_for_executors(session, spec["executors"])
        seconds = {"session": round(time.monotonic() - started, 1)}
        for run in spec["runs"]:
            run_started = time.monotonic()
            ytd = pq.read_table(run["ytd"]) if run.get("ytd") else None
            result = quantify_file(
                run["path"],
                date.fromisoformat(run["day"]),
                "spark",
                as_of_ms=run["as_of_ms"],
                year_to_date=ytd,
                spark=session,
                work_root=Path(spec["work_root"]),
            )
            folder = out / run["name"]
            folder.mkdir(parents=True)
            assert result.credited_events is not None
            tables = {
                "energy": result.energy,
                "rejected": result.rejected,
                "held": result.held,
                "credited_events": result.credited_events,
                "partners": result.partners,
            }
            for name, table in tables.items():
                pq.write_table(table, folder / f"{name}.parquet")
            seconds[run["name"]] = round(time.monotonic() - run_started, 1)
        app = {
            "app_id": session.sparkContext.applicationId,
            "executors": executors,
            "seconds": seconds,  # for the record: the test does not judge them
            "driver_jvm_cpu_s": _cpu_s(session.sparkContext._gateway.proc.pid),
        }
        (out / "app.json").write_text(json.dumps(app), encoding="utf-8")
    finally:
        session.stop()


def _wait_for_executors(session: Any, wanted: int) -> list[str]:
    """The application's executor ids, once ``wanted`` have registered: a job started
    before would run on whichever came first."""
    context = session.sparkContext._jsc.sc()  # the JVM's SparkContext (py4j)
    deadline = time.monotonic() + EXECUTORS_WAIT_S
    while True:
        ids = context.getExecutorIds()  # the driver is not among them
        executors = [str(ids.apply(i)) for i in range(ids.size())]
        if len(executors) >= wanted or time.monotonic() > deadline:
            return executors
        time.sleep(0.2)


def _cpu_s(pid: int) -> float | None:
    """CPU-seconds (user and system) the process `pid` has used: a figure the machine's
    load does not inflate the way it does wall time (None without Linux's /proc)."""
    if not Path("/proc/self/stat").is_file():
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main(sys.argv[1])
