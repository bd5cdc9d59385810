"""``verify`` names a sink row edited behind the service's back (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sinks_world import (
    SinkWorld,
    approved_project,
    build,
    file_report,
    grant_energy,
    new_key,
    unit_g,
)

from pctrade.bootstrap.contexts import verify
from pctrade.ledger.sql.store import SqlStore
from pctrade.sinks.monitoring import Period
from pctrade.sinks.service import Issuance

Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))


@pytest.fixture
def issued(any_store: SqlStore) -> Iterator[tuple[SinkWorld, Issuance]]:
    w = build(any_store)
    grant_energy(w, {"alice": 3 * unit_g(), "bob": 2 * unit_g(), "chen": 2 * unit_g()})
    code = approved_project(w)
    for person, units in (("alice", 3), ("bob", 2), ("chen", 2)):
        w.sinks.sponsor(person, f"sp-{person}", w.people[person], code, units)
    report = file_report(w, code, Q3, 400_000_007)
    w.sinks.verify("cqc", new_key(), int(report["report_id"]), True, "re-measured")
    issuance = w.sinks.issue("reg", "issue-q3", int(report["report_id"]))
    w.sinks.reverse("reg", "fire-1", code, 1_000, "fire")
    assert verify(any_store).ok
    yield w, issuance


def tamper(w: SinkWorld, statement: str, **params: object) -> list[tuple[str, str]]:
    with w.store.engine.begin() as conn:
        assert conn.execute(sa.text(statement), params).rowcount >= 1
    return [(p.code, p.message) for p in verify(w.store).problems]


def test_an_untouched_sink_world_verifies(issued: tuple[SinkWorld, Issuance]) -> None:
    w, _ = issued
    assert verify(w.store).problems == []


def test_an_edited_share_is_named_by_its_sponsorship(issued: tuple[SinkWorld, Issuance]) -> None:
    w, _ = issued
    problems = tamper(
        w, "UPDATE sink_sponsorships SET units = 30 WHERE account_id = :a", a=w.people["alice"]
    )
    codes = {c for c, _ in problems}
    assert {"sink_sponsorship_mismatch", "sink_project_mismatch"} <= codes
    assert any("units 30 (entry: 3)" in m for _, m in problems)


@pytest.mark.parametrize("column", ["amount_g", "shares", "remainder"])
def test_an_edited_attribution_row_is_named_by_its_account(
    issued: tuple[SinkWorld, Issuance], column: str
) -> None:
    w, _ = issued
    problems = tamper(
        w,
        f"UPDATE sink_attributions SET {column} = {column} + 1 WHERE account_id = :a",
        a=w.people["bob"],
    )
    named = [m for c, m in problems if c == "sink_attribution_mismatch"]
    assert any(f"accounts {w.people['bob']}" in m for m in named), problems
    assert any("digest" in m for m in named)


def test_a_flipped_leftover_gram_flag_is_caught(issued: tuple[SinkWorld, Issuance]) -> None:
    w, _ = issued
    problems = tamper(
        w,
        "UPDATE sink_attributions SET rounded_up = NOT rounded_up WHERE account_id = :a",
        a=w.people["chen"],
    )
    assert "sink_attribution_mismatch" in {c for c, _ in problems}


def test_a_deleted_attribution_row_or_sponsorship_is_caught(
    issued: tuple[SinkWorld, Issuance],
) -> None:
    w, _ = issued
    problems = tamper(w, "DELETE FROM sink_attributions WHERE account_id = :a", a=w.people["bob"])
    assert "sink_attribution_mismatch" in {c for c, _ in problems}
    problems = tamper(w, "DELETE FROM sink_sponsorships WHERE account_id = :a", a=w.people["bob"])
    assert "sink_sponsorship_missing" in {c for c, _ in problems}


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        ("UPDATE sink_projects SET unit_energy_g = 1", "sink_project_mismatch"),
        ("UPDATE sink_projects SET buffer_bps = 100", "sink_project_mismatch"),
        ("UPDATE sink_parcels SET wetland = NOT wetland", "sink_project_mismatch"),
        ("UPDATE sink_projects SET batches = 5", "sink_project_mismatch"),
        ("UPDATE sink_reports SET removals_g = removals_g + 1", "sink_report_mismatch"),
        ("UPDATE sink_reports SET verifier = 'forestco-mrv'", "sink_report_mismatch"),
        ("UPDATE sink_reports SET issued_g = 0", "sink_report_mismatch"),
        ("UPDATE sink_issuances SET buffer_g = buffer_g - 1", "sink_issuance_mismatch"),
        ("UPDATE sink_reversals SET covered_g = 0", "sink_reversal_mismatch"),
        ("UPDATE sink_reversals SET plan = ''", "sink_reversal_mismatch"),
        # The whole loss counted against the credits, not their share (issue 11)
        (
            "UPDATE sink_reversals SET issued_loss_g = loss_g, shortfall_g = loss_g - covered_g",
            "sink_reversal_mismatch",
        ),
        ("UPDATE sink_reversals SET credited_g = credited_g + 1", "sink_reversal_mismatch"),
        (
            "UPDATE sink_reversals SET credited_removals_g = credited_removals_g * 2",
            "sink_reversal_mismatch",
        ),
    ],
)
def test_an_edited_project_report_issuance_or_reversal_is_named(
    issued: tuple[SinkWorld, Issuance], statement: str, code: str
) -> None:
    w, _ = issued
    problems = tamper(w, statement)
    assert code in {c for c, _ in problems}, problems
