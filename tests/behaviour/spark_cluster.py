"""A Spark standalone cluster on loopback, started from the pyspark package for a test.

One master and its workers, each a JVM started by the package's own ``bin/spark-class``
in a process group of its own (a worker's executors are its children, in its group), so
that tearing down kills every JVM the cluster started. Ports are chosen by the daemons
(``--port 0``) and read back from the master's log, so no two tests race for one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

HOST = "127.0.0.1"
START_TIMEOUT_S = 180.0  # JVMs start slowly on a busy two-core machine
STOP_TIMEOUT_S = 15.0
_MASTER_URL = re.compile(r"Starting Spark master at (spark://\S+)")
_MASTER_UI = re.compile(r"MasterWebUI.* started at (http://\S+)")
# Daemons only route work: a small heap, one garbage collector thread, the JIT's quick
# tier — they start in half the time.
_DAEMON_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


class ClusterError(RuntimeError):
    """The cluster did not come up; the message carries the daemons' log tails."""


@dataclass
class StandaloneCluster:
    master_url: str
    ui_url: str
    worker_dirs: list[Path]
    logs: list[Path] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        """The master's own account of itself (its web UI's ``/json/``)."""
        with urllib.request.urlopen(f"{self.ui_url}/json/", timeout=10) as answer:
            state: dict[str, Any] = json.load(answer)
            return state

    def alive_workers(self) -> int:
        try:
            return sum(w["state"] == "ALIVE" for w in self.state()["workers"])
        except OSError:  # the UI is not up yet
            return 0

    def log_tails(self, lines: int = 20) -> str:
        parts = []
        for log in self.logs:
            text = log.read_text(errors="replace").splitlines() if log.exists() else []
            parts.append(f"--- {log.name}\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)


def spark_home() -> Path:
    """The pyspark package directory: it carries the jars and ``bin/spark-class``."""
    import pyspark

    return Path(pyspark.__file__).parent


def java_available() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    return bool(java_home and Path(java_home, "bin", "java").is_file()) or bool(
        shutil.which("java")
    )


@contextmanager
def standalone_cluster(
    workers: int = 2, cores: int = 1, memory: str = "1g"
) -> Iterator[StandaloneCluster]:
    """A master and ``workers`` workers on loopback, each worker with ``cores`` cores and
    ``memory`` for executors; everything stopped and removed on exit, even on failure."""
    root = Path(tempfile.mkdtemp(prefix="pctrade-spark-cluster-"))
    conf_dir = root / "conf"  # empty: no spark-defaults.conf of the machine's applies
    conf_dir.mkdir()
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOG_DIR": str(root / "logs"),
        "SPARK_LOCAL_IP": HOST,  # bind to loopback only
        "SPARK_PUBLIC_DNS": HOST,  # and say so (the UI would name the machine's address)
        "SPARK_DAEMON_MEMORY": "256m",
        "SPARK_DAEMON_JAVA_OPTS": _DAEMON_JAVA_OPTS,
    }
    processes: list[subprocess.Popen[bytes]] = []
    cluster = StandaloneCluster("", "", [root / f"worker-{n}" for n in range(workers)])

    def daemon(name: str, *args: str) -> None:
        log = root / f"{name}.log"
        cluster.logs.append(log)
        with log.open("wb") as out:
            processes.append(
                subprocess.Popen(
                    [str(spark_home() / "bin" / "spark-class"), *args],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, executors included
                )
            )

    try:
        daemon(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", HOST, "--port", "0", "--webui-port", "0"),
        )
        master_log = cluster.logs[0]
        cluster.master_url, cluster.ui_url = _wait_for(
            lambda: _master_addresses(master_log), cluster, processes, "the master to start"
        )
        for n, work_dir in enumerate(cluster.worker_dirs):
            work_dir.mkdir()
            daemon(
                f"worker-{n}",
                "org.apache.spark.deploy.worker.Worker",
                cluster.master_url,
                *("--host", HOST, "--port", "0", "--webui-port", "0"),
                *("--cores", str(cores), "--memory", memory, "--work-dir", str(work_dir)),
            )
        _wait_for(
            lambda: cluster.alive_workers() == workers or None,  # None: not yet
            cluster,
            processes,
            f"{workers} workers to register",
        )
        yield cluster
    finally:
        _stop(processes)
        shutil.rmtree(root, ignore_errors=True)


def _master_addresses(log: Path) -> tuple[str, str] | None:
    text = log.read_text(errors="replace") if log.exists() else ""
    url, ui = _MASTER_URL.search(text), _MASTER_UI.search(text)
    return (url.group(1), ui.group(1).rstrip("/")) if url and ui else None


def _wait_for(
    probe: Callable[[], T | None],
    cluster: StandaloneCluster,
    processes: list[subprocess.Popen[bytes]],
    what: str,
) -> T:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        if any(p.poll() is not None for p in processes):
            raise ClusterError(f"a daemon exited waiting for {what}\n{cluster.log_tails()}")
        time.sleep(0.2)
    raise ClusterError(f"timed out waiting for {what}\n{cluster.log_tails()}")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every group (workers first, then the master), then SIGKILL what is left."""
    for process in reversed(processes):
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for process in reversed(processes):
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        # The group may outlive its leader (an executor): kill it whatever happened.
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
