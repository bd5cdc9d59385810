"""Personal credits come into being only by a credit path, and ``verify`` holds to it.

The registry refuses a plain ``issue`` of PCER (``personal_credit_path_required``,
``test_registry_ops``); here, on SQLite and PostgreSQL: what the carbon-inclusive path
issues verifies, and an entry that made PCER around the registry's refusal is named by
``verify`` — without evidence (``personal_credit_off_path``), or with a sink issuance's
kind of evidence but no issuance behind it (the sinks' audit).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from registry_world import build_world

from pctrade.bootstrap.contexts import verify
from pctrade.kernel.clock import SetClock
from pctrade.ledger import commands as c
from pctrade.ledger.model import Batch, Denomination, Party, State
from pctrade.ledger.operations import Plan, plan_issue_columns
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import RowsBeside
from pctrade.ledger.sql.store import SqlStore
from personal_credits import issue_pcer

NOW = datetime(2026, 7, 1, 2, tzinfo=UTC)
PCER = "PCER-GD-AFF0007-2026Q3-002"


def _codes(store: SqlStore) -> list[tuple[str, int | None]]:
    return [(p.code, p.seq) for p in verify(store).problems]


def test_the_carbon_inclusive_path_issues_pcer_that_verifies(any_store: SqlStore) -> None:
    w = build_world(any_store, clock=SetClock(NOW))
    batch = issue_pcer(w.app, {w.alice: 3_000, w.bob: 1_000}, day=date(2026, 6, 10))
    assert batch == "PCER-GD-CI-2026Q2-001"
    with w.store.reader() as uow:
        found = uow.batch_named(batch)
        assert found is not None and found.issued_g == 4_000
        held = [uow.balance(a, found.asset_id, State.AVAILABLE) for a in (w.alice, w.bob)]
    assert held == [3_000, 1_000]
    assert w.app.clock() == NOW  # the helper put the clock back
    assert _codes(w.store) == []


def test_verify_names_pcer_issued_around_the_registry(any_store: SqlStore) -> None:
    w = build_world(any_store)

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        batch = Batch(uow.head.next_asset_id, Denomination.parse(PCER), 5, 0)
        return plan_issue_columns(batch, [w.bob], [5])

    forged = w.reg.journal.execute("reg", "forged", c.Issue(PCER, [w.bob], [5]), planner)
    assert _codes(w.store) == [("personal_credit_off_path", forged.seq)]


def test_verify_names_pcer_issued_with_a_sink_issuances_evidence_but_no_issuance(
    any_store: SqlStore,
) -> None:
    # The registry takes the evidence's word for its kind; the sinks' audit then finds
    # no issuance row, report or attribution table behind it.
    w = build_world(any_store)
    counterfeit = RowsBeside(lambda uow, entry: None, {"kind": "sink_issuance", "batch": PCER})
    entry = w.reg.issue("reg", "fake-sink", c.Issue(PCER, [w.bob], [5]), evidence=counterfeit)
    assert ("sink_issuance_mismatch", entry.seq) in _codes(w.store)
