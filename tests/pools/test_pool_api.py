"""Pools over HTTP: writes with Idempotency-Key, refusals as problem+json, the reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pool_world import PEOPLE, PLATFORM, PoolWorld, build

from api_support import api_for
from identity_support import PartyApi
from pctrade.api.deps import REPLAYED_HEADER
from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

TERMS = {
    "admitted": ["PCER-GD"],
    "fee_bps": 500,
    "floor_fen_per_t": 3_000,
    "draw_order": "pro_rata",
    "sale_schedule": "monthly",
    "payout_delay_days": 5,
    "withdrawal_notice_days": 0,
    "lock_in_days": 30,
}


class Api(PartyApi):
    ok_status = 201

    def __init__(self, client: TestClient, w: PoolWorld) -> None:
        self.w = w
        super().__init__(client, w.app, ("reg", PLATFORM, *PEOPLE))

    def snapshot(self) -> object:
        return everything(self.w.store)


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    with TestClient(api_for(w.app)) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def _open(api: Api, terms: dict[str, Any] = TERMS) -> str:
    body = {
        "platform_account": api.w.platform_account,
        "jurisdiction": "GD",
        "name": "Green pool",
        "terms": terms,
    }
    entry = api.ok(PLATFORM, "/pools", body, "open-1")
    assert entry["op_type"] == "pool_terms"
    assert entry["payload"]["rule_set"] == "GD/2022-05-06"
    return str(entry["payload"]["pool_id"])


def test_a_pool_is_opened_deposited_into_and_shown_without_personal_data(api: Api) -> None:
    pool_id = _open(api)
    alice = api.w.people["alice"]
    body = {"account": alice, "asset": api.w.pcer, "quantity_g": 20_000, "terms_version": 1}
    first = api.post("alice", f"/pools/{pool_id}/deposits", body, "dep-1")
    assert first.status_code == 201, first.text
    again = api.post("alice", f"/pools/{pool_id}/deposits", body, "dep-1")
    assert again.json()["seq"] == first.json()["seq"]
    assert again.headers.get(REPLAYED_HEADER) == "true"
    assert first.headers.get(REPLAYED_HEADER) is None
    bob = {"account": api.w.people["bob"], "asset": api.w.pcer, "quantity_g": 5_000}
    api.ok("bob", f"/pools/{pool_id}/deposits", bob, "dep-2")
    page = api.get("chen", f"/pools/{pool_id}")
    assert (page["contributors"], page["deposited_g"], page["unsold_g"]) == (2, 25_000, 25_000)
    assert page["fee_bps"] == 500 and page["floor_fen_per_t"] == 3_000
    text = str(page)
    assert "alice" not in text and str(alice) not in text  # aggregates only
    mine = api.get("alice", f"/accounts/{alice}/pool-deposits")["items"]
    assert [(d["quantity_g"], d["remaining_g"], d["terms_version"]) for d in mine] == [
        (20_000, 20_000, 1)
    ]
    api.get("bob", f"/accounts/{alice}/pool-deposits", status=403)
    listed = api.get("chen", "/pools")["items"]
    assert [p["pool_id"] for p in listed] == [pool_id]


def test_terms_versions_consent_and_the_regulators_fee_view(api: Api) -> None:
    pool_id = _open(api)
    alice = api.w.people["alice"]
    body = {"account": alice, "asset": api.w.pcer, "quantity_g": 1_000}
    api.ok("alice", f"/pools/{pool_id}/deposits", body, "dep-1")
    changed = {"terms": {**TERMS, "fee_bps": 300}, "apply_to_existing": True}
    api.refused(PLATFORM, f"/pools/{pool_id}/terms", changed, 409, "consent_required")
    api.ok(PLATFORM, f"/pools/{pool_id}/terms", {"terms": {**TERMS, "fee_bps": 300}}, "t-2")
    versions = api.get("alice", f"/pools/{pool_id}/terms")
    assert [(v["version"], v["terms"]["fee_bps"]) for v in versions] == [(1, 500), (2, 300)]
    api.ok("alice", f"/pools/{pool_id}/consents", {"account": alice, "version": 2}, "c-1")
    fees = api.get("reg", "/regulator/pools/fees")["items"]
    assert [(f["pool_id"], f["fee_bps"], f["payout_delay_days"]) for f in fees] == [
        (pool_id, 300, 5)
    ]
    api.get("alice", "/regulator/pools/fees", status=403)


def test_bad_input_is_refused_with_its_code_over_http(api: Api) -> None:
    body = {
        "platform_account": api.w.platform_account,
        "jurisdiction": "GD",
        "name": "Greedy pool",
        "terms": {**TERMS, "fee_bps": 1_500},
    }
    api.refused(PLATFORM, "/pools", body, 409, "fee_above_cap")
    body["terms"] = {**TERMS, "lock_in_days": 365}
    api.refused(PLATFORM, "/pools", body, 409, "terms_manifestly_unfair")
    pool_id = _open(api)
    alice = api.w.people["alice"]
    big = {"account": alice, "asset": api.w.pcer, "quantity_g": 10**9}
    api.refused("alice", f"/pools/{pool_id}/deposits", big, 409, "insufficient_balance")
    api.refused("alice", "/pools/POOL-GD-0042/deposits", big, 404, "unknown_pool")
    mine = {"account": alice, "asset": api.w.pcer, "quantity_g": 1_000}
    api.ok("alice", f"/pools/{pool_id}/deposits", mine, "dep-1")
    out = {"account": alice, "quantity_g": 1_000}
    api.refused("alice", f"/pools/{pool_id}/withdrawals", out, 409, "pool_units_locked")
    more = {"account": alice, "quantity_g": 1_001}
    api.refused("alice", f"/pools/{pool_id}/withdrawals", more, 409, "pool_units_sold")
    new_terms = {"terms": {**TERMS, "fee_bps": 100}}
    api.refused("alice", f"/pools/{pool_id}/terms", new_terms, 403, "not_pool_platform")
    no_key = api.post("alice", f"/pools/{pool_id}/withdrawals", out, key=None)
    assert no_key.status_code == 400
