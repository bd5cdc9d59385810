"""Caps and allocation runs through the service, on SQLite and PostgreSQL (issue 15).

Each rule runs on two jurisdictions with different figures: the national market (CN:
its power benchmarks, 70 % pre-allocated) and Guangdong with the test figures of
``compliance_world`` (other benchmarks, 50 % pre-allocated). Every refusal has its own
code and leaves every table as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from compliance_world import (
    GD_BENCHMARKS,
    GD_PREALLOCATION_BPS,
    REGULATOR,
    ComplianceWorld,
    build,
    new_key,
    unit,
)

from pctrade.bootstrap.contexts import verify
from pctrade.compliance import commands as cc
from pctrade.compliance import queries
from pctrade.compliance.sql import store as db
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as lc
from pctrade.ledger.model import State, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from table_snapshot import everything

CN_COAL_G_PER_MWH = 877_000  # the shipped CN rule set's figure
BENCHMARK = {"CN": CN_COAL_G_PER_MWH, "GD": GD_BENCHMARKS["coal_300mw_above"]["supply_g_per_mwh"]}
PREALLOCATION_BPS = {"CN": 7_000, "GD": GD_PREALLOCATION_BPS}
BIG_CAP_G = 10**13


def refused(w: ComplianceWorld, code: str, call: Any, *args: Any) -> None:
    """``call`` is refused with ``code`` and writes nothing anywhere."""
    before = everything(w.store)
    with pytest.raises(PctradeError) as exc:
        call(*args)
    assert exc.value.code == code, exc.value.message
    assert everything(w.store) == before


def held(w: ComplianceWorld, account_id: int, denomination: str) -> int:
    with w.store.reader() as uow:
        batch = uow.batch_named(denomination)
        assert batch is not None
        return uow.balance(account_id, batch.asset_id, State.AVAILABLE)


@pytest.fixture
def world(any_store: SqlStore) -> ComplianceWorld:
    return build(any_store)


# ---- caps ----------------------------------------------------------------------------
@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_a_cap_is_one_entry_without_postings_citing_its_rule_set(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    receipt = world.cap(jurisdiction, "2025", 5_000_000, key="cap-1")
    rule_set = world.service.rule_set(jurisdiction)
    assert receipt.entry.header.op_type == "compliance_cap"
    assert receipt.payload == {
        "jurisdiction": jurisdiction,
        "period": "2025",
        "cap_g": 5_000_000,
        "rule_set": rule_set.version,
        "rule_set_digest": rule_set.digest,
    }
    assert receipt.entry.posting_count == 0
    assert world.cap(jurisdiction, "2025", 5_000_000, key="cap-1").replayed
    refused(world, "cap_exists", world.cap, jurisdiction, "2025", 6_000_000)
    assert verify(world.store).ok


def test_only_the_regulator_sets_a_cap_and_bad_caps_are_refused(world: ComplianceWorld) -> None:
    cmd = cc.SetCap("CN", "2025", 1_000)
    refused(world, "forbidden", world.service.set_cap, "plant-a", new_key(), cmd)
    refused(world, "bad_cap", world.cap, "CN", "2025", 0)
    refused(world, "bad_cap", world.cap, "CN", "2025", -5)
    refused(world, "bad_period", world.cap, "CN", "25", 1_000)
    refused(world, "bad_period", world.cap, "CN", "2026-2025", 1_000)
    refused(world, "no_rule_set", world.cap, "XX", "2025", 1_000)
    refused(world, "bad_jurisdiction", world.cap, "C1", "2025", 1_000)


# ---- free allocation ----------------------------------------------------------------
@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_free_allocation_is_benchmark_times_output_times_factors_in_one_entry(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    a, b = world.accounts["plant-a"], world.accounts["plant-b"]
    world.cap(jurisdiction, "2025", BIG_CAP_G)
    factored = cc.InstallationOf(a, "coal_300mw_above", "supply_g_per_mwh", 1_001, (9_950, 10_100))
    cmd = cc.RunAllocation(jurisdiction, "2025", "free", (factored, unit(a, 10), unit(b, 333)))
    preview = world.service.preview(REGULATOR, cmd)
    expected_a = BENCHMARK[jurisdiction] * 1_001 * 9_950 * 10_100 // 10_000**2
    expected_a += BENCHMARK[jurisdiction] * 10
    expected_b = BENCHMARK[jurisdiction] * 333
    assert {x.account_id: x.granted_g for x in preview.lines} == {a: expected_a, b: expected_b}
    assert preview.cap.reserve_g == BIG_CAP_G - expected_a - expected_b
    assert preview.rule_set == world.service.rule_set(jurisdiction).version

    receipt = world.run(cmd)
    denomination = f"CEA-{jurisdiction}-ALLOC-2025-001"
    assert receipt.entry.header.op_type == "compliance_allocate"
    assert receipt.payload["batch"]["denomination"] == denomination
    assert receipt.payload["rule_set"] == preview.rule_set
    assert held(world, a, denomination) == expected_a
    assert held(world, b, denomination) == expected_b
    with world.store.reader() as uow:
        assert queries.obligation(uow, a, jurisdiction, "2025").allocation_g == expected_a
    assert verify(world.store).ok


def test_a_run_names_real_installations_of_key_emitters(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("CN", "2025", BIG_CAP_G)

    def run(*installations: cc.InstallationOf) -> None:
        world.run(cc.RunAllocation("CN", "2025", "free", installations))

    refused(world, "not_an_emitter", run, unit(world.accounts["alice"], 10))
    refused(world, "unknown_account", run, unit(999_999, 10))
    refused(world, "no_benchmark", run, unit(a, 10, "coal_nuclear"))
    refused(world, "bad_output", run, unit(a, -1))
    refused(world, "not_integer", run, cc.InstallationOf(a, "gas", "supply_g_per_mwh", 1.5))  # type: ignore[arg-type]
    refused(world, "bad_factor", run, cc.InstallationOf(a, "gas", "supply_g_per_mwh", 5, (0,)))
    refused(world, "missing_field", run)
    gift = cc.RunAllocation("CN", "2025", "gift", (unit(a, 10),))
    refused(world, "bad_allocation_kind", world.run, gift)
    refused(world, "nothing_to_issue", run, unit(a, 0))
    cmd = cc.RunAllocation("CN", "2025", "free", (unit(a, 10),))
    refused(world, "forbidden", world.service.run_allocation, "plant-a", new_key(), cmd)
    with pytest.raises(PctradeError) as exc:
        world.service.preview("plant-a", cmd)
    assert exc.value.code == "forbidden"


def test_an_emitter_is_allocated_free_once_per_period(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("CN", "2025", BIG_CAP_G)
    world.run(cc.RunAllocation("CN", "2025", "free", (unit(a, 10),)))
    again = cc.RunAllocation("CN", "2025", "free", (unit(a, 10),))
    refused(world, "already_allocated", world.run, again)
    pre = cc.RunAllocation("CN", "2025", "preallocation", (unit(a, 10),))
    refused(world, "already_allocated", world.run, pre)
    world.cap("CN", "2026", BIG_CAP_G)  # another period is another allocation
    world.run(cc.RunAllocation("CN", "2026", "free", (unit(a, 10),)))
    assert verify(world.store).ok


# ---- the cap -------------------------------------------------------------------------
@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_allocation_never_passes_the_cap_and_the_reserve_is_tracked(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    a, b = world.accounts["plant-a"], world.accounts["plant-b"]
    one_a = BENCHMARK[jurisdiction] * 100
    cap_g = one_a * 3 + 500
    free = cc.RunAllocation(jurisdiction, "2025", "free", (unit(a, 100),))
    refused(world, "no_cap", world.run, free)
    world.cap(jurisdiction, "2025", cap_g)
    world.run(free)
    auction = cc.RunAllocation(jurisdiction, "2025", "auction", auctioned_g=one_a)
    world.run(auction)
    too_much = cc.RunAllocation(jurisdiction, "2025", "free", (unit(b, 101),))
    refused(world, "allocation_exceeds_cap", world.run, too_much)
    with pytest.raises(PctradeError) as exc:
        world.service.preview(REGULATOR, too_much)
    assert exc.value.code == "allocation_exceeds_cap"
    over_auction = cc.RunAllocation(jurisdiction, "2025", "auction", auctioned_g=one_a + 501)
    refused(world, "allocation_exceeds_cap", world.run, over_auction)
    world.run(cc.RunAllocation(jurisdiction, "2025", "free", (unit(b, 100),)))  # exactly fits

    status = queries.cap_status(world.store, jurisdiction, "2025")
    assert (status["cap_g"], status["free_g"], status["auctioned_g"], status["reserve_g"]) == (
        cap_g,
        2 * one_a,
        one_a,
        500,
    )
    with world.store.reader() as uow:
        auction_batch = uow.batch_named(f"CEA-{jurisdiction}-ALLOC-2025-002")
        assert auction_batch is not None
        balance = uow.balance(SystemAccount.AUCTION, auction_batch.asset_id, State.AVAILABLE)
    assert balance == one_a  # paid allocation waits in the auction account for bidding
    assert verify(world.store).ok


def test_an_auction_run_is_a_positive_quantity_and_nothing_else(world: ComplianceWorld) -> None:
    world.cap("CN", "2025", BIG_CAP_G)
    for grams, code in ((0, "non_positive"), (-3, "non_positive")):
        refused(
            world, code, world.run, cc.RunAllocation("CN", "2025", "auction", auctioned_g=grams)
        )
    with_units = cc.RunAllocation(
        "CN", "2025", "auction", (unit(world.accounts["plant-a"], 1),), 1_000
    )
    refused(world, "bad_request", world.run, with_units)


# ---- pre-allocation and true-up ------------------------------------------------------
@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_preallocation_is_the_rule_sets_share_of_the_prior_years_figure(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    a = world.accounts["plant-a"]
    world.cap(jurisdiction, "2025", BIG_CAP_G)
    receipt = world.run(cc.RunAllocation(jurisdiction, "2025", "preallocation", (unit(a, 1_000),)))
    expected = BENCHMARK[jurisdiction] * 1_000 * PREALLOCATION_BPS[jurisdiction] // 10_000
    assert receipt.payload["lines"] == [[a, expected, [], 0]]
    assert held(world, a, f"CEA-{jurisdiction}-ALLOC-2025-001") == expected


def test_a_rule_set_without_preallocation_refuses_it(any_store: SqlStore) -> None:
    w = build(any_store, shipped_gd=True)
    w.cap("GD", "2025", BIG_CAP_G)
    cmd = cc.RunAllocation("GD", "2025", "preallocation", (unit(w.accounts["plant-a"], 10),))
    refused(w, "no_rule", w.run, cmd)  # shipped GD has neither pre-allocation nor benchmarks
    refused(w, "no_rule", w.run, cc.RunAllocation("GD", "2025", "free", cmd.installations))


@pytest.mark.parametrize("jurisdiction", ["CN", "GD"])
def test_the_true_up_follows_confirmed_emissions_and_gives_or_takes_back(
    world: ComplianceWorld, jurisdiction: str
) -> None:
    a, b, c = (world.accounts[x] for x in ("plant-a", "plant-b", "plant-c"))
    world.cap(jurisdiction, "2025", BIG_CAP_G)
    pre = cc.RunAllocation(
        jurisdiction, "2025", "preallocation", (unit(a, 1_000), unit(b, 1_000), unit(c, 1_000))
    )
    world.run(pre)
    given = BENCHMARK[jurisdiction] * 1_000 * PREALLOCATION_BPS[jurisdiction] // 10_000
    first = f"CEA-{jurisdiction}-ALLOC-2025-001"
    # c sells most of its pre-allocation before the true-up: it keeps 1 kg.
    world.app.registry.transfer("plant-c", new_key(), lc.Transfer(c, a, first, given - 1_000))
    true_up = cc.RunAllocation(
        jurisdiction, "2025", "true_up", (unit(a, 1_200), unit(b, 300), unit(c, 100))
    )
    refused(world, "emissions_not_verified", world.run, true_up)
    for who in ("plant-a", "plant-b", "plant-c"):
        world.confirmed(who, jurisdiction, "2025", 900_000)
    receipt = world.run(true_up)

    bench = BENCHMARK[jurisdiction]
    owed_b, owed_c = given - bench * 300, given - bench * 100
    assert receipt.payload["lines"] == [
        [a, bench * 1_200 - given, [], 0],
        [b, 0, [[_asset(world, first), owed_b]], 0],
        [c, 0, [[_asset(world, first), 1_000]], owed_c - 1_000],
    ]
    assert held(world, b, first) == given - owed_b
    assert held(world, c, first) == 0
    with world.store.reader() as uow:
        assert uow.balance(b, _asset(world, first), State.CANCELLED) == owed_b
        ob = queries.obligation(uow, c, jurisdiction, "2025")
        assert (ob.allocation_g, ob.verified_emissions_g) == (bench * 100, 900_000)
        assert queries.debt_g(uow, c, jurisdiction, "2025") == owed_c - 1_000
    refused(world, "already_allocated", world.run, true_up)
    assert verify(world.store).ok


def test_a_true_up_that_only_takes_back_is_its_own_entry(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("CN", "2025", BIG_CAP_G)
    world.run(cc.RunAllocation("CN", "2025", "preallocation", (unit(a, 1_000),)))
    world.confirmed("plant-a", "CN", "2025", 10)
    receipt = world.run(cc.RunAllocation("CN", "2025", "true_up", (unit(a, 500),)))
    assert receipt.entry.header.op_type == "compliance_take_back"
    assert "batch" not in receipt.payload
    expected = CN_COAL_G_PER_MWH * 1_000 * 7_000 // 10_000 - CN_COAL_G_PER_MWH * 500
    assert receipt.payload["taken_g"] == expected
    status = queries.cap_status(world.store, "CN", "2025")
    assert status["free_g"] == CN_COAL_G_PER_MWH * 500
    assert verify(world.store).ok


def test_a_run_is_replayed_by_its_key(world: ComplianceWorld) -> None:
    a = world.accounts["plant-a"]
    world.cap("CN", "2025", BIG_CAP_G)
    cmd = cc.RunAllocation("CN", "2025", "free", (unit(a, 10),))
    first = world.run(cmd, key="run-1")
    before = everything(world.store)
    again = world.run(cmd, key="run-1")
    assert again.replayed and again.seq == first.seq
    assert everything(world.store) == before


def _asset(w: ComplianceWorld, denomination: str) -> int:
    with w.store.reader() as uow:
        batch = uow.batch_named(denomination)
        assert batch is not None
        return batch.asset_id


def test_a_run_reads_its_emitters_in_chunks_with_the_same_result(
    world: ComplianceWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IN_CHUNK_MAX", 1)  # every emitter its own statement
    accounts = [world.accounts[x] for x in ("plant-a", "plant-b", "plant-c")]
    world.cap("CN", "2025", BIG_CAP_G)
    world.run(
        cc.RunAllocation("CN", "2025", "preallocation", tuple(unit(a, 100) for a in accounts))
    )
    for who in ("plant-a", "plant-b", "plant-c"):
        world.confirmed(who, "CN", "2025", 1_000)
    again = cc.RunAllocation("CN", "2025", "preallocation", (unit(accounts[2], 1),))
    refused(world, "already_allocated", world.run, again)  # found in the last chunk
    receipt = world.run(
        cc.RunAllocation("CN", "2025", "true_up", tuple(unit(a, 10) for a in accounts))
    )
    given = CN_COAL_G_PER_MWH * 100 * 7_000 // 10_000
    back = given - CN_COAL_G_PER_MWH * 10
    asset = _asset(world, "CEA-CN-ALLOC-2025-001")
    assert receipt.payload["lines"] == [[a, 0, [[asset, back]], 0] for a in accounts]
    assert verify(world.store).ok
