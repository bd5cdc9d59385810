"""The behaviour pipeline on a real Spark standalone cluster (a master and two workers on
loopback, started from the pyspark package) gives DuckDB's results row for row.

The driver runs in a process of its own (``spark_cluster_driver.py``), as a deployment's
would; the workers share this machine's file system, which stands for the shared storage
a cluster needs. Without Java the test skips, unless ``PCTRADE_REQUIRE_SPARK_CLUSTER=1``
(CI: ``.ci/run``), when it fails instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from behaviour_support import AS_OF_MS, DAY, YTD, every_bad_input, write_events
from spark_cluster import StandaloneCluster, java_available, standalone_cluster

from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms

pytestmark = [
    pytest.mark.slow,  # starts four JVMs; `make test` still runs it
    pytest.mark.xdist_group("spark_cluster"),
]

REQUIRE_ENV = "PCTRADE_REQUIRE_SPARK_CLUSTER"
WORKERS = 2
DRIVER = Path(__file__).with_name("spark_cluster_driver.py")
DRIVER_TIMEOUT_S = 900  # a loaded two-core machine; about a minute idle
OUTPUTS = ("energy", "rejected", "held", "credited_events", "partners")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1 requires the cluster test to run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster() -> Iterator[StandaloneCluster]:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _unavailable("pyspark is not installed")
    if not java_available():
        _unavailable("no Java to run Spark (JAVA_HOME or java on the PATH)")
    with standalone_cluster(workers=WORKERS, cores=1, memory="1g") as running:
        yield running


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """A generated day and the adversarial batch (every rule, caps at and over the year's)."""
    folder = tmp_path_factory.mktemp("cluster-inputs")
    day_file = folder / "day.parquet"
    generate_day(day_file, DAY, people=150, faults_per_mille=60, seed=7)
    bad_file = write_events(folder / "bad.parquet", every_bad_input())
    ytd_file = folder / "ytd.parquet"
    pq.write_table(YTD, ytd_file)
    return [
        {"name": "day", "path": str(day_file), "as_of_ms": synthetic_as_of_ms(DAY), "ytd": None},
        {"name": "bad", "path": str(bad_file), "as_of_ms": AS_OF_MS, "ytd": str(ytd_file)},
    ]


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def duckdb_tables(run: dict[str, Any]) -> dict[str, pa.Table]:
    ytd = pq.read_table(run["ytd"]) if run["ytd"] else None
    result: QuantifyResult = quantify_file(
        run["path"], DAY, as_of_ms=run["as_of_ms"], year_to_date=ytd
    )
    assert result.credited_events is not None
    return {
        "energy": result.energy,
        "rejected": result.rejected,
        "held": result.held,
        "credited_events": result.credited_events,
        "partners": result.partners,
    }


def test_a_standalone_cluster_quantifies_as_duckdb_does(
    cluster: StandaloneCluster, runs: list[dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    work_root = tmp_path / "work"  # the run's files: read and written by the workers
    work_root.mkdir()
    spec = {
        "master": cluster.master_url,
        "executors": WORKERS,
        "out": str(out),
        "work_root": str(work_root),
        "runs": [{**run, "day": DAY.isoformat()} for run in runs],
    }
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    driver = subprocess.run(
        [sys.executable, str(DRIVER), str(spec_file)],
        capture_output=True,
        text=True,
        timeout=DRIVER_TIMEOUT_S,
        check=False,
    )
    assert driver.returncode == 0, driver.stderr[-4000:] + cluster.log_tails()

    # Both workers stayed in, and the application ran an executor on each: one core
    # apiece, asked for two, and each executor's log shows the tasks it finished.
    state = cluster.state()
    assert sum(w["state"] == "ALIVE" for w in state["workers"]) == WORKERS
    app = json.loads((out / "app.json").read_text(encoding="utf-8"))
    assert len(app["executors"]) == WORKERS, app
    (done,) = [a for a in state["completedapps"] if a["id"] == app["app_id"]]
    assert done["cores"] == WORKERS, done
    for work_dir in cluster.worker_dirs:
        logs = list((work_dir / app["app_id"]).glob("*/stderr"))
        assert len(logs) == 1, (work_dir, logs)
        assert "Finished task" in logs[0].read_text(errors="replace"), logs[0]

    for run in runs:
        duck = duckdb_tables(run)
        for name in OUTPUTS:
            sparked = pq.read_table(out / run["name"] / f"{name}.parquet")
            assert sparked.schema == duck[name].schema, (run["name"], name)
            assert rows(sparked) == rows(duck[name]), (run["name"], name)
        assert duck["energy"].num_rows > 0 and duck["rejected"].num_rows > 0, run["name"]
    assert not any(work_root.iterdir())  # every run removed its files
