"""Compliance over HTTP: caps, allocation runs with preview, reports; refusals as
problem+json with the domain's code, nothing written; writes replayed by their key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from compliance_world import (
    AFFILIATED,
    EMITTERS,
    INDIVIDUAL,
    REGULATOR,
    VERIFIER,
    ComplianceWorld,
    build,
)
from fastapi.testclient import TestClient

from api_support import api_for
from identity_support import PartyApi
from pctrade.api.deps import REPLAYED_HEADER
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

ALLOC = "/compliance/allocations"
REPORTS = "/compliance/reports"
COAL = {"name": "coal", "activity_units": 1_000, "unit": "kg", "factor_mg_per_unit": 2_661}


class Api(PartyApi):
    ok_status = 201

    def __init__(self, client: TestClient, w: ComplianceWorld) -> None:
        self.w = w
        parties = (REGULATOR, VERIFIER, AFFILIATED, INDIVIDUAL, *EMITTERS)
        super().__init__(client, w.app, parties)

    def snapshot(self) -> object:
        return everything(self.w.store)


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    with TestClient(api_for(w.app)) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def _run(api: Api, kind: str, units: int, jurisdiction: str = "CN") -> dict[str, Any]:
    a = api.w.accounts["plant-a"]
    unit = {"account": a, "unit_type": "gas", "output": "supply_g_per_mwh", "output_units": units}
    return {"jurisdiction": jurisdiction, "period": "2025", "kind": kind, "installations": [unit]}


def test_a_cap_and_a_run_with_its_preview_over_http(api: Api) -> None:
    cap = {"jurisdiction": "GD", "period": "2025", "cap_g": 1_000_000_000}
    entry = api.ok(REGULATOR, "/compliance/caps", cap, "cap-1")
    assert entry["op_type"] == "compliance_cap"
    replay = api.post(REGULATOR, "/compliance/caps", cap, "cap-1")
    assert replay.status_code == 201 and replay.headers[REPLAYED_HEADER] == "true"
    api.refused(REGULATOR, "/compliance/caps", cap, 409, "cap_exists")
    api.refused("plant-a", "/compliance/caps", {**cap, "period": "2026"}, 403, "forbidden")

    preview = api.ok(
        REGULATOR, "/compliance/allocations/preview", _run(api, "free", 1_000, "GD"), "p", 200
    )
    grams = 380_000 * 1_000  # GD's gas benchmark in the test rule book
    assert preview["lines"][0]["granted_g"] == grams
    assert preview["reserve_g"] == 1_000_000_000 - grams
    api.refused(
        REGULATOR,
        "/compliance/allocations",
        _run(api, "free", 10_000, "GD"),
        409,
        "allocation_exceeds_cap",
    )
    api.refused(
        REGULATOR, "/compliance/allocations", _run(api, "gift", 1, "GD"), 422, "bad_allocation_kind"
    )
    api.refused(REGULATOR, "/compliance/allocations", _run(api, "free", 1, "CN"), 409, "no_cap")
    run = api.ok(REGULATOR, "/compliance/allocations", _run(api, "free", 1_000, "GD"), "run-1")
    assert run["op_type"] == "compliance_allocate"
    auction = {"jurisdiction": "GD", "period": "2025", "kind": "auction", "auctioned_g": 5_000}
    api.ok(REGULATOR, ALLOC, auction, "run-2")
    shown = api.get(INDIVIDUAL, "/compliance/caps/GD/2025")
    assert (shown["free_g"], shown["auctioned_g"]) == (grams, 5_000)
    assert shown["reserve_g"] == 1_000_000_000 - grams - 5_000
    assert [r["kind"] for r in shown["runs"]] == ["free", "auction"]
    api.get(REGULATOR, "/compliance/caps/GD/2030", status=404)


def test_a_report_over_http_with_its_refusals(api: Api) -> None:
    a = api.w.accounts["plant-a"]
    body = {
        "jurisdiction": "CN",
        "period": "2025",
        "account": a,
        "streams": [COAL],
        "affiliates": [AFFILIATED],
    }
    bad = {**COAL, "activity_units": 1.5}
    api.refused("plant-a", REPORTS, {**body, "streams": [bad]}, 422, "not_integer")
    negative = {**COAL, "activity_units": -3}
    api.refused(
        "plant-a", "/compliance/reports", {**body, "streams": [negative]}, 422, "negative_activity"
    )
    api.refused("plant-b", "/compliance/reports", body, 403, "not_owner")
    entry = api.ok("plant-a", "/compliance/reports", body, "r-1")
    report_id = entry["payload"]["report_id"]
    path = f"/compliance/reports/{report_id}"
    api.refused(
        AFFILIATED, f"{path}/verification", {"verified_g": 2_661}, 403, "verifier_affiliated"
    )
    api.refused(VERIFIER, f"{path}/verification", {"verified_g": 26.5}, 422, "not_integer")
    api.refused(REGULATOR, f"{path}/confirmation", {}, 409, "wrong_report_state")
    api.refused(VERIFIER, f"{path}/send-back", {"reason": " "}, 422, "missing_reason")
    api.ok(VERIFIER, f"{path}/send-back", {"reason": "meter data missing"}, "sb-1")
    api.ok("plant-a", "/compliance/reports", body, "r-2")
    api.ok(VERIFIER, f"{path}/verification", {"verified_g": 2_661}, "v-1")
    api.ok(REGULATOR, f"{path}/confirmation", {}, "c-1")
    shown = api.get("plant-a", path)
    assert shown["state"] == "confirmed" and shown["confirmed_g"] == 2_661
    assert [s["step"] for s in shown["steps"]] == [
        "submit",
        "send_back",
        "submit",
        "verify",
        "confirm",
    ]
    api.get("plant-b", path, status=403)
    api.get("plant-a", "/compliance/reports/ER-CN-2025-999999", status=404)
