"""Replay of surrenders and the integrity identities, on entries made here (no I/O):
each check flags the entry that breaks it, and passes the sound one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pctrade.compliance.integrity import Integrity
from pctrade.compliance.surrender import Obligation, Surrendered, Unit
from pctrade.compliance.surrendering import (
    Decision,
    Line,
    SurrenderTracker,
    check_compliance_surrender,
    plan_compliance_surrender,
)
from pctrade.kernel.errors import ValidationError
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import EntryHeader, JsonDict
from pctrade.ledger.model import State, SystemAccount
from pctrade.ledger.postings import Posting, Postings

EMITTER = 1001
CEA, PCER = 7, 8
OBLIGATION = Obligation("GD", "2025", 1_000, 1_000)


def _stored(seq: int, op: str, payload: JsonDict, postings: Postings) -> StoredEntry:
    header = EntryHeader(seq, op, "actor", f"k{seq}", "h", "2026-05-15T02:00:00Z", payload)
    return StoredEntry(header, "p", "h", postings)


def _surrender(seq: int, cea_g: int, pcer_g: int, before: Surrendered) -> StoredEntry:
    lines = [Line(CEA, "CEA-GD-ALLOC-2025-001", Unit("CEA", "GD", 2025, None, cea_g))]
    if pcer_g:
        lines.append(Line(PCER, "PCER-GD-CI-2026Q1-001", Unit("PCER", "GD", 2026, None, pcer_g)))
    after = Surrendered(before.allowances_g + cea_g, before.offsets_g + pcer_g, 0)
    d = Decision(
        "GD", "2025", "GD/2022-05-06", "x", OBLIGATION, 100, 30, ("CCER", "PCER"), before, after
    )
    plan = plan_compliance_surrender(EMITTER, lines, d)
    return _stored(seq, plan.op_type, plan.payload, plan.postings)


def _issue(seq: int, asset: int, jurisdiction: str, grams: int) -> StoredEntry:
    postings = Postings.of(
        [
            Posting(SystemAccount.ISSUANCE, asset, State.SOURCE, -grams),
            Posting(EMITTER, asset, State.AVAILABLE, grams),
        ]
    )
    batch = {
        "asset_id": asset,
        "instrument": "CEA" if asset == CEA else "PCER",
        "jurisdiction": jurisdiction,
        "issued_g": grams,
    }
    return _stored(seq, "issue", {"batch": batch}, postings)


def test_a_sound_surrender_passes_its_check() -> None:
    assert list(check_compliance_surrender(_surrender(5, 900, 70, Surrendered()))) == []


def test_a_surrender_whose_postings_differ_from_its_units_is_flagged() -> None:
    entry = _surrender(5, 900, 70, Surrendered())
    moved_more = Postings.of(
        [
            Posting(EMITTER, CEA, State.AVAILABLE, -901),
            Posting(EMITTER, CEA, State.SURRENDERED, 901),
            Posting(EMITTER, PCER, State.AVAILABLE, -70),
            Posting(EMITTER, PCER, State.SURRENDERED, 70),
        ]
    )
    codes = [p.code for p in check_compliance_surrender(replace(entry, postings=moved_more))]
    assert codes == ["compliance_surrender_mismatch"]


def test_offsets_beyond_the_recorded_cap_are_flagged() -> None:
    entry = _surrender(5, 800, 101, Surrendered())
    assert "offsets_above_cap" in [p.code for p in check_compliance_surrender(entry)]


def test_a_surrender_that_counts_earlier_grams_again_is_flagged() -> None:
    tracker = SurrenderTracker()
    first = _surrender(5, 500, 0, Surrendered())
    again = _surrender(6, 100, 0, Surrendered())  # claims nothing counted before it
    assert list(tracker.feed(first)) == []
    assert [p.code for p in tracker.feed(again)] == ["surrender_counted_twice"]
    after = _surrender(7, 100, 0, Surrendered(500, 0, 0))
    assert list(SurrenderTracker().feed(first)) == [] and list(_fed(first, after)) == []


def _fed(*entries: StoredEntry) -> list[str]:
    tracker = SurrenderTracker()
    return [p.code for e in entries for p in tracker.feed(e)]


def _integrity(*entries: StoredEntry) -> Integrity:
    report = Integrity()
    for e in entries:
        list(report.feed(e))
    return report


def test_the_integrity_identities_hold_for_a_sound_journal() -> None:
    report = _integrity(
        _issue(2, CEA, "GD", 1_000),
        _issue(3, PCER, "GD", 100),
        _surrender(5, 900, 70, Surrendered()),
    )
    a = report.allowances["GD"]
    assert (a.lhs_g, a.rhs_g) == (1_070, 1_070)
    assert list(report.problems()) == []


def test_a_surrender_recording_other_grams_than_it_moved_breaks_the_identity() -> None:
    entry = _surrender(5, 900, 70, Surrendered())
    units = [dict(u) for u in entry.header.payload["units"]]
    units[0]["quantity_g"] = 800  # says 800 g, moved 900 g
    tampered = replace(
        entry, header=replace(entry.header, payload={**entry.header.payload, "units": units})
    )
    report = _integrity(_issue(2, CEA, "GD", 1_000), tampered)
    assert [p.code for p in report.problems()] == ["integrity_mismatch"]


def test_allocation_beyond_the_cap_is_flagged() -> None:
    cap = _stored(
        2, "compliance_cap", {"jurisdiction": "GD", "period": "2025", "cap_g": 500}, Postings.of([])
    )
    run = _issue(3, CEA, "GD", 600)
    allocate = _stored(
        3,
        "compliance_allocate",
        {**run.header.payload, "jurisdiction": "GD", "period": "2025", "kind": "free"},
        run.postings,
    )
    report = _integrity(cap, allocate)
    assert report.periods[("GD", "2025")].reserve_g == -100
    assert [p.code for p in report.problems()] == ["allocation_exceeds_cap"]


def test_plan_refuses_a_batch_named_twice() -> None:
    line = Line(CEA, "CEA-GD-ALLOC-2025-001", Unit("CEA", "GD", 2025, None, 5))
    d = Decision(
        "GD", "2025", "v", "x", OBLIGATION, 100, 30, ("PCER",), Surrendered(), Surrendered(10, 0, 0)
    )
    with pytest.raises(ValidationError) as refused:
        plan_compliance_surrender(EMITTER, [line, line], d)
    assert refused.value.code == "bad_request"


def test_a_recorded_debt_admits_its_grams_on_top_of_the_emissions_and_no_more() -> None:
    entry = _surrender(5, 1_050, 0, Surrendered())  # 50 g beyond the verified 1,000
    codes = [p.code for p in check_compliance_surrender(entry)]
    assert codes == ["surrender_exceeds_obligation"]
    with_debt = {**entry.header.payload, "debt_g": 50}
    owed = replace(entry, header=replace(entry.header, payload=with_debt))
    assert list(check_compliance_surrender(owed)) == []
    short_debt = {**entry.header.payload, "debt_g": 49}
    short = replace(entry, header=replace(entry.header, payload=short_debt))
    assert [p.code for p in check_compliance_surrender(short)] == ["surrender_exceeds_obligation"]
