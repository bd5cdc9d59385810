"""Sink writes without an entry are keyed as every write is (one idempotency mechanism).

Registration, approval, closing, a monitoring report and its verification write no
journal entry; each is logged under the caller's key in the ledger's request log. The
same request again answers the original row and writes nothing; another request under
the key is ``idempotency_key_reused``, also over HTTP. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sinks_api_support import PROJECT, Api
from sinks_world import SinkWorld, after, build, spec

from api_support import api_for
from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.monitoring import Period
from table_snapshot import everything, reused

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
REMOVALS_G = 400_000_007


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def test_sink_writes_replay_by_their_key_and_refuse_its_reuse(w: SinkWorld) -> None:
    sinks, store = w.sinks, w.store
    registered = sinks.register("forestco", "p-1", spec(), stand_age_y=6)
    before = everything(store)
    again = sinks.register("forestco", "p-1", spec(), stand_age_y=6)
    assert (registered.replayed, again.replayed) == (False, True)
    assert again == registered and everything(store) == before
    reused(store, sinks.register, "forestco", "p-1", spec(units=7), 6)
    reused(store, sinks.register, "forestco", "p-1", spec(), 7)

    approved = sinks.approve("reg", "a-1", "AFF0007")
    before = everything(store)
    # The project is approved now: the replay answers it, a new request is refused.
    assert sinks.approve("reg", "a-1", "AFF0007") == approved
    assert sinks.approve("reg", "a-1", "AFF0007").replayed and everything(store) == before
    with pytest.raises(PctradeError) as second:
        sinks.approve("reg", "a-2", "AFF0007")
    assert second.value.code == "wrong_project_status"
    reused(store, sinks.close, "reg", "a-1", "AFF0007")

    after(w, Q3)
    filed = sinks.file_report("forestco", "r-1", "AFF0007", Q3, REMOVALS_G)
    before = everything(store)
    assert sinks.file_report("forestco", "r-1", "AFF0007", Q3, REMOVALS_G) == filed
    assert everything(store) == before
    reused(store, sinks.file_report, "forestco", "r-1", "AFF0007", Q3, REMOVALS_G + 1)
    reused(store, sinks.register, "forestco", "r-1", replace(spec(), code="AFF0008"), 6)

    report_id = int(filed["report_id"])
    decided = sinks.verify("cqc", "d-1", report_id, True, "re-measured")
    before = everything(store)
    replayed = sinks.verify("cqc", "d-1", report_id, True, "re-measured")
    assert replayed.replayed and replayed == decided and everything(store) == before
    reused(store, sinks.verify, "cqc", "d-1", report_id, False, "re-measured")

    closed = sinks.close("forestco", "c-1", "AFF0007")
    assert sinks.close("forestco", "c-1", "AFF0007") == closed
    assert closed["status"] == "closed"


def test_a_key_is_used_once_by_an_entry_or_a_logged_sink_write(w: SinkWorld) -> None:
    w.sinks.register("forestco", "p-1", spec(), stand_age_y=6)
    w.sinks.approve("reg", "a-1", "AFF0007")
    reused(w.store, w.sinks.reverse, "reg", "a-1", "AFF0007", 1, "fire")
    reused(w.store, w.sinks.issue, "reg", "a-1", 1)


@pytest.fixture
def api(any_store: SqlStore) -> Iterator[Api]:
    w = build(any_store)
    with TestClient(api_for(w.app)) as client:
        yield Api(client, w)
    report = verify(any_store)
    assert report.ok, report.problems


def test_sink_writes_over_http_replay_and_refuse_a_reused_key(api: Api) -> None:
    assert (
        api.client.post("/sinks/projects", json=PROJECT, headers=api.headers["forestco"]).json()[
            "code"
        ]
        == "idempotency_key_required"
    )
    first = api.post("forestco", "/sinks/projects", PROJECT, key="p-1")
    before = everything(api.w.store)
    again = api.post("forestco", "/sinks/projects", PROJECT, key="p-1")
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert everything(api.w.store) == before
    other = api.post("forestco", "/sinks/projects", {**PROJECT, "units_offered": 5}, key="p-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert everything(api.w.store) == before

    api.ok("reg", "/sinks/projects/AFF0007/approval", {}, key="a-1")
    api.at(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    period = {"period_start": "2026-07-01", "period_end": "2026-09-30", "removals_g": REMOVALS_G}
    report = api.ok("forestco", "/sinks/projects/AFF0007/reports", period, key="r-1")
    decision = f"/sinks/reports/{report['report_id']}/decision"
    decided = api.post("cqc", decision, {"approve": True, "reason": "ok"}, key="d-1")
    replayed = api.post("cqc", decision, {"approve": True, "reason": "ok"}, key="d-1")
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == decided.json() and decided.json()["status"] == "verified"
    other = api.post("cqc", decision, {"approve": False, "reason": "no"}, key="d-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
