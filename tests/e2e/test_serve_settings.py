"""``pctrade serve``'s settings: its options or environment, read back by each worker.

The workers of ``pctrade serve --workers N`` are new interpreters; the command hands
them its settings through the environment (``bootstrap.settings``), and each worker
builds its app and its API's stream settings from there (``api.serve.worker_app``).
uvicorn is replaced here by a stand-in that records how it was called.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from pctrade import demo_compliance
from pctrade.api.serve import worker_app
from pctrade.bootstrap import settings as serve_settings
from pctrade.bootstrap.settings import ServeSettings
from pctrade.cli import main as cli_main
from pctrade.cli.main import app as cli
from pctrade.kernel.errors import PctradeError

ENV = (
    serve_settings.ENV_DATABASE_URL,
    serve_settings.ENV_DATA_DIR,
    serve_settings.ENV_WORKERS,
    serve_settings.ENV_WORKER_HEALTHCHECK_S,
    serve_settings.ENV_CLOCK_OFFSET_S,
    serve_settings.ENV_STREAM_POLL_S,
    serve_settings.ENV_STREAM_IDLE_S,
    serve_settings.ENV_STREAM_EVENTS_MAX,
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The settings' variables unset, and put back as they were after the test (the
    command writes them into this process's environment, as it does for its workers)."""
    for name in ENV:
        monkeypatch.setenv(name, "")
    return monkeypatch


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    return calls


def test_unset_variables_give_the_defaults(environ: pytest.MonkeyPatch) -> None:
    assert ServeSettings.from_env() == ServeSettings()


def test_the_environment_states_each_setting_and_round_trips(
    environ: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given = ServeSettings(
        database_url="sqlite:///x.db",
        data_dir=tmp_path,
        workers=4,
        worker_healthcheck_s=12,
        clock_offset_s=-86_400.5,
        stream_poll_s=0.5,
        stream_idle_s=2.0,
        stream_events_max=10,
    )
    assert ServeSettings.from_env(given.to_env()) == given
    assert given.with_(workers=None, stream_poll_s=1.5).stream_poll_s == 1.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PCTRADE_WORKERS", "0"),
        ("PCTRADE_WORKERS", "65"),
        ("PCTRADE_WORKERS", "two"),
        ("PCTRADE_STREAM_POLL_S", "0.001"),
        ("PCTRADE_STREAM_POLL_S", "nan"),
        ("PCTRADE_STREAM_IDLE_S", "inf"),
        ("PCTRADE_STREAM_EVENTS_MAX", "0"),
        ("PCTRADE_STREAM_EVENTS_MAX", "1.5"),
        ("PCTRADE_CLOCK_OFFSET_S", "1e12"),
        ("PCTRADE_WORKER_HEALTHCHECK_S", "0"),
    ],
)
def test_a_setting_out_of_its_bounds_is_refused(name: str, value: str) -> None:
    with pytest.raises(PctradeError) as refused:
        ServeSettings.from_env({name: value})
    assert refused.value.code == "bad_setting"


def test_the_command_hands_its_options_to_every_worker(
    environ: pytest.MonkeyPatch, ran: list[Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    environ.setenv("PCTRADE_STREAM_IDLE_S", "7.5")  # from the environment, no option
    args = ["--db", url, "serve", "--port", "8123", "--workers", "3", "--stream-poll-s", "0.05"]
    args += ["--stream-events-max", "9", "--clock-offset-s", "3600"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    [(positional, keywords)] = ran
    assert positional == ("pctrade.api.serve:worker_app",)
    assert keywords["factory"] is True and keywords["workers"] == 3
    assert keywords["port"] == 8123 and keywords["timeout_worker_healthcheck"] == 30
    # What a worker builds from the environment the command left
    api = worker_app()
    wired = api.state.app
    try:
        stream = api.state.settings
        assert (stream.stream_poll_s, stream.stream_idle_s, stream.stream_events_max) == (
            0.05,
            7.5,
            9,
        )
        assert wired.store.url == url
        ahead_s = (wired.clock() - datetime.now(UTC)).total_seconds()
        assert 3_590 < ahead_s <= 3_600  # the wall clock an hour on
    finally:
        wired.close()


def test_a_bad_setting_stops_the_command_before_anything_starts(
    environ: pytest.MonkeyPatch, ran: list[Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "serve", "--stream-poll-s", "0"])
    assert result.exit_code == 2
    assert "bad_setting" in result.output
    assert ran == [] and not (tmp_path / "served.db").exists()


class _Seeded:
    """What the demo's seeding hands ``serve --demo``: here, an app with nothing to close."""

    written, replayed, users = 0, 1, [("wangwei", "u000001")]

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("given", "expected_s"), [((), None), (("--clock-offset-s", "60"), 60.0)])
def test_a_served_demo_stands_where_its_story_ends_unless_a_clock_is_given(
    environ: pytest.MonkeyPatch,
    ran: list[Any],
    tmp_path: Path,
    given: tuple[str, ...],
    expected_s: float | None,
) -> None:
    seeded = _Seeded()
    environ.setattr(cli_main, "_seed", lambda *_: (seeded, seeded))
    url = f"sqlite:///{tmp_path / 'served.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "serve", "--demo", *given])
    assert result.exit_code == 0, result.output
    assert len(ran) == 1
    offset_s = ServeSettings.from_env().clock_offset_s
    if expected_s is not None:
        assert offset_s == expected_s
        return
    # The workers' clock: the story's last moment (in 2027), running on from there.
    served_now = datetime.now(UTC) + timedelta(seconds=offset_s)
    assert abs((served_now - demo_compliance.STORY_ENDS).total_seconds()) < 60
    assert "where the story ends" in result.output
