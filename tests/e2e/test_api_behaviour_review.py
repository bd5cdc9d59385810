"""Review of held behaviour events over HTTP: an authority lists, releases, rejects, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from api_world import World, assert_refused
from fastapi.testclient import TestClient

from api_support import api_for
from pctrade.bootstrap import App
from pctrade.energy import service as energy
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.ingest import events_dir
from pctrade.energy.pipeline import quantify_file
from pctrade.ledger.service import Registry

DAY = date(2026, 6, 30)  # the day before the test clock's 2026-07-01
HOUR_MS = 3_600_000
START_MS = day_window(DAY, 0).start_ms


@pytest.fixture
def client(wired: App) -> Iterator[TestClient]:
    with TestClient(api_for(wired)) as test_client:
        yield test_client


def ride(event_id: str, start_h: float, **fields: Any) -> dict[str, Any]:
    start = START_MS + int(start_h * HOUR_MS)
    values: dict[str, Any] = {
        "event_id": event_id, "person_id": "alice", "behaviour": "metro_km",
        "start_ms": start, "end_ms": start + HOUR_MS // 2, "quantity": 12, "unit": "km",
    }  # fmt: skip
    values.update(fields)
    return values


@pytest.fixture
def held_day(world: World, tmp_path: Path) -> World:
    """Alice: one ride credited (561 g) and two overlapping rides held; Bob: one too fast."""
    rides = [ride("A1", 8), ride("A2", 12), ride("A3", 12.2), ride("B1", 9, person_id="bob",
             quantity=90)]  # fmt: skip
    body = "\n".join(json.dumps(r) for r in rides).encode()
    headers = {**world.headers["plat-key"], "Content-Type": "application/x-ndjson"}
    assert world.client.post("/behaviour/events", content=body, headers=headers).status_code == 201
    registry: Registry = world.client.app.state.app.registry  # type: ignore[attr-defined]
    [batch] = list(events_dir(tmp_path / "data").glob("plat/*.parquet"))
    energy.post_day(registry, quantify_file(batch, DAY, as_of_ms=day_window(DAY, 0).end_ms))
    return world


def path(event_id: str) -> str:
    return f"/behaviour/held/plat/{event_id}/decision"


def available(world: World, who: str) -> int:
    """The person's energy not spent nor lapsed: credited energy waits uncollected."""
    body = world.get(who, "/me/energy", day_from="2026-06-30", day_to="2026-06-30").json()
    return int(body["uncollected_g"]) + int(body["available_g"])


def test_an_authority_lists_a_days_held_events(held_day: World) -> None:
    response = held_day.get("mee", "/behaviour/held", day="2026-06-30")
    assert response.status_code == 200, response.text
    held = {h["event_id"]: h for h in response.json()["held"]}
    assert sorted(held) == ["A2", "A3", "B1"]
    assert held["A2"]["reason"] == "overlapping_trip" and held["A2"]["decision"] is None
    assert held["B1"]["avoided_ug"] == 90_000 * 46_800
    other = held_day.get("mee", "/behaviour/held", day="2026-06-30", partner="x")
    assert other.json()["held"] == []
    refused = held_day.get("alice", "/behaviour/held", day="2026-06-30")
    assert refused.status_code == 403


def test_held_events_are_paged_by_cursor(held_day: World) -> None:
    whole = held_day.get("mee", "/behaviour/held", day="2026-06-30").json()
    assert whole["next_cursor"] is None
    paged, cursor = [], None
    while True:
        params = {"day": "2026-06-30", "limit": 1}
        page = held_day.get(
            "mee", "/behaviour/held", **params, **({"cursor": cursor} if cursor else {})
        )
        paged += page.json()["held"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert paged == whole["held"] and len(paged) == 3
    too_many = held_day.get("mee", "/behaviour/held", day="2026-06-30", limit=1_001)
    assert too_many.status_code == 422


def test_a_release_credits_the_room_left_and_shows_on_the_statement(held_day: World) -> None:
    release = {"decision": "release", "reason": "one card, two gates"}
    response = held_day.post("registry", path("A2"), release, key="rel-a2")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["decision"], body["credited_g"], body["cap_flag"]) == (
        "released",
        1_000 - 561,
        "over_daily_cap",
    )
    assert available(held_day, "alice") == 1_000
    lines = held_day.get("alice", "/me/energy", day_from="2026-06-30", day_to="2026-06-30")
    released = [ln for ln in lines.json()["lines"] if ln["seq"] == body["seq"]]
    assert [(ln["methodology"], ln["factor_ug_per_unit"], ln["events_n"]) for ln in released] == [
        ("metro/v1", 46_800, 1)
    ]
    again = held_day.post("registry", path("A2"), release, key="rel-a2")
    assert again.status_code == 201 and again.json() == body
    assert again.headers["Idempotent-Replayed"] == "true"
    assert available(held_day, "alice") == 1_000
    refused = assert_refused(
        held_day, "mee", path("A2"), {"decision": "reject", "reason": "late"}, 409,
        "already_decided",
    )  # fmt: skip
    assert "A2" in refused["detail"]
    verify = held_day.get("registry", "/verify")
    assert verify.status_code == 200 and verify.json()["ok"] is True


def test_a_rejection_credits_nothing(held_day: World) -> None:
    response = held_day.post("mee", path("B1"), {"decision": "reject", "reason": "too fast"})
    assert response.status_code == 201, response.text
    assert (response.json()["decision"], response.json()["seq"]) == ("rejected", None)
    assert available(held_day, "bob") == 0


def test_only_an_authority_decides_and_unknown_events_are_404(held_day: World) -> None:
    release = {"decision": "release", "reason": "ok"}
    assert_refused(held_day, "alice", path("B1"), release, 403, "forbidden")
    assert_refused(held_day, "plat", path("B1"), release, 403, "forbidden")
    assert_refused(held_day, "registry", path("NOPE"), release, 404, "unknown_event")
    assert_refused(
        held_day, "registry", path("B1"), {"decision": "keep", "reason": "?"}, 422,
        "invalid_request",
    )  # fmt: skip
    response = held_day.client.post(path("B1"), json=release, headers=held_day.headers["mee"])
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    assert available(held_day, "bob") == 0
