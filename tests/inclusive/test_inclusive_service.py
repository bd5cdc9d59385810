"""The carbon-inclusive path on SQLite and PostgreSQL: exact grams, spent once, cited rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from inclusive_world import (
    CREDITED_AT,
    JUNE,
    NOW,
    World,
    build,
    credit,
    energy,
    held,
    journal_length,
    new_key,
)

from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy_service
from pctrade.inclusive.claim import Period
from pctrade.inclusive.sql import store as inclusive_store
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import shipped
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType

GD = shipped().in_force("GD", NOW.date())
MIN_G = GD.require_carbon_inclusive().person_min_g


@pytest.fixture
def w(any_store: SqlStore) -> World:
    return build(any_store)


def refused(w: World, code: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> None:
    """The call fails with ``code`` and writes nothing to the journal."""
    before = journal_length(w.store)
    with pytest.raises(PctradeError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code, exc.value
    assert journal_length(w.store) == before


def open_verified(w: World, **kw: Any) -> int:
    w.clock.now = NOW
    row = w.ci.open("reg", new_key(), "GD", JUNE, **kw)
    w.ci.verify("cqc", new_key(), int(row["issuance_id"]), True)
    return int(row["issuance_id"])


def test_issuance_spends_qualifying_energy_and_issues_the_same_grams(w: World) -> None:
    credit_seq = credit(
        w,
        [
            ("alice", "walking/v1", 3 * MIN_G),
            ("bob", "bus/v1", MIN_G + 500),
            ("bob", "second_hand/v1", 700),  # not admitted, but newer: it stays
            ("chen", "walking/v1", MIN_G - 1),  # below the minimum: keeps it all
        ],
    )
    issuance_id = open_verified(w)
    row = w.ci.issuance(issuance_id)
    assert (row["claim_people"], row["claim_g"], row["below_min_people"]) == (
        2,
        4 * MIN_G + 500,
        1,
    )
    assert row["rule_set"] == GD.version and "second_hand/v1" not in row["methodologies"]

    result = w.ci.issue("reg", "ci-1", issuance_id)
    assert result.batch == "PCER-GD-CI-2026Q2-001"
    assert (result.people, result.issued_g, result.rule_set) == (2, 4 * MIN_G + 500, GD.version)
    assert held(w, "alice", result.batch) == 3 * MIN_G
    assert held(w, "bob", result.batch) == MIN_G + 500
    assert held(w, "chen", result.batch) == 0
    assert (energy(w, "alice"), energy(w, "alice", State.SPENT)) == (0, 3 * MIN_G)
    assert (energy(w, "bob"), energy(w, "bob", State.SPENT)) == (700, MIN_G + 500)
    assert energy(w, "chen") == MIN_G - 1
    assert w.ci.attribution_totals(result.issue_seq) == (2, 4 * MIN_G + 500)

    [mine] = w.ci.mine(w.people["bob"]).items
    assert (mine.batch, mine.credited_g, mine.available_g) == (
        result.batch,
        MIN_G + 500,
        MIN_G + 500,
    )
    assert mine.first_line == mine.last_line == (credit_seq, 1)
    assert w.ci.mine(w.people["chen"]).items == []
    with w.store.reader() as uow:
        entry = uow.entry(result.issue_seq)
    assert entry is not None
    assert entry.header.payload["rule_set"] == GD.version
    assert entry.header.payload["energy_spent_g"] == 4 * MIN_G + 500
    assert verify(w.store).problems == []


def test_an_older_line_that_does_not_qualify_holds_the_newer_ones_back(w: World) -> None:
    # Spending consumes the oldest energy first: bob's old e-ticket energy would be
    # what a spend consumed, so none of his bus energy can be issued yet.
    credit(w, [("bob", "e_ticket/v1", 400), ("bob", "bus/v1", 5 * MIN_G)])
    credit(w, [("alice", "walking/v1", 2 * MIN_G)], day="2026-06-30")
    issuance_id = open_verified(w)
    result = w.ci.issue("reg", "ci-1", issuance_id)
    assert (result.people, result.issued_g) == (1, 2 * MIN_G)
    assert energy(w, "bob") == 5 * MIN_G + 400


def test_energy_outside_the_period_or_after_verification_does_not_count(w: World) -> None:
    credit(w, [("alice", "walking/v1", 2 * MIN_G)], day="2026-06-30")
    credit(w, [("bob", "walking/v1", 2 * MIN_G)], day="2026-07-01")  # after June
    issuance_id = open_verified(w)
    credit(w, [("chen", "walking/v1", 2 * MIN_G)], day="2026-06-28")  # after verifying
    result = w.ci.issue("reg", "ci-1", issuance_id)
    assert (result.people, result.issued_g) == (1, 2 * MIN_G)
    assert energy(w, "bob") == energy(w, "chen") == 2 * MIN_G


def test_uncollected_and_lapsed_energy_does_not_count(w: World) -> None:
    people = [("alice", "walking/v1", 2 * MIN_G), ("bob", "walking/v1", 2 * MIN_G)]
    credit(w, people, collected=False)
    w.clock.now = CREDITED_AT + timedelta(hours=40)
    credit(w, [("bob", "walking/v1", 3 * MIN_G)], day="2026-06-30", collected=False)
    # 73 h after the first credit: past the expiry age, and nobody has collected.
    w.clock.now = CREDITED_AT + timedelta(hours=73)
    opened = w.ci.open("reg", new_key(), "GD", JUNE)
    refused(w, "nothing_qualifies", w.ci.verify, "cqc", "refused", int(opened["issuance_id"]), True)
    # Bob collects his fresh energy, and his stale energy lapses; alice's is all stale.
    got = energy_service.collect(w.reg, "bob", "c-bob", w.people["bob"], w.clock.now, rules=w.rules)
    assert (got.collected_g, got.lapsed_g) == (3 * MIN_G, 2 * MIN_G)
    refused(w, "nothing_to_collect", energy_service.collect, w.reg, "alice", "c-alice",
            w.people["alice"], w.clock.now, rules=w.rules)  # fmt: skip
    energy_service.expire(w.reg, w.clock.now, rules=w.rules, jurisdiction="GD")
    assert energy(w, "alice", State.EXPIRED) == 2 * MIN_G
    w.ci.verify("cqc", new_key(), int(opened["issuance_id"]), True)
    result = w.ci.issue("reg", "ci-1", int(opened["issuance_id"]))
    assert (result.people, result.issued_g) == (1, 3 * MIN_G)
    assert held(w, "bob", result.batch) == 3 * MIN_G
    assert verify(w.store).problems == []


def test_collected_energy_counts_at_any_age_and_lapsed_lines_never(w: World) -> None:
    """The claim walks the collected lines only: a line that lapsed uncollected between
    two collected ones (here of a day outside the period) neither blocks nor counts."""
    credit(w, [("alice", "walking/v1", 2 * MIN_G)], day="2026-06-28")
    w.clock.now = CREDITED_AT + timedelta(hours=1)
    credit(w, [("alice", "walking/v1", 5 * MIN_G)], day="2026-07-01", collected=False)
    w.clock.now = CREDITED_AT + timedelta(hours=80)
    credit(w, [("alice", "walking/v1", 3 * MIN_G)], day="2026-06-29", collected=False)
    got = energy_service.collect(
        w.reg, "alice", "c-late", w.people["alice"], w.clock.now, rules=w.rules
    )
    assert (got.collected_g, got.lapsed_g) == (3 * MIN_G, 5 * MIN_G)
    w.clock.now = CREDITED_AT + timedelta(days=30)  # collected energy does not age out
    opened = w.ci.open("reg", new_key(), "GD", JUNE)
    w.ci.verify("cqc", new_key(), int(opened["issuance_id"]), True)
    result = w.ci.issue("reg", "ci-1", int(opened["issuance_id"]))
    assert (result.people, result.issued_g) == (1, 5 * MIN_G)
    assert energy(w, "alice") == 0
    assert verify(w.store).problems == []


def _project(w: World) -> str:
    spec = ProjectSpec(
        code="AFF0009",
        name="Meizhou afforestation",
        project_type=ProjectType.AFFORESTATION,
        jurisdiction="GD",
        forest_type="chinese_fir",
        parcels=(Parcel("P1", 600_000, 12),),
        crediting_start=date(2026, 1, 1),
        # One year of 60 ha of new fir (3 t/ha/y in the model) in 180,000 tree units:
        # 1,000 g of expected removal a tree, so the published price is MIN_G.
        crediting_end=date(2026, 12, 31),
        unit_energy_g=MIN_G,
        units_offered=180_000,
    )
    w.sinks.register("forestco", new_key(), spec)
    w.sinks.approve("reg", new_key(), spec.code)
    return spec.code


def test_energy_that_sponsored_a_sink_cannot_back_a_credit(w: World) -> None:
    code = _project(w)
    credit(w, [("alice", "walking/v1", 3 * MIN_G), ("bob", "walking/v1", 2 * MIN_G)])
    w.clock.now = NOW
    w.sinks.sponsor("alice", "s-1", w.people["alice"], code, 2)
    w.sinks.sponsor("bob", "s-1", w.people["bob"], code, 2)
    issuance_id = open_verified(w)
    result = w.ci.issue("reg", "ci-1", issuance_id)
    # Alice's oldest 2 units' worth was spent on the sink; only the rest is issued.
    assert (result.people, result.issued_g) == (1, MIN_G)
    assert energy(w, "alice", State.SPENT) == 3 * MIN_G and energy(w, "alice") == 0
    assert verify(w.store).problems == []


def test_energy_that_backed_a_credit_cannot_sponsor_a_sink(w: World) -> None:
    code = _project(w)
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    issuance_id = open_verified(w)
    w.ci.issue("reg", "ci-1", issuance_id)
    refused(w, "insufficient_balance", w.sinks.sponsor, "alice", "s-1", w.people["alice"], code, 1)
    assert energy(w, "alice", State.SPENT) == 3 * MIN_G


def test_a_sponsorship_between_verification_and_issuance_voids_the_claim(w: World) -> None:
    code = _project(w)
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    issuance_id = open_verified(w)
    w.sinks.sponsor("alice", "s-1", w.people["alice"], code, 1)
    refused(w, "claim_changed", w.ci.issue, "reg", "ci-1", issuance_id)
    assert energy(w, "alice") == 2 * MIN_G
    assert w.ci.issuance(issuance_id)["status"] == "verified"


def test_replay_with_the_same_key_is_harmless(w: World) -> None:
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    issuance_id = open_verified(w)
    first = w.ci.issue("reg", "ci-1", issuance_id)
    length = journal_length(w.store)
    again = w.ci.issue("reg", "ci-1", issuance_id)
    assert again.replayed and not first.replayed
    assert (again.issue_seq, again.batch, again.issued_g) == (
        first.issue_seq,
        first.batch,
        first.issued_g,
    )
    assert journal_length(w.store) == length
    assert held(w, "alice", first.batch) == 3 * MIN_G
    refused(w, "not_verified", w.ci.issue, "reg", "ci-2", issuance_id)
    other = w.ci.open("reg", new_key(), "GD", JUNE)
    refused(w, "idempotency_key_reused", w.ci.issue, "reg", "ci-1", int(other["issuance_id"]))


def test_bad_requests_are_refused_with_their_codes(w: World) -> None:
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    w.clock.now = NOW
    refused(w, "path_not_admitted", w.ci.open, "reg", "refused", "CN", JUNE)
    refused(w, "methodology_not_admitted", w.ci.open, "reg", "refused", "GD", JUNE, ["e_ticket/v1"])
    refused(w, "no_rule_set", w.ci.open, "reg", "refused", "ZZ", JUNE)
    refused(w, "forbidden", w.ci.open, "alice", "refused", "GD", JUNE)
    refused(
        w,
        "bad_period",
        w.ci.open,
        "reg",
        "refused",
        "GD",
        Period(date(2026, 6, 1), date(2026, 7, 2)),
    )
    opened = w.ci.open("reg", new_key(), "GD", JUNE, ["walking/v1"], ["greenplat-audit"])
    issuance_id = int(opened["issuance_id"])
    refused(w, "not_verified", w.ci.issue, "reg", "ci-1", issuance_id)
    refused(w, "own_request", w.ci.verify, "greenplat-audit", "refused", issuance_id, True)
    refused(w, "forbidden", w.ci.verify, "reg", "refused", issuance_id, True)
    refused(w, "missing_reason", w.ci.verify, "cqc", "refused", issuance_id, False, " ")
    refused(w, "unknown_issuance", w.ci.verify, "cqc", "refused", 999, True)
    w.ci.verify("cqc", new_key(), issuance_id, True)
    refused(w, "already_decided", w.ci.verify, "cqc", "refused", issuance_id, False, "late")
    refused(w, "forbidden", w.ci.issue, "cqc", "ci-1", issuance_id)
    rejected = w.ci.open("reg", new_key(), "GD", JUNE)
    w.ci.verify("cqc", new_key(), int(rejected["issuance_id"]), False, "partner data not audited")
    refused(w, "not_verified", w.ci.issue, "reg", "ci-1", int(rejected["issuance_id"]))
    bus_only = w.ci.open("reg", new_key(), "GD", JUNE, ["bus/v1"])
    refused(
        w, "nothing_qualifies", w.ci.verify, "cqc", "refused", int(bus_only["issuance_id"]), True
    )


def test_two_issuances_of_a_quarter_get_consecutive_serials(w: World) -> None:
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    first = w.ci.issue("reg", "ci-1", open_verified(w))
    credit(w, [("bob", "walking/v1", 3 * MIN_G)], day="2026-06-30")
    second = w.ci.issue("reg", "ci-2", open_verified(w))
    assert (first.batch, second.batch) == ("PCER-GD-CI-2026Q2-001", "PCER-GD-CI-2026Q2-002")
    with w.store.reader() as uow:
        rows = inclusive_store.issuances_of(uow, "GD")
    assert [r["status"] for r in rows] == ["issued", "issued"]
    assert verify(w.store).problems == []


def test_an_issue_is_keyed_as_every_write_is(w: World) -> None:
    """One idempotency mechanism: the issue's key is used once by ``reg``, whatever the
    write (a logged reversal plan may not take it), and a logged key refuses the issue."""
    credit(w, [("alice", "walking/v1", 3 * MIN_G)])
    issuance_id = open_verified(w)
    refused(w, "bad_idempotency_key", w.ci.issue, "reg", "a key", issuance_id)
    first = w.ci.issue("reg", "ci-1", issuance_id)
    refused(w, "idempotency_key_reused", w.sinks.reverse, "reg", "ci-1", "NOPE", 1, "fire")
    assert w.ci.issue("reg", "ci-1", issuance_id).issue_seq == first.issue_seq
    other = int(w.ci.open("reg", new_key(), "GD", JUNE)["issuance_id"])
    with pytest.raises(PctradeError) as unknown:  # the key is new: the project is checked
        w.sinks.reverse("reg", "rev-1", "NOPE", 1, "fire")
    assert unknown.value.code != "idempotency_key_reused"
    refused(w, "idempotency_key_reused", w.ci.issue, "reg", "ci-1", other)
