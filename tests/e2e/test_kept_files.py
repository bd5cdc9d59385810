"""The files behaviour ingestion keeps: in the app's data folder, recorded by the credit
that used them, and checked by ``verify`` (``energy.kept``), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from api_world import World

from pctrade import bootstrap
from pctrade.bootstrap import App, contexts
from pctrade.energy import daily
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.ingest import events_dir, report_path

DAY = date(2026, 6, 30)  # the day before the test clock's 2026-07-01
START_MS = day_window(DAY, 0).start_ms + 8 * 3_600_000


def event(n: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_id": f"E{n}", "person_id": "alice", "behaviour": "metro_km",
        "start_ms": START_MS + n * 3_600_000, "end_ms": START_MS + n * 3_600_000 + 1_800_000,
        "quantity": 12, "unit": "km",
    }  # fmt: skip
    values.update(fields)
    return values


def submit(world: World, *events: dict[str, Any]) -> dict[str, Any]:
    body = "\n".join(json.dumps(e) for e in events).encode()
    headers = {**world.headers["plat-key"], "Content-Type": "application/x-ndjson"}
    response = world.client.post("/behaviour/events", content=body, headers=headers)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def run_day(app: App) -> daily.DayRun:
    return daily.run_day(app.registry, app.rules, app.data_dir, DAY, now=app.clock())


def recorded(app: App, seq: int) -> dict[str, str]:
    with app.store.reader() as uow:
        entry = uow.entry(seq)
    assert entry is not None
    return {f["name"]: f["sha256"] for f in entry.header.payload["kept"]}


def problems(world: World) -> list[tuple[str, int | None]]:
    """What GET /verify (the app's own data folder) finds."""
    response = world.get("registry", "/verify")
    assert response.status_code == 200, response.text
    return [(p["code"], p["seq"]) for p in response.json()["problems"]]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_credit_records_the_files_it_used_and_verify_finds_them_altered_or_missing(
    world: World, wired: App
) -> None:
    batch = submit(world, event(0), event(1))["batch_id"]
    next_day = {"start_ms": START_MS + 86_400_000, "end_ms": START_MS + 88_200_000}
    other_day = submit(world, event(2, event_id="X1", **next_day))["batch_id"]
    assert (events_dir(wired.data_dir) / "plat" / f"{other_day}.parquet").is_file()
    run = run_day(wired)
    seq = run.report.seq
    assert seq is not None and run.report.credited_g > 0
    folder = wired.data_dir
    events_file = events_dir(folder) / "plat" / f"{batch}.parquet"
    [day_report] = list((folder / "behaviour" / "reports" / "days" / DAY.isoformat()).iterdir())
    files = recorded(wired, seq)
    # The day's batch and its report, and the day report; not the other day's batch.
    assert files == {
        f"behaviour/events/plat/{batch}.parquet": sha256(events_file),
        f"behaviour/reports/{batch}.json": sha256(report_path(folder, batch)),
        day_report.relative_to(folder).as_posix(): sha256(day_report),
    }
    assert all(other_day not in name for name in files)
    assert problems(world) == []

    original = events_file.read_bytes()
    events_file.write_bytes(original + b"\0")
    assert problems(world) == [("behaviour_file_altered", seq)]
    events_file.write_bytes(original)
    day_report.unlink()
    assert problems(world) == [("behaviour_file_missing", seq)]
    # Another data folder has none of the files: each is reported missing.
    elsewhere = contexts.verify(wired.store, data_dir=folder / "elsewhere")
    assert [p.code for p in elsewhere.problems] == ["behaviour_file_missing"] * 3


def test_a_batch_sent_again_answers_its_report_and_rewrites_nothing(
    world: World, wired: App
) -> None:
    first = submit(world, event(0), event(1))
    run_day(wired)
    kept = sorted(p for p in (wired.data_dir / "behaviour").rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in kept}
    # Its events are credited now, but the batch is the same batch: its stored report.
    assert submit(world, event(0), event(1)) == first
    after = sorted(p for p in (wired.data_dir / "behaviour").rglob("*") if p.is_file())
    assert after == kept and all(p.read_bytes() == before[p] for p in kept)
    assert problems(world) == []


def test_a_rerun_of_a_credited_day_keeps_the_recorded_day_reports(world: World, wired: App) -> None:
    submit(world, event(0))
    first = run_day(wired)
    days = wired.data_dir / "behaviour" / "reports" / "days"
    reports = {p: p.read_bytes() for p in days.rglob("*.json")}
    again = run_day(wired)
    assert again.report.seq is None and again.result.rejected.num_rows == 1  # processed
    assert {p: p.read_bytes() for p in days.rglob("*.json")} == reports
    assert first.report.seq is not None and problems(world) == []


def test_a_credit_without_kept_files_records_none_and_verifies(world: World, wired: App) -> None:
    """Credits made before files were recorded (or from a file outside the data folder,
    as the demo's) have no ``kept``: nothing to check, whatever the data folder holds."""
    from pctrade.energy import service as energy
    from pctrade.energy.pipeline import quantify_file

    batch = submit(world, event(0))["batch_id"]
    path = events_dir(wired.data_dir) / "plat" / f"{batch}.parquet"
    result = quantify_file(path, DAY, as_of_ms=day_window(DAY, 0).end_ms)
    seq = energy.post_day(wired.registry, result).seq
    assert seq is not None
    with wired.store.reader() as uow:
        entry = uow.entry(seq)
    assert entry is not None and "kept" not in entry.header.payload
    path.unlink()
    assert problems(world) == []


# ---- where the data folder is ---------------------------------------------------------
def test_the_data_folder_is_the_configured_one_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(bootstrap.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    db = tmp_path / "reg" / "registry.db"
    db.parent.mkdir()
    assert bootstrap.default_data_dir(f"sqlite:///{db}") == tmp_path / "reg" / "registry-data"
    assert bootstrap.default_data_dir("sqlite:///pctrade.db") == cwd / "pctrade-data"
    server = "postgresql+psycopg://someone@db.example:5433/pctrade"
    expected = tmp_path / "share" / "pctrade" / "postgresql-db.example-5433-pctrade"
    assert bootstrap.default_data_dir(server) == expected
    monkeypatch.setenv(bootstrap.DATA_DIR_ENV, "kept")  # relative: fixed once, absolute
    assert bootstrap.default_data_dir(server) == cwd / "kept"
    monkeypatch.delenv(bootstrap.DATA_DIR_ENV)

    with bootstrap.build(f"sqlite:///{db}") as app:
        assert app.data_dir == tmp_path / "reg" / "registry-data"
        from pctrade.energy.ingest import ingest_batch

        body = json.dumps(event(0, partner_id="plat")).encode()
        report = ingest_batch("plat", body, app.data_dir, app.clock())
    assert report_path(tmp_path / "reg" / "registry-data", report.batch_id).is_file()
    assert list(cwd.iterdir()) == []  # nothing in the working directory


def test_a_recorded_name_outside_the_data_folder_is_never_read(tmp_path: Path) -> None:
    from pctrade.energy.kept import check_kept

    folder = tmp_path / "data"
    folder.mkdir()
    (tmp_path / "secret").write_bytes(b"x")
    digest = hashlib.sha256(b"x").hexdigest()
    names = ["../secret", str(tmp_path / "secret"), ""]
    found = list(check_kept(folder, 7, [{"name": n, "sha256": digest} for n in names], {}))
    assert [(p.code, p.seq) for p in found] == [("behaviour_file_missing", 7)] * 3
