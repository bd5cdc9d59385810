"""Account status reaches the sink context through the one write path, on both databases.

A sponsorship spends the sponsor's energy: a send, stopped by a block. An issuance to
the sponsors is the authorities' act: a suspended sponsor still receives its share, but
nothing enters a closed account, so a sponsor's account closed before its project's
issuance refuses that issuance whole, naming the account, until the sponsor's share is
settled otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sinks_world import (
    REMOVALS_G,
    SinkWorld,
    approved_project,
    build,
    grant_energy,
    held,
    journal_length,
    sink_rows,
    sponsored,
    unit_g,
    verified_report,
)

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.errors import Conflict
from pctrade.ledger import commands as c
from pctrade.ledger.sql.store import SqlStore


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def _status(w: SinkWorld, person: str, label: str) -> None:
    cmd = c.SetAccountStatus(w.people[person], label, f"case {label}")
    w.reg.set_account_status("reg", f"s-{person}-{label}", cmd)


def test_a_blocked_person_cannot_sponsor(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * unit_g()})
    code = approved_project(w)
    _status(w, "alice", "blocked")
    before = (journal_length(w.store), sink_rows(w.store))
    with pytest.raises(Conflict) as exc:
        w.sinks.sponsor("alice", "sp-1", w.people["alice"], code, 1)
    assert exc.value.code == "account_blocked"
    assert (journal_length(w.store), sink_rows(w.store)) == before


def test_a_suspended_sponsor_still_receives_its_share_of_an_issuance(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1, "bob": 1}, project_units=2)
    _status(w, "bob", "suspended")
    issued = w.sinks.issue("reg", "issue-q3", verified_report(w, code))
    assert held(w, w.people["bob"], issued.batch) > 0


def test_a_sponsor_closed_before_the_issuance_refuses_it_whole(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1, "bob": 1}, project_units=2)  # all their energy spent
    _status(w, "bob", "closed")
    report_id = verified_report(w, code)
    before = (journal_length(w.store), sink_rows(w.store))
    with pytest.raises(Conflict) as exc:
        w.sinks.issue("reg", "issue-q3", report_id, REMOVALS_G)
    assert exc.value.code == "account_closed" and str(w.people["bob"]) in exc.value.message
    assert (journal_length(w.store), sink_rows(w.store)) == before
