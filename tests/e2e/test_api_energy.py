"""Behaviour ingestion and green energy over HTTP: partners submit, people read energy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from api_world import World
from fastapi.testclient import TestClient

from api_support import api_for
from pctrade.bootstrap import App
from pctrade.energy import service as energy
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.ingest import events_dir, store_day_reports
from pctrade.energy.pipeline import quantify_file
from pctrade.ledger.service import Registry

DAY = date(2026, 6, 30)  # the day before the test clock's 2026-07-01
START_MS = day_window(DAY, 0).start_ms + 8 * 3_600_000


@pytest.fixture
def client(wired: App) -> Iterator[TestClient]:
    with TestClient(api_for(wired)) as test_client:
        yield test_client


def event(n: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_id": f"E{n}", "person_id": "alice", "behaviour": "metro_km",
        "start_ms": START_MS + n * 3_600_000, "end_ms": START_MS + n * 3_600_000 + 1_800_000,
        "quantity": 12, "unit": "km",
    }  # fmt: skip
    values.update(fields)
    return values


def jsonl(*rows: dict[str, Any] | str) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


def submit(world: World, who: str, body: bytes) -> Any:
    headers = {**world.headers[who], "Content-Type": "application/x-ndjson"}
    return world.client.post("/behaviour/events", content=body, headers=headers)


def test_a_partner_submits_events_and_every_rejection_has_a_reason_code(world: World) -> None:
    body = jsonl(
        event(0),
        event(1, behaviour="teleport"),
        "{not json",
        event(3, quantity=1.5),
        event(4, end_ms=START_MS),  # ends before it starts
        event(5, partner_id="someone_else"),
        event(6),
        event(6, quantity=13),  # same id, different content
    )
    response = submit(world, "plat-key", body)
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["received"], report["accepted"]) == (8, 1)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert reasons == {
        2: "unknown_behaviour",
        3: "bad_json_row",
        4: "bad_value",
        5: "end_before_start",
        6: "partner_mismatch",
        7: "duplicate_event_conflict",
        8: "duplicate_event_conflict",
    }
    again = submit(world, "plat-key", body).json()
    assert again == report  # resubmission is harmless
    fetched = world.get("plat-key", f"/behaviour/reports/{report['batch_id']}")
    assert fetched.json() == report
    assert world.get("alice", f"/behaviour/reports/{report['batch_id']}").status_code == 403
    assert world.get("plat-key", "/behaviour/reports/nosuchbatch").status_code == 404


def test_only_data_partners_submit_events(world: World) -> None:
    response = submit(world, "alice", jsonl(event(0)))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_my_energy_shows_the_balance_and_traceable_lines(world: World, tmp_path: Path) -> None:
    assert submit(world, "plat-key", jsonl(event(0), event(1))).json()["accepted"] == 2
    [batch] = list(events_dir(tmp_path / "data").glob("plat/*.parquet"))
    registry: Registry = world.client.app.state.app.registry  # type: ignore[attr-defined]
    result = quantify_file(batch, DAY, as_of_ms=day_window(DAY, 0).end_ms)
    energy.post_day(registry, result)
    response = world.get("alice", "/me/energy", day_from="2026-06-30", day_to="2026-06-30")
    assert response.status_code == 200, response.text
    body = response.json()
    # 24 km × 46.8 g/km = 1,123.2 g, cut to the metro methodology's daily cap of 1,000 g,
    # credited uncollected: it waits, and its credit says when it lapses.
    assert body["uncollected_g"] == body["credited_g"] == 1_000 and body["available_g"] == 0
    [pending] = body["pending"]["credits"]
    assert pending["credited_g"] == 1_000 and pending["expires_at"] > pending["credited_at"]
    assert body["pending"]["collectable_g"] == 1_000
    [line] = body["lines"]
    assert (line["methodology"], line["factor_ug_per_unit"], line["events_n"]) == (
        "metro/v1",
        46_800,
        2,
    )
    assert (line["avoided_ug"], line["cap_forfeit_ug"]) == (1_123_200_000, 123_200_000)
    assert line["cap_flag"] == "over_daily_cap"
    assert body["innate"]["tradable"] is False and body["innate"]["entitlement_g"] > 0


def test_my_energy_refuses_a_range_that_ends_before_it_starts(world: World) -> None:
    response = world.get("alice", "/me/energy", day_from="2026-06-30", day_to="2026-06-01")
    assert response.status_code == 422
    assert response.json()["code"] == "bad_range"


# ---- across days, day reports, spending -------------------------------------------------
def credit_day(world: World, tmp_path: Path, *events: dict[str, Any]) -> None:
    """Submit, quantify and post DAY as `pctrade behaviour quantify` would."""
    assert submit(world, "plat-key", jsonl(*events)).status_code == 201
    registry: Registry = world.client.app.state.app.registry  # type: ignore[attr-defined]
    [batch] = list(events_dir(tmp_path / "data").glob("plat/*.parquet"))
    result = quantify_file(
        batch,
        DAY,
        as_of_ms=day_window(DAY, 0).end_ms,
        seen=energy.judged_before(registry.store, DAY),
        day_credited=energy.is_day_credited(registry.store, DAY),
    )
    energy.post_day(registry, result)
    store_day_reports(tmp_path / "data", result)


def test_a_batch_refuses_events_already_credited_and_late_ones_line_by_line(
    world: World, tmp_path: Path
) -> None:
    credit_day(world, tmp_path, event(0), event(1, unit="mile"))
    response = submit(
        world,
        "plat-key",
        jsonl(event(0), event(0, event_id="E9", person_id="bob"), event(2), event(0, quantity=3)),
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert {r["line"]: r["reason"] for r in report["rejected"]} == {
        1: "duplicate_event_processed",
        2: "day_already_credited",
        3: "day_already_credited",
        4: "duplicate_event_processed_conflict",
    }
    assert report["accepted"] == 0


def test_a_partner_reads_its_day_report(world: World, tmp_path: Path) -> None:
    credit_day(world, tmp_path, event(0), event(1, unit="mile"), event(2, quantity=90))
    response = world.get("plat-key", "/behaviour/days/2026-06-30/report")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["partner_id"], report["events_n"], report["judged_n"]) == ("plat", 2, 2)
    assert report["by_reason"] == {"held": {"implausible_speed": 1}}
    assert report["flagged_n"] == 1 and report["anomalous"] is False  # 2 events: too few
    as_mee = world.get("mee", "/behaviour/days/2026-06-30/report", partner_id="plat")
    assert as_mee.json() == report
    as_alice = world.get("alice", "/behaviour/days/2026-06-30/report", partner_id="plat")
    assert as_alice.status_code == 403
    other_day = world.get("plat-key", "/behaviour/days/2026-06-29/report")
    assert (other_day.status_code, other_day.json()["code"]) == (404, "unknown_report")


def spend(world: World, who: str, quantity: Any, key: str | None = None) -> Any:
    body = {"quantity_g": quantity, "purpose": "redeem", "reference": "coupon-1"}
    return world.post(who, "/me/energy/spend", body, key=key)


def collect(world: World, who: str, body: dict[str, Any], key: str | None = None) -> Any:
    return world.post(who, "/energy/collections", body, key=key)


def test_a_person_collects_energy_once_with_stable_error_codes(
    world: World, tmp_path: Path
) -> None:
    credit_day(world, tmp_path, event(0))  # 12 km of metro: 561 g
    waiting = world.get("alice", "/energy/pending")
    assert waiting.status_code == 200, waiting.text
    assert (waiting.json()["collectable_g"], waiting.json()["lapsing_g"]) == (561, 0)
    alice = world.accounts["alice"]
    assert world.get("bob", "/energy/pending", account=alice).status_code == 403
    refused = collect(world, "bob", {"account": alice})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_your_account")
    nobody = collect(world, "steelco", {})
    assert (nobody.status_code, nobody.json()["code"]) == (404, "unknown_account")
    done = collect(world, "alice", {}, key="collect-1")
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["collected_g"], body["lapsed_g"], body["available_g"]) == (561, 0, 561)
    again = collect(world, "alice", {}, key="collect-1")
    assert again.json()["entry"] == body["entry"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    empty = collect(world, "alice", {"account": alice})
    assert (empty.status_code, empty.json()["code"]) == (409, "nothing_to_collect")
    st = world.get("alice", "/me/energy", day_from="2026-06-30", day_to="2026-06-30").json()
    assert (st["uncollected_g"], st["available_g"], st["pending"]["credits"]) == (0, 561, [])


def test_a_person_spends_energy_once_with_stable_error_codes(world: World, tmp_path: Path) -> None:
    credit_day(world, tmp_path, event(0))  # 12 km of metro: 561 g
    uncollected = spend(world, "alice", 1)  # only collected energy is spent
    assert (uncollected.status_code, uncollected.json()["code"]) == (409, "insufficient_balance")
    assert collect(world, "alice", {}).status_code == 201
    no_key = world.client.post(
        "/me/energy/spend",
        json={"quantity_g": 1, "purpose": "redeem", "reference": "r"},
        headers=world.headers["alice"],
    )
    assert (no_key.status_code, no_key.json()["code"]) == (400, "idempotency_key_required")
    for bad in (0, -5):
        response = spend(world, "alice", bad)
        assert (response.status_code, response.json()["code"]) == (422, "non_positive")
    assert spend(world, "alice", 1.5).status_code == 422
    too_much = spend(world, "alice", 562)
    assert (too_much.status_code, too_much.json()["code"]) == (409, "insufficient_balance")
    nobody = spend(world, "steelco", 1)
    assert (nobody.status_code, nobody.json()["code"]) == (404, "unknown_account")
    done = spend(world, "alice", 500, key="spend-1")
    assert done.status_code == 201, done.text
    assert (done.json()["spent_g"], done.json()["available_g"]) == (500, 61)
    again = spend(world, "alice", 500, key="spend-1")
    assert again.json()["entry"] == done.json()["entry"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    st = world.get("alice", "/me/energy", day_from="2026-06-30", day_to="2026-06-30").json()
    assert (st["available_g"], st["spent_g"]) == (61, 500)
    reused = spend(world, "alice", 1, key="spend-1")
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
