"""The sink endpoints: the whole path over HTTP, and refusals as problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sinks_world import SinkWorld, build, grant_energy, journal_length, sink_rows, unit_g

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore

PASSWORD = "correct horse battery"
PROJECT: dict[str, Any] = {
    "code": "AFF0007",
    "name": "梅州造林",
    "project_type": "afforestation",
    "jurisdiction": "GD",
    "forest_type": "chinese_fir",
    "parcels": [{"parcel_id": "MZ-01", "area_m2": 1_000_000, "years_not_forest": 10}],
    "crediting_start": "2026-01-01",
    "crediting_end": "2045-12-31",
    "unit_energy_g": unit_g(100),  # the published standard for this project's 100 units
    "units_offered": 100,
    "affiliates": ["forestco-mrv"],
    "stand_age_y": 6,
}


class Api:
    def __init__(self, client: TestClient, w: SinkWorld) -> None:
        self.client = client
        self.w = w
        self.headers: dict[str, dict[str, str]] = {}
        create_logins(w.app, self.parties, PASSWORD)
        self.login()

    @property
    def parties(self) -> tuple[str, ...]:
        return ("reg", "forestco", "cqc", "forestco-mrv", *self.w.people)

    def login(self) -> None:
        for party in self.parties:
            self.headers[party] = bearer(self.w.app, party, PASSWORD)

    def at(self, moment: datetime) -> None:
        """Move the clock (reports come after their period) and log everyone in again."""
        self.w.clock.now = moment
        self.login()

    def post(self, who: str, path: str, body: Any, key: str = "k") -> Any:
        headers = {**self.headers[who], "Idempotency-Key": key}
        return self.client.post(path, json=body, headers=headers)

    def ok(self, who: str, path: str, body: Any, key: str = "k") -> Any:
        response = self.post(who, path, body, key)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def refused(self, who: str, path: str, body: Any, status: int, code: str) -> None:
        before = (journal_length(self.w.store), sink_rows(self.w.store))
        response = self.post(who, path, body, key="refused")
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
        assert (journal_length(self.w.store), sink_rows(self.w.store)) == before


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
