"""The regulator's list of sink projects (``sinks.queries.projects_for_review``): a
project waits as registered until approved; its monitoring reports follow it with their
state and what was issued."""

from __future__ import annotations

from sinks_world import STAND_AGE_Y, build, new_key, spec

from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.queries import projects_for_review


def test_a_registered_project_waits_for_approval_then_shows_approved(
    any_store: SqlStore,
) -> None:
    w = build(any_store)
    assert projects_for_review(w.reg) == []
    row = w.sinks.register("forestco", new_key(), spec(), stand_age_y=STAND_AGE_Y)
    [waiting] = projects_for_review(w.reg)
    assert (waiting["code"], waiting["status"], waiting["reports"]) == (
        row["code"],
        "registered",
        [],
    )
    assert waiting["owner"] == "forestco"
    w.sinks.approve("reg", new_key(), str(row["code"]))
    assert [p["status"] for p in projects_for_review(w.reg)] == ["approved"]
    assert projects_for_review(w.reg, limit=0) == []
