"""Surrender, status and the compliance reports over HTTP: one entry per surrender with
Idempotency-Key and replay, refusals as problem+json with the domain's code and nothing
written, the reads gated to the emitter and the authorities."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from year_world import PERIOD, T, Year, build

from api_support import api_for
from identity_support import bearer, create_logins
from pctrade.api.deps import REPLAYED_HEADER
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

PASSWORD = "correct horse battery"
PARTIES = ("reg", "plant-a", "plant-b")


@pytest.fixture
def world(store: SqlStore) -> Iterator[tuple[Year, TestClient, dict[str, dict[str, str]], str]]:
    y = build(store)
    y.cap("GD", 10_000 * T)
    cea = y.allocate("GD", {"plant-a": 1_000, "plant-b": 1_000})
    y.buy_pcer("plant-a", 50 * T)
    y.confirm("plant-a", "GD", 800 * T)
    create_logins(y.app, PARTIES, PASSWORD)
    headers = {p: bearer(y.app, p, PASSWORD) for p in PARTIES}
    with TestClient(api_for(y.app)) as client:
        yield y, client, headers, cea


def _body(y: Year, units: dict[str, int]) -> dict[str, Any]:
    return {
        "account_id": y.accounts["plant-a"],
        "jurisdiction": "GD",
        "period": PERIOD,
        "units": [{"batch": b, "quantity_g": q} for b, q in units.items()],
    }


def test_surrender_over_http_and_read_back(world: Any) -> None:
    y, client, headers, cea = world
    body = _body(y, {cea: 750 * T, y.pcer: 50 * T})
    post = {**headers["plant-a"], "Idempotency-Key": "s-1"}
    first = client.post("/compliance/surrenders", json=body, headers=post)
    assert first.status_code == 201, first.text
    assert first.json()["op_type"] == "compliance_surrender"
    again = client.post("/compliance/surrenders", json=body, headers=post)
    assert again.json()["seq"] == first.json()["seq"]
    assert again.headers[REPLAYED_HEADER] == "true"

    path = f"/compliance/status/GD/{PERIOD}/{y.accounts['plant-a']}"
    status = client.get(path, headers=headers["plant-a"])
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "A" and status.json()["entries"] == [first.json()["seq"]]
    assert client.get(path, headers=headers["plant-b"]).status_code == 403

    report = client.get(f"/compliance/status/GD/{PERIOD}", headers=headers["reg"])
    assert report.json()["by_status"] == {"A": 1, "B": 0, "C": 1}
    assert (
        client.get(f"/compliance/status/GD/{PERIOD}", headers=headers["plant-a"]).status_code == 403
    )
    integrity = client.get("/compliance/integrity", headers=headers["reg"]).json()
    assert integrity["problems"] == []
    assert integrity["jurisdictions"]["GD"]["allowances"]["reconciles"]
    assert verify(y.store).ok


@pytest.mark.parametrize(
    ("units", "status", "code"),
    [
        (lambda y, cea: {cea: 700 * T, y.pcer: 81 * T}, 409, "offsets_above_cap"),
        (lambda y, cea: {cea: 801 * T}, 409, "surrender_exceeds_obligation"),
        (lambda y, cea: {"CEA-GD-ALLOC-2025-999": T}, 404, "unknown_batch"),
    ],
)
def test_refusals_over_http_write_nothing(world: Any, units: Any, status: int, code: str) -> None:
    y, client, headers, cea = world
    before = everything(y.store)
    post = {**headers["plant-a"], "Idempotency-Key": f"r-{code}"}
    response = client.post("/compliance/surrenders", json=_body(y, units(y, cea)), headers=post)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert everything(y.store) == before
