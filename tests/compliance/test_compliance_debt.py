"""A true-up's debt is owed at surrender (issue 15), on SQLite and PostgreSQL.

When a negative true-up cannot take back what the pre-allocation gave too much (the
emitter had passed the allowances on), the grams it could not take are the emitter's
debt: they are added to what it must surrender, its status and shortfall count them,
and a surrender may cover them. Two jurisdictions with different parameters: the
national market (70 % pre-allocated; offsets capped at 5 % of the required surrender,
so the debt raises the cap) and Guangdong with the test figures of ``compliance_world``
(50 % pre-allocated; offsets capped at 10 % of the verified emissions, so it does not).
"""

from __future__ import annotations

import pytest
from compliance_world import GD_BENCHMARKS, GD_PREALLOCATION_BPS, ComplianceWorld, build, new_key
from compliance_world import unit as installation

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance import queries
from pctrade.compliance.status import Status
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.units import BPS, G_PER_T
from pctrade.ledger import commands as lc
from pctrade.ledger.service import Receipt
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

BENCHMARK = {"CN": 877_000, "GD": GD_BENCHMARKS["coal_300mw_above"]["supply_g_per_mwh"]}
PREALLOCATION_BPS = {"CN": 7_000, "GD": GD_PREALLOCATION_BPS}
# The offset cap's basis: CN the required surrender (emissions + debt), GD the emissions.
CAP_BPS = {"CN": 500, "GD": 1_000}
EMISSIONS_G = 80 * G_PER_T
BIG_CAP_G = 10**13


@pytest.fixture
def world(any_store: SqlStore) -> ComplianceWorld:
    return build(any_store)


def _in_debt(w: ComplianceWorld, jurisdiction: str) -> tuple[str, int]:
    """plant-c is pre-allocated for 1,000 MWh, passes all but 1 kg on to plant-a, and is
    trued up to 100 MWh: the batch's name and the debt the true-up leaves it."""
    a, c = w.accounts["plant-a"], w.accounts["plant-c"]
    w.cap(jurisdiction, "2025", BIG_CAP_G)
    w.run(cc.RunAllocation(jurisdiction, "2025", "preallocation", (installation(c, 1_000),)))
    batch = f"CEA-{jurisdiction}-ALLOC-2025-001"
    given = BENCHMARK[jurisdiction] * 1_000 * PREALLOCATION_BPS[jurisdiction] // BPS
    w.app.registry.transfer("plant-c", new_key(), lc.Transfer(c, a, batch, given - 1_000))
    w.confirmed("plant-c", jurisdiction, "2025", EMISSIONS_G)
    receipt = w.run(cc.RunAllocation(jurisdiction, "2025", "true_up", (installation(c, 100),)))
    debt = given - BENCHMARK[jurisdiction] * 100 - 1_000
    assert receipt.payload["debt_g"] == debt > 0
    return batch, debt


def _surrender(w: ComplianceWorld, jurisdiction: str, batch: str, grams: int) -> Receipt:
    c = w.accounts["plant-c"]
    cmd = SurrenderUnits(c, jurisdiction, "2025", (batch,), (grams,))
    return w.app.surrenders.surrender("plant-c", new_key(), cmd)


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_a_true_up_debt_is_added_to_what_the_emitter_must_surrender(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    batch, debt = _in_debt(world, jurisdiction)
    c = world.accounts["plant-c"]
    with world.store.reader() as uow:
        obligation = queries.obligation(uow, c, jurisdiction, "2025")
    assert (obligation.verified_emissions_g, obligation.debt_g) == (EMISSIONS_G, debt)
    assert obligation.required_g == EMISSIONS_G + debt

    status = world.app.compliance_reports.status(c, jurisdiction, "2025")
    assert status.report.status is Status.B
    assert status.report.shortfall_g == EMISSIONS_G + debt
    view = status.as_json()
    assert (view["verified_emissions_g"], view["debt_g"], view["owed_g"]) == (
        EMISSIONS_G,
        debt,
        EMISSIONS_G + debt,
    )

    # plant-a hands back enough to cover the emissions and the debt.
    owed = EMISSIONS_G + debt
    transfer = lc.Transfer(world.accounts["plant-a"], c, batch, owed)
    world.app.registry.transfer("plant-a", new_key(), transfer)
    receipt = _surrender(world, jurisdiction, batch, EMISSIONS_G)
    assert receipt.payload["debt_g"] == debt
    basis = owed if jurisdiction == "CN" else EMISSIONS_G
    assert receipt.payload["offset_cap_g"] == basis * CAP_BPS[jurisdiction] // BPS
    after_emissions = world.app.compliance_reports.status(c, jurisdiction, "2025")
    assert after_emissions.report.status is Status.B  # the emissions covered, not the debt
    assert after_emissions.report.shortfall_g == debt

    before = everything(world.store)
    with pytest.raises(PctradeError) as exc:
        _surrender(world, jurisdiction, batch, debt + 1)
    assert exc.value.code == "surrender_exceeds_obligation"
    assert everything(world.store) == before

    _surrender(world, jurisdiction, batch, debt)
    final = world.app.compliance_reports.status(c, jurisdiction, "2025")
    assert (final.report.status, final.report.shortfall_g) == (Status.A, 0)
    report = world.app.compliance_reports.compliance_report(jurisdiction, "2025")
    assert report["debt_g"] == debt and report["owed_g"] == owed
    integrity = world.app.compliance_reports.integrity()
    assert list(integrity.problems()) == []
    assert verify(world.store).ok


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_without_a_debt_the_obligation_is_the_verified_emissions(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    c = world.accounts["plant-c"]
    world.cap(jurisdiction, "2025", BIG_CAP_G)
    world.run(cc.RunAllocation(jurisdiction, "2025", "preallocation", (installation(c, 100),)))
    world.confirmed("plant-c", jurisdiction, "2025", EMISSIONS_G)
    world.run(cc.RunAllocation(jurisdiction, "2025", "true_up", (installation(c, 60),)))
    with world.store.reader() as uow:
        obligation = queries.obligation(uow, c, jurisdiction, "2025")
    assert obligation.debt_g == 0 and obligation.required_g == EMISSIONS_G
    status = world.app.compliance_reports.status(c, jurisdiction, "2025")
    assert status.report.shortfall_g == EMISSIONS_G
