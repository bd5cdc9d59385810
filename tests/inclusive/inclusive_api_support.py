"""The carbon-inclusive endpoints as the HTTP tests drive them: ``Api`` logs every party
in and posts as one of them; ``JUNE`` is June's issuance as a request body.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from inclusive_world import NOW, World, journal_length

from identity_support import bearer, create_logins
from pctrade.rules import shipped

PASSWORD = "correct horse battery"
GD = shipped().in_force("GD", NOW.date())
MIN_G = GD.require_carbon_inclusive().person_min_g
JUNE = {"jurisdiction": "GD", "period_start": "2026-06-01", "period_end": "2026-06-30"}


class Api:
    def __init__(self, client: TestClient, w: World) -> None:
        self.client = client
        self.w = w
        self.headers: dict[str, dict[str, str]] = {}
        parties = ("reg", "cqc", "greenplat-audit", *w.people)
        create_logins(w.app, parties, PASSWORD)
        for party in parties:
            self.headers[party] = bearer(w.app, party, PASSWORD)

    def post(self, who: str, path: str, body: Any, key: str | None = "k") -> Any:
        headers = dict(self.headers[who])
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client.post(path, json=body, headers=headers)

    def ok(self, who: str, path: str, body: Any, key: str = "k") -> Any:
        response = self.post(who, path, body, key)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def refused(self, who: str, path: str, body: Any, status: int, code: str) -> None:
        before = journal_length(self.w.store)
        response = self.post(who, path, body, key="refused")
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code
        assert journal_length(self.w.store) == before

    def get(self, who: str, path: str) -> Any:
        response = self.client.get(path, headers=self.headers[who])
        assert response.status_code == 200, response.text
        return response.json()
