"""Where ``pctrade behaviour quantify --engine spark`` runs: its ``--spark-…`` options and
``PCTRADE_SPARK_…`` variables (``bootstrap.settings.SparkSettings``), read and checked
before anything starts.

No JVM starts here: the session and the day's run are replaced by stand-ins that record
what they were given (the cluster itself: tests/behaviour/test_behaviour_spark_cluster.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pctrade.bootstrap import settings as spark_settings
from pctrade.bootstrap.settings import SparkSettings
from pctrade.cli import behaviour as cli_behaviour
from pctrade.cli.main import app
from pctrade.kernel.errors import NotFound, PctradeError

SPARK_ENV = (
    spark_settings.ENV_SPARK_MASTER,
    spark_settings.ENV_SPARK_EXECUTOR_MEMORY,
    spark_settings.ENV_SPARK_EXECUTOR_CORES,
    spark_settings.ENV_SPARK_WORK_DIR,
)


class FakeSession:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The session asked for and the day's run's arguments, recorded; the run then ends
    as it would over an empty data folder."""
    recorded: dict[str, Any] = {}

    def session_for(master: str, **options: Any) -> FakeSession:
        recorded["session"] = {"master": master, **options}
        recorded["fake"] = FakeSession()
        return recorded["fake"]

    def run_day(*args: Any, **options: Any) -> None:
        recorded["run_day"] = options
        raise NotFound("no event files", code="no_events")

    monkeypatch.setattr(cli_behaviour.spark_engine, "session_for", session_for)
    monkeypatch.setattr(cli_behaviour.daily, "run_day", run_day)
    for name in SPARK_ENV:
        monkeypatch.delenv(name, raising=False)
    return recorded


def quantify(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    command = ["behaviour", "quantify", "--date", "2026-11-24", "--db", db, *args]
    base = {"COLUMNS": "200", "PCTRADE_DATABASE_URL": "", "PCTRADE_DATA_DIR": ""}
    result = CliRunner().invoke(app, command, env={**base, **(env or {})})
    assert "Traceback" not in result.output
    return result


def test_spark_master_option_points_the_day_at_a_cluster(
    calls: dict[str, Any], tmp_path: Path
) -> None:
    result = quantify(
        tmp_path,
        *("--engine", "spark", "--spark-master", "spark://spark-master.internal:7077"),
        *("--spark-executor-memory", "8g", "--spark-executor-cores", "4"),
        *("--spark-work-dir", str(tmp_path / "shared")),
    )
    assert result.exit_code == 2 and "no_events" in result.output, result.output
    assert calls["session"] == {
        "master": "spark://spark-master.internal:7077",
        "executor_memory": "8g",
        "executor_cores": 4,
    }
    assert calls["run_day"]["spark"] is calls["fake"] and calls["fake"].stopped
    assert calls["run_day"]["engine"] == "spark"
    assert calls["run_day"]["work_root"] == tmp_path / "shared"


def test_the_environment_names_the_cluster_and_an_option_wins(
    calls: dict[str, Any], tmp_path: Path
) -> None:
    env = {
        spark_settings.ENV_SPARK_MASTER: "spark://a:7077,b:7077",
        spark_settings.ENV_SPARK_EXECUTOR_MEMORY: "512m",
        spark_settings.ENV_SPARK_WORK_DIR: "/mnt/shared/pctrade",
    }
    quantify(tmp_path, "--engine", "spark", env=env)
    assert calls["session"] == {
        "master": "spark://a:7077,b:7077",
        "executor_memory": "512m",
        "executor_cores": None,
    }
    assert calls["run_day"]["work_root"] == Path("/mnt/shared/pctrade")
    quantify(tmp_path, "--engine", "spark", "--spark-master", "local[3]", env=env)
    assert calls["session"]["master"] == "local[3]"


def test_without_a_master_spark_runs_in_local_mode(calls: dict[str, Any], tmp_path: Path) -> None:
    quantify(tmp_path, "--engine", "spark")
    assert calls["session"]["master"] == "local[2]"
    assert calls["run_day"]["work_root"] is None


def test_duckdb_starts_no_spark_and_refuses_spark_options(
    calls: dict[str, Any], tmp_path: Path
) -> None:
    env = {spark_settings.ENV_SPARK_MASTER: "spark://a:7077"}  # a deployment's, unused here
    result = quantify(tmp_path, env=env)
    assert result.exit_code == 2 and "no_events" in result.output
    assert "session" not in calls and calls["run_day"]["spark"] is None
    refused = quantify(tmp_path, "--spark-master", "spark://a:7077")
    assert refused.exit_code == 2 and "bad_engine" in refused.output


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--spark-master", "yarn"), {}),
        (("--spark-master", "spark://no-port"), {}),
        (("--spark-master", "local[0]"), {}),
        (("--spark-executor-memory", "lots"), {}),
        (("--spark-executor-cores", "0"), {}),
        ((), {spark_settings.ENV_SPARK_MASTER: "mesos://m:5050"}),
        ((), {spark_settings.ENV_SPARK_EXECUTOR_CORES: "two"}),
        ((), {spark_settings.ENV_SPARK_WORK_DIR: "relative/dir"}),
    ],
)
def test_a_bad_setting_is_refused_before_spark_starts(
    calls: dict[str, Any], tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    result = quantify(tmp_path, "--engine", "spark", *args, env=env)
    assert result.exit_code == 2 and "bad_setting" in result.output, result.output
    assert "session" not in calls and "run_day" not in calls


def test_a_spark_that_cannot_start_is_reported_not_raised(
    calls: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_java(master: str, **options: Any) -> FakeSession:
        raise RuntimeError("Java gateway process exited before sending its port number")

    monkeypatch.setattr(cli_behaviour.spark_engine, "session_for", no_java)
    result = quantify(tmp_path, "--engine", "spark", "--spark-master", "spark://h:7077")
    assert result.exit_code == 2 and "spark_unavailable" in result.output, result.output
    assert "Java gateway" in result.output and "run_day" not in calls


def test_spark_settings_round_trip_through_the_environment() -> None:
    assert SparkSettings.from_env({}) == SparkSettings()
    given = SparkSettings("spark://h:7077", "4g", 2, Path("/shared/work"))
    assert SparkSettings.from_env(given.to_env()) == given
    with pytest.raises(PctradeError) as refused:
        SparkSettings().with_(master="spark://h:port")
    assert refused.value.code == "bad_setting"
