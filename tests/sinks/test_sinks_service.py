"""Sink use cases on SQLite and PostgreSQL: every refusal writes nothing, every gram counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sinks_world import (
    Q3,
    REMOVALS_G,
    STAND_AGE_Y,
    SinkWorld,
    after,
    approved_project,
    build,
    energy,
    file_report,
    grant_energy,
    held,
    journal_length,
    new_key,
    sink_rows,
    spec,
    sponsored,
    unit_g,
    verified_report,
)

from pctrade.bootstrap.contexts import verify
from pctrade.energy import service as energy_service
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.schema import EVENTS
from pctrade.kernel.errors import PctradeError
from pctrade.ledger.model import State, SystemAccount
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.attribution import issued_loss_share_g
from pctrade.sinks.monitoring import Period
from pctrade.sinks.price import spec_standard
from pctrade.sinks.queries import mine
from pctrade.sinks.removals import removal_models
from pctrade.sinks.service import Issuance
from pctrade.sinks.sql import store as sinks_store

Q4 = Period(date(2026, 10, 1), date(2026, 12, 31))
U = unit_g()  # the test project's standard unit price (100 units)


@pytest.fixture
def w(any_store: SqlStore) -> Iterator[SinkWorld]:
    world = build(any_store)
    yield world
    report = verify(any_store)
    assert report.ok, report.problems


def refused(w: SinkWorld, code: str, call: Any, *args: Any) -> None:
    """``call`` fails with ``code`` and leaves the journal and the sink tables untouched."""
    before = (journal_length(w.store), sink_rows(w.store))
    with pytest.raises(PctradeError) as exc:
        call(*args)
    assert exc.value.code == code, exc.value
    assert (journal_length(w.store), sink_rows(w.store)) == before


# ---- sponsorship ------------------------------------------------------------------------
def test_sponsorship_spends_energy_exactly_once_and_records_the_shares(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U})
    code = approved_project(w)
    first = w.sinks.sponsor("alice", "sp-1", w.people["alice"], code, 3)
    assert (first.units, first.energy_g, first.replayed) == (3, 3 * U, False)
    again = w.sinks.sponsor("alice", "sp-1", w.people["alice"], code, 3)
    assert (again.spend_seq, again.replayed) == (first.spend_seq, True)
    assert (energy(w, "alice"), energy(w, "alice", State.SPENT)) == (2 * U, 3 * U)
    assert w.sinks.project(code)["units_sold"] == 3
    assert sink_rows(w.store)["sink_sponsorships"] == 1


def test_sponsoring_with_more_energy_than_held_writes_nothing(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U // 2})
    code = approved_project(w)
    refused(w, "insufficient_balance", w.sinks.sponsor, "alice", "k", w.people["alice"], code, 3)
    assert w.sinks.project(code)["units_sold"] == 0


def test_sponsoring_an_unapproved_project_writes_nothing(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U})
    w.sinks.register("forestco", new_key(), spec(), stand_age_y=STAND_AGE_Y)
    refused(
        w, "project_not_approved", w.sinks.sponsor, "alice", "k", w.people["alice"], "AFF0007", 1
    )


def test_sponsoring_a_closed_project_writes_nothing(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U})
    code = approved_project(w)
    w.sinks.close("forestco", new_key(), code)
    refused(w, "project_closed", w.sinks.sponsor, "alice", "k", w.people["alice"], code, 1)


def test_sponsoring_more_units_than_are_left_writes_nothing(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U})
    code = approved_project(w, units=2)
    refused(w, "units_exhausted", w.sinks.sponsor, "alice", "k", w.people["alice"], code, 3)


def test_nobody_spends_another_persons_energy(w: SinkWorld) -> None:
    grant_energy(w, {"alice": 5 * U})
    code = approved_project(w)
    refused(w, "forbidden", w.sinks.sponsor, "bob", "k", w.people["alice"], code, 1)


# ---- registration and roles -------------------------------------------------------------
def test_only_a_project_owner_registers_and_only_the_regulator_approves(w: SinkWorld) -> None:
    refused(w, "forbidden", w.sinks.register, "alice", "refused", spec())
    w.sinks.register("forestco", new_key(), spec(), stand_age_y=STAND_AGE_Y)
    refused(w, "forbidden", w.sinks.approve, "forestco", "refused", "AFF0007")
    refused(w, "project_exists", w.sinks.register, "forestco", "refused", spec())
    assert w.sinks.approve("reg", new_key(), "AFF0007")["status"] == "approved"
    refused(w, "wrong_project_status", w.sinks.approve, "reg", "refused", "AFF0007")


def test_an_ineligible_parcel_is_refused_at_registration(w: SinkWorld) -> None:
    from dataclasses import replace

    from pctrade.sinks.project import Parcel

    bad = replace(spec(), parcels=(Parcel("MZ-09", 50_000, 1),))
    refused(w, "parcel_recently_forest", w.sinks.register, "forestco", "refused", bad)


# ---- monitoring and verification ----------------------------------------------------------
def test_a_report_overlapping_a_verified_period_writes_nothing(w: SinkWorld) -> None:
    code = approved_project(w)
    verified_report(w, code)
    overlapping = Period(date(2026, 9, 1), date(2026, 10, 31))
    after(w, overlapping)
    refused(
        w, "period_overlap", w.sinks.file_report, "forestco", "refused", code, overlapping, 1_000
    )


def test_a_period_is_reported_only_after_it_has_ended(w: SinkWorld) -> None:
    code = approved_project(w)
    w.clock.now = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)  # the period's last day
    refused(w, "period_not_ended", w.sinks.file_report, "forestco", "refused", code, Q3, REMOVALS_G)
    w.clock.now = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    assert w.sinks.file_report("forestco", new_key(), code, Q3, REMOVALS_G)["status"] == "pending"


def test_a_rejected_report_frees_its_period_for_a_corrected_one(w: SinkWorld) -> None:
    code = approved_project(w)
    first = file_report(w, code, Q3, REMOVALS_G)
    refused(
        w, "missing_reason", w.sinks.verify, "cqc", "refused", int(first["report_id"]), False, " "
    )
    w.sinks.verify("cqc", new_key(), int(first["report_id"]), False, "sample plots not located")
    second = file_report(w, code, Q3, REMOVALS_G - 7)
    assert second["status"] == "pending"


def test_a_verifier_may_not_verify_its_own_project(w: SinkWorld) -> None:
    code = approved_project(w, affiliates=("forestco-mrv",))
    report = file_report(w, code, Q3, REMOVALS_G)
    refused(
        w, "own_project", w.sinks.verify, "forestco-mrv", "refused", int(report["report_id"]), True
    )
    assert w.sinks.report(int(report["report_id"]))["status"] == "pending"


def test_only_the_owner_files_and_only_verifiers_verify(w: SinkWorld) -> None:
    code = approved_project(w)
    refused(w, "not_owner", w.sinks.file_report, "cqc", "refused", code, Q3, 1_000)
    report = file_report(w, code, Q3, 1_000)
    refused(w, "forbidden", w.sinks.verify, "reg", "refused", int(report["report_id"]), True)


def test_implausible_removals_are_refused(w: SinkWorld) -> None:
    code = approved_project(w)
    # 100 ha of 6-year-old fir for 92 days: about 277 t expected; claim 100 times that.
    after(w, Q3)
    refused(
        w,
        "removals_implausible",
        w.sinks.file_report,
        "forestco",
        "refused",
        code,
        Q3,
        27_700_000_000,
    )


# ---- issuance ----------------------------------------------------------------------------
def test_issuance_exceeding_verified_removals_writes_nothing(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    pending = file_report(w, code, Q4, 1_000)
    refused(w, "report_not_verified", w.sinks.issue, "reg", "i", int(pending["report_id"]))
    report_id = verified_report(w, code)
    refused(w, "exceeds_verified", w.sinks.issue, "reg", "i", report_id, REMOVALS_G + 1)
    w.sinks.issue("reg", "i-1", report_id, REMOVALS_G - 10)
    refused(w, "exceeds_verified", w.sinks.issue, "reg", "i-2", report_id, 11)


def test_only_an_authority_issues(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    refused(w, "forbidden", w.sinks.issue, "forestco", "i", verified_report(w, code))


def test_issuance_splits_removals_exactly_and_stores_the_attribution_table(
    w: SinkWorld,
) -> None:
    # Every unit of the project sponsored: all but the buffer goes to the sponsors.
    code = sponsored(w, {"alice": 3, "bob": 2, "chen": 2}, project_units=7)
    report_id = verified_report(w, code)
    issued = w.sinks.issue("reg", "issue-q3", report_id)
    assert issued.batch == "PCER-GD-AFF0007-2026Q3-001"
    assert issued.buffer_g == 80_000_002  # 20% of 400,000,007 is 80,000,001.4: rounded up
    assert issued.buffer_g + issued.attributed_g == REMOVALS_G
    with w.store.engine.connect() as conn:
        rows = conn.execute(sa.select(sinks_store.attributions)).mappings().all()
    got = {r["account_id"]: r["amount_g"] for r in rows}
    # 320,000,005 g over 3 + 2 + 2 shares: floors 137,142,859 (r 2/7) and 91,428,572
    # (r 6/7) twice leave 2 g, which go to the two largest remainders, bob's and chen's.
    assert got == {
        w.people["alice"]: 137_142_859,
        w.people["bob"]: 91_428_573,
        w.people["chen"]: 91_428_573,
    }
    for person, grams in got.items():
        assert held(w, person, issued.batch) == grams
    assert held(w, SystemAccount.BUFFER, issued.batch) == issued.buffer_g
    replay = w.sinks.issue("reg", "issue-q3", report_id)
    assert (replay.issue_seq, replay.replayed) == (issued.issue_seq, True)


def test_leftover_grams_go_to_the_largest_remainders_and_are_recorded(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1, "bob": 1, "chen": 1}, project_units=3)
    report_id = verified_report(w, code)
    issued = w.sinks.issue("reg", "i", report_id, 1_001)  # buffer 201, then 800 over 3
    with w.store.engine.connect() as conn:
        rows = (
            conn.execute(
                sa.select(sinks_store.attributions).order_by(sinks_store.attributions.c.account_id)
            )
            .mappings()
            .all()
        )
    assert [r["amount_g"] for r in rows] == [267, 267, 266]
    assert [r["rounded_up"] for r in rows] == [True, True, False]
    assert [r["remainder"] for r in rows] == [2, 2, 2]
    assert issued.leftover_g == 2 and issued.buffer_g == 201


def test_a_sponsor_who_sponsored_twice_holds_the_sum_of_the_units(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1, "bob": 1}, project_units=4)
    grant_energy(w, {"alice": 2 * unit_g(4)}, day="2026-11-25")
    w.sinks.sponsor("alice", "sp-alice-2", w.people["alice"], code, 2)
    issued = w.sinks.issue("reg", "i", verified_report(w, code), 1_000)  # 800 g over 3 + 1
    assert issued.sponsors == 2
    assert held(w, w.people["alice"], issued.batch) == 600
    assert held(w, w.people["bob"], issued.batch) == 200


def test_a_sponsorship_after_the_period_does_not_share_in_its_issuance(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    report_id = verified_report(w, code, Q4)
    grant_energy(w, {"bob": U}, day="2027-01-05")
    w.clock.now = w.clock.now.replace(year=2027, month=1, day=6)
    w.sinks.sponsor("bob", "late", w.people["bob"], code, 1)
    issued = w.sinks.issue("reg", "i", report_id)
    assert issued.sponsors == 1
    assert held(w, w.people["alice"], issued.batch) == issued.attributed_g


# ---- reversal -----------------------------------------------------------------------------
def project_loss_g(credited_loss_g: int, *issued: Issuance) -> int:
    """A loss of the whole project whose credited share is ``credited_loss_g``.

    A reversal counts against the credits ⌈loss × credited ÷ removals⌉ (issue 11); the
    largest loss with that share is floor(share × removals ÷ credited).
    """
    removals_g = sum(i.removals_g for i in issued)
    credited_g = removals_g - sum(i.unissued_g for i in issued)
    loss_g = credited_loss_g * removals_g // credited_g
    assert issued_loss_share_g(loss_g, credited_g, removals_g) == credited_loss_g
    return loss_g


def test_a_reversal_cancels_buffer_credits_first_and_reports_the_shortfall(
    w: SinkWorld,
) -> None:
    code = sponsored(w, {"alice": 1, "bob": 1})
    issued = w.sinks.issue("reg", "i", verified_report(w, code))
    people_before = {p: held(w, a, issued.batch) for p, a in w.people.items() if p != "chen"}
    loss = project_loss_g(issued.buffer_g + 5_000, issued)
    rev = w.sinks.reverse("reg", "fire-1", code, loss, "forest fire, parcel MZ-02")
    assert (rev.covered_g, rev.shortfall_g, len(rev.cancel_seqs)) == (issued.buffer_g, 5_000, 1)
    assert rev.issued_loss_g == issued.buffer_g + 5_000 < loss
    assert held(w, SystemAccount.BUFFER, issued.batch) == 0
    assert {p: held(w, w.people[p], issued.batch) for p in people_before} == people_before
    length = journal_length(w.store)
    again = w.sinks.reverse("reg", "fire-1", code, loss, "forest fire, parcel MZ-02")
    assert again == rev and journal_length(w.store) == length
    refused(w, "idempotency_key_reused", w.sinks.reverse, "reg", "fire-1", code, 1, "pests")
    empty = w.sinks.reverse("reg", "fire-2", code, project_loss_g(10, issued), "pests")
    assert (empty.covered_g, empty.shortfall_g, empty.cancel_seqs) == (0, 10, [])


def test_a_small_loss_is_covered_entirely_by_the_buffer(w: SinkWorld) -> None:
    code = sponsored(w, {"alice": 1})
    issued = w.sinks.issue("reg", "i", verified_report(w, code))
    rev = w.sinks.reverse("reg", "pests-1", code, project_loss_g(1_000, issued), "pine wilt")
    assert (rev.covered_g, rev.shortfall_g) == (1_000, 0)
    assert held(w, SystemAccount.BUFFER, issued.batch) == issued.buffer_g - 1_000


# ---- the whole path ------------------------------------------------------------------------
def events_file(tmp_path: Path, day: date) -> Path:
    window = day_window(day, 0)
    rows = [
        {
            "partner_id": "metro_card",
            "event_id": f"E{n}",
            "person_id": person,
            "behaviour": "metro_km",
            "start_ms": window.start_ms + (8 + n) * 3_600_000,
            "end_ms": window.start_ms + (8 + n) * 3_600_000 + 1_800_000,
            "quantity": km,
            "unit": "km",
            "evidence_ref": None,
        }
        for n, (person, km) in enumerate([("alice", 30), ("bob", 25), ("chen", 40)])
    ]
    path = tmp_path / "events.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=EVENTS), path)
    return path


def test_behaviour_to_sponsorship_to_verified_issuance_accounts_for_every_gram(
    w: SinkWorld, tmp_path: Path
) -> None:
    day = date(2026, 6, 10)
    result = quantify_file(events_file(tmp_path, day), day, as_of_ms=day_window(day, 0).end_ms)
    posted = energy_service.post_day(w.reg, result)
    assert posted.people == 3 and posted.unmatched_people == 0
    for person in ("alice", "bob", "chen"):  # only collected energy is spent
        energy_service.collect(
            w.reg, person, f"collect-{person}", w.people[person], w.clock.now, rules=w.app.rules
        )
    # A tree a m² (the densest the rules take) credited to the end of Q3 only: about 0.8 kg
    # of expected removal a tree, so a day's capped metro energy (1 kg) buys one at the
    # published price (a real 20-year period would price it near 19 kg).
    one_year = replace(spec(units=1_000_000), crediting_end=date(2026, 9, 30))
    price = spec_standard(removal_models(), one_year, STAND_AGE_Y, 10_000, "GD").price_g
    code = w.sinks.register(
        "forestco", new_key(), replace(one_year, unit_energy_g=price), stand_age_y=STAND_AGE_Y
    )["code"]
    w.sinks.approve("reg", new_key(), code)
    w.clock.now = w.clock.now.replace(year=2026, month=6, day=11)
    for person in ("alice", "bob", "chen"):
        units = energy(w, person) // price
        assert units > 0, (person, energy(w, person), price)
        w.sinks.sponsor(person, f"sp-{person}", w.people[person], code, units)
    report_id = verified_report(w, code)
    issued = w.sinks.issue("reg", "issue-q3", report_id)

    with w.store.engine.connect() as conn:
        rows = conn.execute(sa.select(sinks_store.attributions)).mappings().all()
    # Per unit (issue 11): what the 100-unit project's unsponsored units removed stays
    # with the project, unissued; every gram is still accounted for.
    assert issued.unissued_g > 0
    assert sum(r["amount_g"] for r in rows) == issued.attributed_g
    assert issued.attributed_g + issued.buffer_g + issued.unissued_g == REMOVALS_G
    in_accounts = sum(held(w, a, issued.batch) for a in w.people.values())
    assert in_accounts + held(w, SystemAccount.BUFFER, issued.batch) + issued.unissued_g == (
        REMOVALS_G
    )
    view = {p: mine(w.reg, a).items for p, a in w.people.items()}
    for person, projects in view.items():
        (mine_here,) = projects
        assert mine_here.verified_g == REMOVALS_G
        assert mine_here.credited_g == held(w, w.people[person], issued.batch) > 0
        assert mine_here.energy_g == energy(w, person, State.SPENT)
    report = verify(w.store)
    assert report.ok, report.problems


def test_a_reversal_interrupted_between_batches_resumes_under_the_same_key(
    w: SinkWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = sponsored(w, {"alice": 1})
    first = w.sinks.issue("reg", "i-q3", verified_report(w, code, Q3))
    second = w.sinks.issue("reg", "i-q4", verified_report(w, code, Q4))
    credited_loss = first.buffer_g + 10  # all of the first batch's buffer, 10 g of the second's
    loss = project_loss_g(credited_loss, first, second)
    real_cancel = Registry.cancel
    calls = []

    def failing_second(self: Registry, *args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real_cancel(self, *args, **kwargs)

    monkeypatch.setattr(Registry, "cancel", failing_second)
    with pytest.raises(RuntimeError):
        w.sinks.reverse("reg", "storm-1", code, loss, "typhoon")
    assert held(w, SystemAccount.BUFFER, first.batch) == 0
    assert held(w, SystemAccount.BUFFER, second.batch) == second.buffer_g
    monkeypatch.setattr(Registry, "cancel", real_cancel)
    # A second reversal meanwhile must not plan the grams the open one has claimed.
    pests = project_loss_g(second.buffer_g, first, second)
    other = w.sinks.reverse("reg", "pests-1", code, pests, "pests")
    assert (other.covered_g, other.shortfall_g) == (second.buffer_g - 10, 10)
    done = w.sinks.reverse("reg", "storm-1", code, loss, "typhoon")
    assert (done.covered_g, done.shortfall_g, len(done.cancel_seqs)) == (credited_loss, 0, 2)
    assert held(w, SystemAccount.BUFFER, second.batch) == 0


def test_a_sponsorship_slipping_in_while_issuing_refuses_the_issuance(
    w: SinkWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = sponsored(w, {"alice": 1})
    report_id = verified_report(w, code)
    grant_energy(w, {"bob": U}, day="2026-11-25")
    real = sinks_store.shares_as_of
    w.clock.now = w.clock.now.replace(year=2026, month=9, day=1)  # bob's units count for Q3

    def read_then_sponsor(*args: Any) -> Any:
        shares = real(*args)
        w.sinks.sponsor("bob", "sp-bob", w.people["bob"], code, 1)
        return shares

    monkeypatch.setattr(sinks_store, "shares_as_of", read_then_sponsor)
    with pytest.raises(PctradeError) as exc:
        w.sinks.issue("reg", "i", report_id)
    assert exc.value.code == "shares_changed"
    assert sink_rows(w.store)["sink_issuances"] == 0
    monkeypatch.setattr(sinks_store, "shares_as_of", real)
    assert w.sinks.issue("reg", "i", report_id).sponsors == 2


def test_a_reversal_is_keyed_as_a_journal_write_is(w: SinkWorld) -> None:
    """One idempotency mechanism: a reversal's plan is logged under its key, which an
    entry may then not use, and it may not use a key an entry used."""
    code = sponsored(w, {"alice": 1})
    report_id = verified_report(w, code)
    issued = w.sinks.issue("reg", "i", report_id, REMOVALS_G // 2)
    refused(w, "idempotency_key_reused", w.sinks.reverse, "reg", "i", code, 1, "pests")
    rev = w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt")
    assert w.sinks.reverse("reg", "rev-1", code, 1_000, "pine wilt") == rev
    refused(w, "idempotency_key_reused", w.sinks.reverse, "reg", "rev-1", code, 1_000, "fire")
    refused(w, "idempotency_key_reused", w.sinks.issue, "reg", "rev-1", report_id)
    refused(w, "bad_idempotency_key", w.sinks.reverse, "reg", "", code, 1, "pests")
    assert w.sinks.issue("reg", "i", report_id, REMOVALS_G // 2).replayed
    assert issued.issue_seq == w.sinks.issue("reg", "i", report_id, REMOVALS_G // 2).issue_seq
