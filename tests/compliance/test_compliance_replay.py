"""What replay and the audit catch of the compliance entries and tables (issue 15).

Pure: the planners and each replay check on entries built from plans, a forged payload
beside honest postings. On both databases: a row edited behind the journal's back (an
allocation line, a cap, a report's figure, a stream) is found by ``verify``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
import sqlalchemy as sa
from compliance_world import ComplianceWorld, build, unit

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.model import (
    AllocationKind,
    CapTracker,
    Citation,
    Line,
    ReportStep,
    Run,
    Step,
    check_allocate,
    check_cap,
    check_emissions,
    plan_allocate,
    plan_cap,
    plan_emissions,
)
from pctrade.kernel.errors import ValidationError
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.journal import EntryHeader
from pctrade.ledger.model import Batch, Denomination, State, SystemAccount
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import Posting, Postings
from pctrade.ledger.sql.store import SqlStore

CITES = Citation("CN/2021-02-01", "d" * 64)
BATCH = Batch(7, Denomination.parse("CEA-CN-ALLOC-2025-001"), 300, 0)


def _batch(grams: int) -> Batch:
    return Batch(7, Denomination.parse("CEA-CN-ALLOC-2025-001"), grams, 0)


def _entry(plan: Plan, seq: int = 10, payload: dict[str, object] | None = None) -> StoredEntry:
    header = EntryHeader(seq, plan.op_type, "reg", f"k{seq}", "r", "ts", payload or plan.payload)
    return StoredEntry(header, "p", "h", plan.postings)


def _codes(problems: Iterable[Problem]) -> list[str]:
    return [p.code for p in problems]


def _run(lines: tuple[Line, ...], drawn_before: int = 0, cap: int = 1_000) -> Run:
    return Run("CN", "2025", AllocationKind.TRUE_UP, CITES, cap, drawn_before, lines)


def test_an_honest_run_passes_its_check_and_a_forged_line_does_not() -> None:
    lines = (Line(1000, 200), Line(1001, 100), Line(1002, 0, ((5, 40),), 10))
    plan = plan_allocate(_run(lines), BATCH)
    assert _codes(check_allocate(_entry(plan))) == []
    forged_lines = [[1000, 250, [], 0], [1001, 50, [], 0], [1002, 0, [[5, 40]], 10]]
    forged = {**plan.payload, "lines": forged_lines}
    assert _codes(check_allocate(_entry(plan, payload=forged))) == [
        "compliance_allocation_mismatch"
    ]
    hidden_debt = {**plan.payload, "debt_g": 0}
    assert _codes(check_allocate(_entry(plan, payload=hidden_debt))) == [
        "compliance_allocation_mismatch"
    ]


def test_a_run_beyond_its_cap_is_flagged_by_the_check_and_the_tracker() -> None:
    cap = _entry(plan_cap("CN", "2025", 1_000, CITES), seq=1)
    within = _entry(plan_allocate(_run((Line(1000, 300),)), BATCH), seq=2)
    over = plan_allocate(_run((Line(1000, 800),), drawn_before=300), _batch(800))
    tracker = CapTracker()
    assert _codes(tracker.feed(cap)) == []
    assert _codes(tracker.feed(within)) == []
    assert _codes(check_allocate(_entry(over, seq=3))) == ["allocation_exceeds_cap"]
    assert _codes(tracker.feed(_entry(over, seq=3))) == ["allocation_exceeds_cap"]
    # A payload that understates what earlier runs drew does not hide it from the tracker.
    lying = plan_allocate(_run((Line(1001, 800),), drawn_before=0), _batch(800))
    fresh = CapTracker()
    for entry in (cap, within):
        assert _codes(fresh.feed(entry)) == []
    assert _codes(fresh.feed(_entry(lying, seq=3))) == [
        "compliance_allocation_mismatch",
        "allocation_exceeds_cap",
    ]


def test_a_run_without_a_cap_and_a_second_cap_are_flagged() -> None:
    tracker = CapTracker()
    run = _entry(plan_allocate(_run((Line(1000, 300),)), BATCH), seq=2)
    assert _codes(tracker.feed(run)) == ["compliance_no_cap"]
    cap = _entry(plan_cap("CN", "2025", 1_000, CITES), seq=3)
    assert _codes(tracker.feed(cap)) == []
    assert _codes(tracker.feed(cap)) == ["compliance_cap_mismatch"]
    assert _codes(check_cap(cap)) == []


def test_an_auction_run_issues_to_the_auction_account_only() -> None:
    run = Run("CN", "2025", AllocationKind.AUCTION, CITES, 1_000, 0, (Line(1000, 300),))
    assert _codes(check_allocate(_entry(plan_allocate(run, BATCH)))) == [
        "compliance_allocation_mismatch"
    ]
    good = Run(
        "CN", "2025", AllocationKind.AUCTION, CITES, 1_000, 0, (Line(SystemAccount.AUCTION, 300),)
    )
    assert _codes(check_allocate(_entry(plan_allocate(good, BATCH)))) == []


def test_a_run_issues_a_batch_exactly_when_it_grants() -> None:
    with pytest.raises(ValidationError):
        plan_allocate(_run((Line(1000, 0, ((5, 3),)),)), BATCH)
    with pytest.raises(ValidationError):
        plan_allocate(_run((Line(1000, 300),)), None)
    take_back = plan_allocate(_run((Line(1000, 0, ((5, 3),)),)), None)
    assert take_back.op_type == "compliance_take_back"
    assert _codes(check_allocate(_entry(take_back))) == []


def _submission(figure: int) -> Plan:
    streams = (SourceStream("coal", 1_000, "kg", 2_661),)
    step = Step(
        "ER-CN-2025-1000", ReportStep.SUBMIT, "CN", "2025", 1000, 1, figure, CITES, streams=streams
    )
    return plan_emissions(step)


def test_a_submission_records_its_streams_and_replay_recomputes_them() -> None:
    plan = _submission(2_661)
    assert _codes(check_emissions(_entry(plan))) == []
    forged = {**plan.payload, "figure_g": 2_000}
    assert _codes(check_emissions(_entry(plan, payload=forged))) == ["compliance_report_mismatch"]
    with pytest.raises(ValidationError):
        _submission(2_000)  # the planner refuses a figure that is not its streams' sum
    rows = [Posting(1000, 7, State.AVAILABLE, -5), Posting(1001, 7, State.AVAILABLE, 5)]
    moved = Plan(plan.op_type, plan.payload, Postings.of(rows))
    assert _codes(check_emissions(_entry(moved))) == ["compliance_report_mismatch"]


def test_report_steps_out_of_turn_are_flagged() -> None:
    tracker = CapTracker()
    confirm = Step("ER-CN-2025-1000", ReportStep.CONFIRM, "CN", "2025", 1000, 1, 5, CITES)
    assert _codes(tracker.feed(_entry(plan_emissions(confirm), seq=1))) == [
        "compliance_report_out_of_order"
    ]
    fresh = CapTracker()
    assert _codes(fresh.feed(_entry(_submission(2_661), seq=1))) == []
    verify_step = Step("ER-CN-2025-1000", ReportStep.VERIFY, "CN", "2025", 1000, 1, 2_661, CITES)
    assert _codes(fresh.feed(_entry(plan_emissions(verify_step), seq=2))) == []
    assert _codes(fresh.feed(_entry(plan_emissions(confirm), seq=3))) == []


# ---- rows tampered behind the journal's back -----------------------------------------
ALLOCATION = "compliance_allocation_mismatch"
REPORT = "compliance_report_mismatch"


@pytest.fixture
def world(any_store: SqlStore) -> ComplianceWorld:
    w = build(any_store)
    a, b = w.accounts["plant-a"], w.accounts["plant-b"]
    w.cap("CN", "2025", 10**13)
    w.run(cc.RunAllocation("CN", "2025", "free", (unit(a, 100), unit(b, 200))))
    w.confirmed("plant-a", "CN", "2025", 5_000)
    assert verify(w.store).ok
    return w


def _tamper(w: ComplianceWorld, sql: str) -> list[str]:
    with w.store.engine.begin() as conn:
        assert conn.execute(sa.text(sql)).rowcount >= 1
    return [p.code for p in verify(w.store).problems]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        (
            "UPDATE compliance_allocations SET granted_g = granted_g + 1",
            "compliance_allocation_mismatch",
        ),
        ("UPDATE compliance_runs SET taken_g = 5", "compliance_allocation_mismatch"),
        (
            "DELETE FROM compliance_allocations WHERE account_id = 1001",
            "compliance_allocation_mismatch",
        ),
        ("UPDATE compliance_caps SET cap_g = cap_g * 2", "compliance_cap_mismatch"),
        ("UPDATE compliance_reports SET confirmed_g = 1", "compliance_report_mismatch"),
        (
            "UPDATE compliance_report_steps SET figure_g = 1 WHERE step = 'verify'",
            "compliance_report_mismatch",
        ),
        ("UPDATE compliance_report_streams SET activity_units = 1", "compliance_report_mismatch"),
    ],
)
def test_verify_finds_a_tampered_row(world: ComplianceWorld, sql: str, code: str) -> None:
    assert code in _tamper(world, sql)
