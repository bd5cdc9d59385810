"""The sink endpoints as the HTTP tests drive them: ``Api`` logs every party in and posts
as one of them; ``PROJECT`` is the test project as a registration body.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sinks_world import SinkWorld, journal_length, sink_rows, unit_g

from identity_support import PartyApi

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


class Api(PartyApi):
    def __init__(self, client: TestClient, w: SinkWorld) -> None:
        self.w = w
        parties = ("reg", "forestco", "cqc", "forestco-mrv", *w.people)
        super().__init__(client, w.app, parties)

    def at(self, moment: datetime) -> None:
        """Move the clock (reports come after their period) and log everyone in again."""
        self.w.clock.now = moment
        self.login()

    def snapshot(self) -> object:
        return (journal_length(self.w.store), sink_rows(self.w.store))
