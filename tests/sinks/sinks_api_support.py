"""The sink endpoints as the HTTP tests drive them: ``Api`` logs every party in and posts
as one of them; ``PROJECT`` is the test project as a registration body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sinks_world import SinkWorld, journal_length, sink_rows, unit_g

from identity_support import bearer, create_logins

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
