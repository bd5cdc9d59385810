"""The set-based cap-integrity report is the fold's, figure for figure and seq for seq
(issue 15), on SQLite and PostgreSQL, over journals with every op type it reads: caps,
free allocation, auctions, pre-allocation and a true-up that takes back and leaves a
debt, surrenders with PCER offsets, the ledger's plain surrender, retirement and
cancellation of allowances, and transfers. And a journal whose figures disagree is
flagged by both alike.
"""

from __future__ import annotations

import compliance_world as cworld
import pytest
import sqlalchemy as sa
from year_world import PERIOD, T, Year, build, new_key

from pctrade.compliance import commands as cc
from pctrade.ledger import commands as c
from pctrade.ledger.operations import Retirement
from pctrade.ledger.sql.store import SqlStore


def _both(y: Year) -> dict[str, object]:
    reports = y.app.compliance_reports
    sets, fold = reports.integrity().as_json(), reports.integrity_by_fold().as_json()
    assert sets == fold
    return sets


@pytest.mark.parametrize("j", ["GD", "SZ"])
def test_the_set_based_report_is_the_folds_over_a_compliance_year(
    any_store: SqlStore, j: str
) -> None:
    y = build(any_store, emitters=("plant-a", "plant-b", "plant-c"))
    assert _both(y)["problems"] == []  # an empty journal of compliance
    y.cap(j, 10_000 * T)
    cea = y.allocate(j, {"plant-a": 1_000, "plant-b": 2_000})
    y.auction(j, 500 * T)
    a, b = y.accounts["plant-a"], y.accounts["plant-b"]
    reg = y.app.registry
    reg.transfer("plant-b", new_key(), c.Transfer(b, a, cea, 100 * T))
    y.buy_pcer("plant-a", 80 * T)
    y.confirm("plant-a", j, 800 * T)
    y.confirm("plant-b", j, 1_000 * T)
    y.surrender("plant-a", j, {cea: 720 * T, y.pcer: 80 * T})
    y.surrender("plant-b", j, {cea: 900 * T})
    reg.surrender("plant-b", new_key(), c.Surrender(b, cea, 50 * T, PERIOD))
    retirement = Retirement("Plant B", "voluntary")
    reg.retire("plant-b", new_key(), c.Retire(b, cea, 10 * T, retirement))
    reg.cancel("reg", new_key(), c.Cancel(b, cea, 5 * T, "correction"))
    figures = _both(y)
    assert figures["problems"] == []
    allowances = figures["jurisdictions"][j]["allowances"]  # type: ignore[index]
    assert allowances["reconciles"] and allowances["cancelled"]["grams"] == 15 * T


def test_a_true_up_debt_and_take_back_agree(any_store: SqlStore) -> None:
    w = cworld.build(any_store)  # Guangdong pre-allocates 50 % here
    a, b = w.accounts["plant-a"], w.accounts["plant-b"]
    w.cap("GD", PERIOD, 10**12)
    pre = (cworld.unit(a, 1_000), cworld.unit(b, 1_000))
    run = w.run(cc.RunAllocation("GD", PERIOD, "preallocation", pre))
    batch = str(run.payload["batch"]["denomination"])
    held = int(run.payload["lines"][1][1])
    w.app.registry.transfer("plant-b", new_key(), c.Transfer(b, a, batch, held - T))
    w.confirmed("plant-a", "GD", PERIOD, 100 * T)
    w.confirmed("plant-b", "GD", PERIOD, 100 * T)
    actual = (cworld.unit(a, 400), cworld.unit(b, 10))
    receipt = w.run(cc.RunAllocation("GD", PERIOD, "true_up", actual))
    assert receipt.payload["debt_g"] > 0 and receipt.payload["taken_g"] > 0
    reports = w.app.compliance_reports
    sets, fold = reports.integrity().as_json(), reports.integrity_by_fold().as_json()
    assert sets == fold and sets["problems"] == []


def test_a_journal_that_does_not_reconcile_is_flagged_by_both(any_store: SqlStore) -> None:
    y = build(any_store)
    y.cap("GD", 1_000 * T)
    y.allocate("GD", {"plant-a": 1_000})  # 825 t
    with any_store.engine.begin() as conn:  # a forged cap below what was allocated
        payload = conn.execute(
            sa.text("SELECT payload FROM entries WHERE op_type = 'compliance_cap'")
        ).scalar_one()
        forged = str(payload).replace(str(1_000 * T), str(800 * T))
        conn.execute(
            sa.text("UPDATE entries SET payload = :p WHERE op_type = 'compliance_cap'"),
            {"p": forged},
        )
    figures = _both(y)
    assert [p["code"] for p in figures["problems"]] == ["allocation_exceeds_cap"]  # type: ignore[index]
