"""The sink endpoints: the whole path over HTTP, and refusals as problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sinks_api_support import PROJECT, Api
from sinks_world import build, grant_energy, unit_g

from api_support import api_for
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    app = api_for(w.app)
    with TestClient(app) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def test_sinks_over_http_from_registration_to_my_credits(api: Api) -> None:
    w = api.w
    grant_energy(w, {"alice": 3 * unit_g(), "bob": unit_g()})
    api.ok("forestco", "/sinks/projects", PROJECT)
    api.refused("alice", "/sinks/projects/AFF0007/approval", {}, 403, "forbidden")
    api.ok("reg", "/sinks/projects/AFF0007/approval", {})
    body = {"account": w.people["alice"], "units": 3}
    first = api.post("alice", "/sinks/projects/AFF0007/sponsorships", body, key="sp-a")
    replay = api.post("alice", "/sinks/projects/AFF0007/sponsorships", body, key="sp-a")
    assert first.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    api.refused(
        "bob",
        "/sinks/projects/AFF0007/sponsorships",
        {"account": w.people["bob"], "units": 2},
        409,
        "insufficient_balance",
    )
    api.ok("bob", "/sinks/projects/AFF0007/sponsorships", {"account": w.people["bob"], "units": 1})

    period = {"period_start": "2026-07-01", "period_end": "2026-09-30", "removals_g": 100_000_003}
    api.refused("forestco", "/sinks/projects/AFF0007/reports", period, 409, "period_not_ended")
    api.at(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    report = api.ok("forestco", "/sinks/projects/AFF0007/reports", period, key="report-1")
    decision = f"/sinks/reports/{report['report_id']}/decision"
    api.refused("forestco-mrv", decision, {"approve": True}, 403, "own_project")
    api.ok("cqc", decision, {"approve": True, "reason": "re-measured"})
    api.refused("forestco", "/sinks/projects/AFF0007/reports", period, 409, "period_overlap")
    issuances = f"/sinks/reports/{report['report_id']}/issuances"
    api.refused("reg", issuances, {"quantity_g": 100_000_004}, 409, "exceeds_verified")
    issued = api.ok("reg", issuances, {}, key="issue-1")
    assert issued["buffer_g"] + issued["attributed_g"] + issued["unissued_g"] == 100_000_003
    # Per unit (issue 11): 4 of the project's 100 units are sponsored, so their share is
    # floor(100,000,003 × 4 / 100) g; the buffer insures 20 % of it, the sponsors get the
    # rest, and the removals of the other 96 units stay with the project, unissued.
    assert (issued["buffer_g"], issued["attributed_g"]) == (800_000, 3_200_000)
    assert issued["unissued_g"] == 96_000_003
    assert issued["project_units"] == 100
    assert issued["sponsors"] == 2

    mine = api.client.get("/me/sinks", headers=api.headers["alice"]).json()
    (project,) = mine["items"]
    assert project["units"] == 3 and project["energy_g"] == 3 * unit_g()
    assert project["credited_g"] == project["credits"][0]["available_g"] > 0
    rev = api.ok(
        "reg", "/sinks/projects/AFF0007/reversals", {"loss_g": 1_000, "cause": "fire"}, key="f"
    )
    # The credits (4 % of the removals) stand for ⌈1,000 × 4,000,000 / 100,000,003⌉ = 40 g
    # of the loss, which the buffer covers; the other 960 g fell on unsponsored units.
    assert (rev["issued_loss_g"], rev["uncredited_loss_g"]) == (40, 960)
    assert (rev["covered_g"], rev["shortfall_g"]) == (40, 0)


def test_malformed_or_ineligible_projects_are_refused_with_their_codes(api: Api) -> None:
    bad = {**PROJECT, "parcels": []}
    response = api.post("forestco", "/sinks/projects", bad)
    assert response.status_code == 422
    wetland = {**PROJECT, "parcels": [{**PROJECT["parcels"][0], "wetland": True}]}
    api.refused("forestco", "/sinks/projects", wetland, 422, "parcel_wetland")
