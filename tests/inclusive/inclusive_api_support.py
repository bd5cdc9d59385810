"""The carbon-inclusive endpoints as the HTTP tests drive them: ``Api`` logs every party
in and posts as one of them; ``JUNE`` is June's issuance as a request body.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from inclusive_world import NOW, World, journal_length

from identity_support import PartyApi
from pctrade.rules import shipped

GD = shipped().in_force("GD", NOW.date())
MIN_G = GD.require_carbon_inclusive().person_min_g
JUNE = {"jurisdiction": "GD", "period_start": "2026-06-01", "period_end": "2026-06-30"}


class Api(PartyApi):
    def __init__(self, client: TestClient, w: World) -> None:
        self.w = w
        super().__init__(client, w.app, ("reg", "cqc", "greenplat-audit", *w.people))

    def snapshot(self) -> object:
        return journal_length(self.w.store)
