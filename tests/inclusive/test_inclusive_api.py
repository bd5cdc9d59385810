"""Rule sets and the carbon-inclusive path over HTTP, and refusals as problem+json."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from inclusive_api_support import GD, JUNE, MIN_G, Api
from inclusive_world import NOW, build, credit, held

from api_support import api_for
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    credit(w, [("alice", "walking/v1", 2 * MIN_G), ("bob", "bus/v1", MIN_G - 1)])
    w.clock.now = NOW
    app = api_for(w.app)
    with TestClient(app) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def test_rule_sets_are_listed_and_shown_with_their_citations(api: Api) -> None:
    listed = api.client.get("/rules").json()["items"]
    assert GD.version in {r["version"] for r in listed}
    gd = api.client.get("/rules?jurisdiction=GD").json()["items"]
    assert [r["version"] for r in gd] == [GD.version]
    first = api.client.get("/rules?limit=1").json()
    rest = api.client.get(f"/rules?cursor={first['next_cursor']}").json()["items"]
    assert [r["version"] for r in first["items"] + rest] == [r["version"] for r in listed]
    shown = api.client.get(f"/rules/{GD.version}").json()
    ci = shown["sections"]["carbon_inclusive"]
    assert ci["person_min_g"] == MIN_G and "person_min_g" in ci["assumed"]
    assert shown["digest"] == GD.digest and "carbon_inclusive" in shown["issuance_paths"]
    assert set(ci["sources"]) <= set(shown["sources"])
    now = api.client.get("/rules/GD/in-force?on=2026-07-01").json()
    assert now["version"] == GD.version
    missing = api.client.get("/rules/GD/1999-01-01")
    assert missing.status_code == 404 and missing.json()["code"] == "no_rule_set"


def test_carbon_inclusive_over_http_from_opening_to_my_credits(api: Api) -> None:
    api.refused(
        "reg", "/inclusive/issuances", {**JUNE, "jurisdiction": "CN"}, 409, "path_not_admitted"
    )
    api.refused(
        "reg",
        "/inclusive/issuances",
        {**JUNE, "methodologies": ["e_ticket/v1"]},
        409,
        "methodology_not_admitted",
    )
    api.refused("alice", "/inclusive/issuances", JUNE, 403, "forbidden")
    opened = api.ok("reg", "/inclusive/issuances", {**JUNE, "affiliates": ["greenplat-audit"]})
    path = f"/inclusive/issuances/{opened['issuance_id']}"
    assert opened["rule_set"] == GD.version and opened["status"] == "open"
    api.refused("reg", f"{path}/issue", {}, 409, "not_verified")
    api.refused("greenplat-audit", f"{path}/decision", {"approve": True}, 403, "own_request")
    decided = api.ok("cqc", f"{path}/decision", {"approve": True})
    assert (decided["claim_people"], decided["claim_g"], decided["below_min_people"]) == (
        1,
        2 * MIN_G,
        1,
    )
    missing_key = api.post("reg", f"{path}/issue", {}, key=None)
    assert missing_key.status_code == 400
    first = api.post("reg", f"{path}/issue", {}, key="ci-1")
    again = api.post("reg", f"{path}/issue", {}, key="ci-1")
    assert first.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    batch = first.json()["batch"]
    assert held(api.w, "alice", batch) == 2 * MIN_G
    (mine,) = api.get("alice", "/me/inclusive")["items"]
    assert (mine["batch"], mine["credited_g"], mine["available_g"]) == (batch, 2 * MIN_G, 2 * MIN_G)
    assert api.get("bob", "/me/inclusive")["items"] == []
    assert api.get("reg", path)["status"] == "issued"
    table = api.get("cqc", f"{path}/attributions")
    (line,) = table["items"]
    assert (line["account_id"], line["amount_g"]) == (api.w.people["alice"], 2 * MIN_G)
    assert table["next_cursor"] is None
    forbidden = api.client.get(f"{path}/attributions", headers=api.headers["alice"])
    assert forbidden.status_code == 403
    listed = api.get("reg", "/inclusive/issuances?jurisdiction=GD")["items"]
    assert [r["issuance_id"] for r in listed] == [opened["issuance_id"]]
