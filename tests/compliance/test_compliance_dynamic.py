"""Fujian-style annual dynamic adjustment of allocation (配额年度动态管理, issue 15).

Each year an emitter is pre-allocated on its prior year's verified output, then, once its
emissions are confirmed, adjusted to its verified output (多退少补), the final figure
moved into the rule set's band around the verified emissions. Two jurisdictions with
different parameters: Fujian as shipped (70 % pre-allocated; a gap beyond 20 % of the
emissions is void; no surplus bound) and Tianjin given test figures (another clinker
benchmark, 60 % pre-allocated, gap at most 10 %, surplus at most 5 %). The national
market trues up without a band. Through the real allocation run (preview, then one
entry), on SQLite and PostgreSQL; replay recomputes every adjusted figure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from importlib import resources
from types import MappingProxyType

import pytest
from compliance_world import REGULATOR, ComplianceWorld, build
from compliance_world import rule_book as base_book

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance.allocation import Band, dynamically_adjusted_g
from pctrade.compliance.model import (
    Adjusted,
    Adjustment,
    AllocationKind,
    Citation,
    Line,
    Run,
    check_allocate,
    lines_of,
    plan_allocate,
)
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.units import BPS, G_PER_T
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import EntryHeader
from pctrade.ledger.model import Batch, Denomination
from pctrade.ledger.sql.store import SqlStore
from pctrade.rules import RuleBook, RuleSetError, load_text
from pctrade.rules.model import Allocation, Cited, RuleSet

T = G_PER_T
CLINKER = ("cement_clinker", "clinker_g_per_t")
# jurisdiction → (benchmark g/t clinker, pre-allocation bps, gap bound, surplus bound)
PARAMS = {"FJ": (853_400, 7_000, 2_000, None), "TJ": (900_000, 6_000, 1_000, 500)}
TODAY = date(2026, 3, 2)
FJ_TEXT = (resources.files("pctrade.rules") / "data" / "FJ" / "2023-08-23.toml").read_text()
PRIOR_T = 100_000  # each emitter's prior-year clinker output
EMISSIONS_G = 80_000 * T  # each emitter's verified emissions
ACTUAL_T = {"plant-a": 95_000, "plant-b": 50_000, "plant-c": 120_000}


def _tianjin_for_tests(r: RuleSet) -> RuleSet:
    bench, pre, gap, surplus = PARAMS["TJ"]
    allocation = Allocation(
        "industry",
        MappingProxyType({CLINKER[0]: MappingProxyType({CLINKER[1]: bench})}),
        dynamic_adjustment=True,
        cited=Cited(sources=("pctrade_test_figures",), assumed=frozenset({"benchmarks"})),
        adjustment_gap_max_bps=gap,
        adjustment_surplus_max_bps=surplus,
    )
    assert r.compliance is not None
    return replace(
        r, allocation=allocation, compliance=replace(r.compliance, preallocation_bps=pre)
    )


@pytest.fixture
def world(any_store: SqlStore) -> ComplianceWorld:
    book = RuleBook(
        _tianjin_for_tests(r) if r.jurisdiction == "TJ" else r for r in base_book().rule_sets()
    )
    return build(any_store, rules=book)


def _clinker(account_id: int, tonnes: int) -> cc.InstallationOf:
    return cc.InstallationOf(account_id, CLINKER[0], CLINKER[1], tonnes)


def _expected_final(method_g: int, verified_g: int, gap: int | None, surplus: int | None) -> int:
    low = 0 if gap is None else verified_g * (BPS - gap) // BPS
    high = None if surplus is None else verified_g + verified_g * surplus // BPS
    bounded = method_g if high is None else min(method_g, high)
    return max(bounded, low)


# ---- the arithmetic -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "verified", "band", "final"),
    [
        (90, 100, Band(2_000, None), 90),  # within the gap bound
        (70, 100, Band(2_000, None), 80),  # the gap beyond 20 % is void
        (70, 100, Band(None, None), 70),  # no bound: the method's figure
        (200, 100, Band(2_000, None), 200),  # no surplus bound
        (200, 100, Band(1_000, 500), 105),  # the surplus beyond 5 % is void
        (0, 7, Band(1_000, 500), 6),  # 6.3 rounds down: never a gram more
        (100, 7, Band(1_000, 500), 7),  # 7.35 rounds down
    ],
)
def test_a_dynamic_adjustment_moves_the_figure_into_the_band(
    method: int, verified: int, band: Band, final: int
) -> None:
    assert dynamically_adjusted_g(method, verified, band) == final


def test_the_shipped_fujian_rule_set_adjusts_dynamically_with_cited_figures() -> None:
    fujian = base_book().in_force("FJ", TODAY)
    assert fujian.allocation is not None and fujian.compliance is not None
    assert fujian.allocation.dynamic_adjustment
    assert fujian.allocation.adjustment_gap_max_bps == PARAMS["FJ"][2]
    assert fujian.allocation.benchmark_g(*CLINKER) == PARAMS["FJ"][0]
    assert fujian.compliance.preallocation_bps == PARAMS["FJ"][1]
    assert set(fujian.allocation.cited.sources) <= set(fujian.sources)
    assert "benchmarks" in fujian.allocation.cited.assumed


# ---- through the allocation run ---------------------------------------------------------
@pytest.mark.parametrize("jurisdiction", ["FJ", "TJ"])
def test_each_year_is_preallocated_then_adjusted_into_the_band(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    bench, pre, gap, surplus = PARAMS[jurisdiction]
    accounts = {who: world.accounts[who] for who in ACTUAL_T}
    world.cap(jurisdiction, "2025", 10**15)
    prior = tuple(_clinker(a, PRIOR_T) for a in accounts.values())
    world.run(cc.RunAllocation(jurisdiction, "2025", "preallocation", prior))
    given = bench * PRIOR_T * pre // BPS
    for who in accounts:
        world.confirmed(who, jurisdiction, "2025", EMISSIONS_G)

    actual = tuple(_clinker(accounts[who], t) for who, t in ACTUAL_T.items())
    cmd = cc.RunAllocation(jurisdiction, "2025", "true_up", actual)
    preview = world.service.preview(REGULATOR, cmd)
    receipt = world.run(cmd)
    assert preview.lines == tuple(lines_of({"lines": receipt.payload["lines"]}))

    adjustment = receipt.payload["adjustment"]
    assert (adjustment["gap_max_bps"], adjustment["surplus_max_bps"]) == (gap, surplus)
    finals = {}
    for who, tonnes in ACTUAL_T.items():
        method = bench * tonnes
        final = _expected_final(method, EMISSIONS_G, gap, surplus)
        finals[accounts[who]] = final
        assert [accounts[who], method, EMISSIONS_G, final] in adjustment["figures"]
    # plant-b's gap is void beyond the bound; plant-c's surplus is cut only in Tianjin.
    assert finals[accounts["plant-b"]] == EMISSIONS_G * (BPS - gap) // BPS
    assert (finals[accounts["plant-c"]] < bench * ACTUAL_T["plant-c"]) is (surplus is not None)
    for account_id, granted, taken, debt in receipt.payload["lines"]:
        taken_g = sum(g for _, g in taken)
        assert given + granted - taken_g - debt == finals[account_id]
    assert verify(world.store).ok


@pytest.mark.parametrize("band", [Band(2_000, None), Band(1_000, 500)])
def test_replay_recomputes_every_adjusted_figure(band: Band) -> None:
    method, verified = 1_000, 2_000
    final = dynamically_adjusted_g(method, verified, band)
    adjustment = Adjustment(band, (Adjusted(1000, method, verified, final),))
    cites = Citation("FJ/2023-08-23", "d" * 64)
    run = Run(
        "FJ", "2025", AllocationKind.TRUE_UP, cites, 10**9, 0, (Line(1000, final),), adjustment
    )
    plan = plan_allocate(run, Batch(7, Denomination.parse("CEA-FJ-ALLOC-2025-001"), final, 0))

    def entry(payload: dict[str, object]) -> StoredEntry:
        header = EntryHeader(10, plan.op_type, "reg", "k", "r", "ts", payload)
        return StoredEntry(header, "p", "h", plan.postings)

    assert list(check_allocate(entry(plan.payload))) == []
    recorded = plan.payload["adjustment"]
    forged = {**recorded, "figures": [[1000, method, verified, final + 1]]}
    problems = list(check_allocate(entry({**plan.payload, "adjustment": forged})))
    assert [p.code for p in problems] == ["compliance_allocation_mismatch"]


def test_the_national_true_up_has_no_band(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("CN", "2025", 10**15)
    supply = cc.InstallationOf(a, "coal_300mw_above", "supply_g_per_mwh", 1_000)
    world.run(cc.RunAllocation("CN", "2025", "preallocation", (supply,)))
    world.confirmed("plant-a", "CN", "2025", EMISSIONS_G)
    low = replace(supply, output_units=10)  # far below the emissions: no bound lifts it
    receipt = world.run(cc.RunAllocation("CN", "2025", "true_up", (low,)))
    assert "adjustment" not in receipt.payload
    given = 877_000 * 1_000 * 7_000 // BPS
    assert receipt.payload["taken_g"] == given - 877_000 * 10


def test_bounds_without_a_dynamic_adjustment_are_refused_on_load() -> None:
    with pytest.raises(RuleSetError) as refused:
        load_text(FJ_TEXT.replace("dynamic_adjustment = true", "dynamic_adjustment = false"), "FJ")
    assert "adjustment_gap_max_bps" in refused.value.message


def test_a_run_refused_for_unconfirmed_emissions_writes_nothing(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("FJ", "2025", 10**15)
    world.run(cc.RunAllocation("FJ", "2025", "preallocation", (_clinker(a, PRIOR_T),)))
    with pytest.raises(PctradeError) as refused:
        world.run(cc.RunAllocation("FJ", "2025", "true_up", (_clinker(a, 1_000),)))
    assert refused.value.code == "emissions_not_verified"
