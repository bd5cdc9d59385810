"""Account status reaches carbon-inclusive issuance through the one write path.

The regulator's issuance spends each eligible person's energy and issues them credits:
an authority's act, so a blocked or suspended person is still issued; nothing enters a
closed account, and a closed account has no energy left to make its holder eligible.
"""

from __future__ import annotations

from inclusive_world import JUNE, NOW, build, credit, held, new_key

from pctrade.bootstrap.contexts import verify
from pctrade.ledger import commands as c
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import shipped

MIN_G = shipped().in_force("GD", NOW.date()).require_carbon_inclusive().person_min_g


def test_blocked_and_suspended_people_are_issued_by_the_regulator(any_store: SqlStore) -> None:
    w = build(any_store)
    credit(w, [("alice", "walking/v1", MIN_G), ("bob", "walking/v1", MIN_G)])
    for person, label in (("alice", "blocked"), ("bob", "suspended")):
        cmd = c.SetAccountStatus(w.people[person], label, "under review")
        w.reg.set_account_status("reg", f"s-{person}", cmd)
    w.clock.now = NOW
    row = w.ci.open("reg", new_key(), "GD", JUNE)
    w.ci.verify("cqc", new_key(), int(row["issuance_id"]), True)
    result = w.ci.issue("reg", "ci-1", int(row["issuance_id"]))
    assert held(w, "alice", result.batch) == held(w, "bob", result.batch) == MIN_G
    assert verify(any_store).ok
