"""Opening and deciding a carbon-inclusive issuance are keyed as every write is.

Neither writes a journal entry: each is logged under the caller's key in the ledger's
request log. The same request again answers the issuance and writes nothing; another
request under the key is ``idempotency_key_reused``, also over HTTP. SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from inclusive_api_support import JUNE as JUNE_BODY
from inclusive_api_support import MIN_G, Api
from inclusive_world import JUNE, NOW, World, build, credit

from api_support import api_for
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything, reused


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[World]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def test_opening_and_deciding_replay_by_their_key_and_refuse_its_reuse(w: World) -> None:
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    w.clock.now = NOW
    ci, store = w.ci, w.store
    opened = ci.open("reg", "o-1", "GD", JUNE, affiliates=["greenplat-audit"])
    before = everything(store)
    again = ci.open("reg", "o-1", "GD", JUNE, affiliates=["greenplat-audit"])
    assert (opened.replayed, again.replayed) == (False, True)
    assert again == opened and everything(store) == before
    reused(store, ci.open, "reg", "o-1", "GD", JUNE)
    reused(store, ci.open, "reg", "o-1", "GD", JUNE, ["walking/v1"], ["greenplat-audit"])

    issuance_id = int(opened["issuance_id"])
    decided = ci.verify("cqc", "v-1", issuance_id, True)
    before = everything(store)
    # Verified now: the replay answers it, a new decision is refused by the rule.
    replayed = ci.verify("cqc", "v-1", issuance_id, True)
    assert replayed.replayed and replayed == decided and everything(store) == before
    with pytest.raises(PctradeError) as second:
        ci.verify("cqc", "v-2", issuance_id, True)
    assert second.value.code == "already_decided"
    reused(store, ci.verify, "cqc", "v-1", issuance_id, False, "late")
    # One key space with the entries: the issue may not take a logged key, nor the reverse.
    reused(store, ci.issue, "reg", "o-1", issuance_id)
    issued = ci.issue("reg", "i-1", issuance_id)
    reused(store, ci.open, "reg", "i-1", "GD", JUNE)
    assert ci.issue("reg", "i-1", issuance_id).issue_seq == issued.issue_seq


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    credit(w, [("alice", "walking/v1", 2 * MIN_G)])
    w.clock.now = NOW
    with TestClient(api_for(w.app)) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def test_opening_and_deciding_over_http_replay_and_refuse_a_reused_key(api: Api) -> None:
    missing = api.post("reg", "/inclusive/issuances", JUNE_BODY, key=None)
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"
    first = api.post("reg", "/inclusive/issuances", JUNE_BODY, key="o-1")
    before = everything(api.w.store)
    again = api.post("reg", "/inclusive/issuances", JUNE_BODY, key="o-1")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert everything(api.w.store) == before
    other = api.post("reg", "/inclusive/issuances", {**JUNE_BODY, "jurisdiction": "CN"}, key="o-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"

    decision = f"/inclusive/issuances/{first.json()['issuance_id']}/decision"
    decided = api.post("cqc", decision, {"approve": True}, key="v-1")
    replayed = api.post("cqc", decision, {"approve": True}, key="v-1")
    assert decided.status_code == replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == decided.json() and decided.json()["status"] == "verified"
    other = api.post("cqc", decision, {"approve": False, "reason": "no"}, key="v-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
