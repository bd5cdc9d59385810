"""Surrender (清缴) through the registry, on SQLite and PostgreSQL: one entry for several
batches, units terminal and counted once, every refusal its own code with nothing moved,
each rule on two jurisdictions with different parameters; status and reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from surrender_world import CCER, CEA_OF, GD_CEA, GD_CEA_2026, HB_CEA, T, World, build

from pctrade.compliance.status import Status
from pctrade.compliance.surrendering import SURRENDER
from pctrade.kernel.errors import PctradeError
from pctrade.ledger import commands as c
from pctrade.ledger.model import State
from pctrade.ledger.sql.store import SqlStore


@pytest.fixture
def world(any_store: SqlStore) -> World:
    return build(any_store)


def _verified(w: World, jurisdiction: str, verified_t: int | None, allocation_t: int) -> int:
    account = w.accounts[{"GD": "gd-power", "HB": "hb-steel"}[jurisdiction]]
    w.obligations.set(account, jurisdiction, "2025", verified_t, allocation_t)
    return account


def test_allowances_and_personal_credits_surrender_in_one_entry(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    r = w.surrender("GD", "2025", {GD_CEA: 900 * T, w.pcer: 70 * T, CCER: 30 * T})
    assert r.entry.header.op_type == SURRENDER
    assert len(r.entry.header.payload["units"]) == 3
    assert w.balance("gd-power", GD_CEA) == 100 * T
    assert w.balance("gd-power", GD_CEA, State.SURRENDERED) == 900 * T
    assert w.balance("gd-power", w.pcer, State.SURRENDERED) == 70 * T
    assert w.balance("gd-power", CCER, State.SURRENDERED) == 30 * T
    status = w.reports.status(w.accounts["gd-power"], "GD", "2025")
    assert (status.report.status, status.report.shortfall_g) == (Status.A, 0)
    assert (status.allowances_g, status.offsets_g) == (900 * T, 100 * T)
    assert status.entries == (r.seq,)
    w.verify_ok()


def test_a_replayed_key_answers_the_same_entry_and_moves_nothing(world: World) -> None:
    w = world
    _verified(w, "HB", 500, 1_000)
    first = w.surrender("HB", "2025", {HB_CEA: 400 * T}, key="same")
    again = w.surrender("HB", "2025", {HB_CEA: 400 * T}, key="same")
    assert again.replayed and again.seq == first.seq
    assert w.balance("hb-steel", HB_CEA, State.SURRENDERED) == 400 * T
    w.verify_ok()


def test_surrendered_units_count_once_and_never_move_again(world: World) -> None:
    w = world
    _verified(w, "GD", 2_000, 1_000)
    w.surrender("GD", "2025", {GD_CEA: 600 * T})
    w.surrender("GD", "2025", {GD_CEA: 300 * T})
    status = w.reports.status(w.accounts["gd-power"], "GD", "2025")
    assert status.report.surrendered_g == 900 * T and status.report.shortfall_g == 1_100 * T
    assert len(status.entries) == 2
    with pytest.raises(PctradeError) as refused:  # 900 t are surrendered: 100 t are left
        w.surrender("GD", "2025", {GD_CEA: 200 * T})
    assert refused.value.code == "insufficient_balance"
    with pytest.raises(PctradeError) as terminal:  # nor does a transfer move them
        w.app.registry.transfer(
            "gd-power",
            "t-again",
            c.Transfer(w.accounts["gd-power"], w.accounts["hb-steel"], GD_CEA, 200 * T),
        )
    assert terminal.value.code == "insufficient_balance"
    assert w.balance("gd-power", GD_CEA, State.SURRENDERED) == 900 * T
    w.verify_ok()


def test_what_counted_before_counts_against_the_obligation(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    w.surrender("GD", "2025", {GD_CEA: 950 * T})
    with pytest.raises(PctradeError) as owed:  # 950 + 60 > 1,000 owed
        w.surrender("GD", "2025", {w.pcer: 60 * T})
    assert owed.value.code == "surrender_exceeds_obligation"
    w.surrender("GD", "2025", {w.pcer: 50 * T})
    w.verify_ok()


# Each refusal, on Guangdong and on Hubei: (obligation: verified t, allocation t),
# the units offered, the date, the code. Guangdong's cap is 10 % of the verified
# emissions, Hubei's 10 % of the allocation: the same units fall either side of it.
Case = tuple[str, tuple[int | None, int], Callable[[World], dict[str, int]], int, str]
CASES: list[Case] = [
    ("GD", (1_000, 1_000), lambda w: {GD_CEA: 500 * T}, 37, "surrender_after_deadline"),
    ("HB", (1_000, 1_000), lambda w: {HB_CEA: 500 * T}, 17, "surrender_after_deadline"),
    ("GD", (None, 1_000), lambda w: {GD_CEA: 10 * T}, 0, "emissions_not_verified"),
    ("HB", (None, 1_000), lambda w: {HB_CEA: 10 * T}, 0, "emissions_not_verified"),
    ("GD", (100, 1_000), lambda w: {GD_CEA: 101 * T}, 0, "surrender_exceeds_obligation"),
    ("HB", (100, 1_000), lambda w: {HB_CEA: 101 * T}, 0, "surrender_exceeds_obligation"),
    ("GD", (1_000, 1_000), lambda w: {GD_CEA_2026: 10 * T}, 0, "vintage_not_admitted"),
    ("GD", (1_000, 1_000), lambda w: {HB_CEA: 10 * T}, 0, "allowance_not_admitted"),
    # GD: 10 % of 1,000 t verified = 100 t; HB: 10 % of a 500 t allocation = 50 t.
    ("GD", (1_000, 5_000), lambda w: {w.pcer: 101 * T}, 0, "offsets_above_cap"),
    ("HB", (1_000, 500), lambda w: {w.pcer: 51 * T}, 0, "offset_jurisdiction_not_accepted"),
    ("HB", (1_000, 500), lambda w: {CCER: 51 * T}, 0, "offsets_above_cap"),
    # GD: at least 70 % of offsets local, so CN's CCER may be 30 t of the 100 t cap.
    ("GD", (1_000, 1_000), lambda w: {CCER: 31 * T}, 0, "offsets_nonlocal_above_cap"),
    ("GD", (1_000, 1_000), lambda w: {"CEA-GD-ALLOC-2025-999": 1}, 0, "unknown_batch"),
    ("HB", (1_000, 1_000), lambda w: {HB_CEA: 0}, 0, "non_positive"),
]


@pytest.mark.parametrize(("j", "obligation", "units", "late_days", "code"), CASES)
def test_each_refusal_has_its_code_and_moves_nothing(
    world: World,
    j: str,
    obligation: tuple[int | None, int],
    units: Callable[[World], dict[str, int]],
    late_days: int,
    code: str,
) -> None:
    w = world
    _verified(w, j, *obligation)
    w.clock.now = w.clock.now + timedelta(days=late_days)  # 15 May + 37: 21 June; + 17: 1 June
    head = w.head()
    with pytest.raises(PctradeError) as refused:
        w.surrender(j, "2025", units(w))
    assert refused.value.code == code
    assert w.head() == head
    assert w.balance(w_emitter(j), CEA_OF[j], State.SURRENDERED) == 0
    w.verify_ok()


def w_emitter(j: str) -> str:
    return {"GD": "gd-power", "HB": "hb-steel"}[j]


def test_the_same_late_date_is_refused_in_hubei_and_admitted_in_guangdong(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    _verified(w, "HB", 1_000, 1_000)
    w.clock.now = w.clock.now + timedelta(days=17)  # 1 June: after 31 May, before 20 June
    w.surrender("GD", "2025", {GD_CEA: 10 * T})
    with pytest.raises(PctradeError) as late:
        w.surrender("HB", "2025", {HB_CEA: 10 * T})
    assert late.value.code == "surrender_after_deadline"


def test_pcer_counts_where_admitted_and_not_elsewhere(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    w.surrender("GD", "2025", {w.pcer: 100 * T})  # GD: admitted and local, within 100 t
    account = w.accounts["hb-steel"]
    w.obligations.set(account, "CN", "2025", 1_000, 1_000)
    cmd_units = {w.pcer: 10 * T}
    from pctrade.compliance.surrender_commands import SurrenderUnits

    cmd = SurrenderUnits(account, "CN", "2025", tuple(cmd_units), tuple(cmd_units.values()))
    with pytest.raises(PctradeError) as refused:  # the national market: CCER only
        w.surrenders.surrender("hb-steel", "cn-1", cmd)
    assert refused.value.code == "offset_type_not_admitted"
    w.verify_ok()


def test_only_the_emitter_or_its_agent_surrenders(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    with pytest.raises(PctradeError) as refused:
        w.surrender("GD", "2025", {GD_CEA: T}, who="hb-steel")
    assert refused.value.code in {"not_your_account", "forbidden"}


def test_status_b_with_penalties_from_each_rule_set(world: World) -> None:
    w = world
    gd = _verified(w, "GD", 1_000, 1_000)
    hb = _verified(w, "HB", 1_000, 1_000)
    w.surrender("GD", "2025", {GD_CEA: 900 * T})
    w.surrender("HB", "2025", {HB_CEA: 800 * T})
    w.clock.now = w.clock.now + timedelta(days=60)
    gd_status = w.reports.status(gd, "GD", "2025")
    assert gd_status.final and gd_status.report.status is Status.B
    assert gd_status.report.shortfall_g == 100 * T
    penalty = gd_status.report.penalty
    assert penalty is not None  # GD: a fixed 50,000 yuan, twice the shortfall deducted
    assert (penalty.fine_min_fen, penalty.deduction_g) == (5_000_000, 200 * T)
    hb_status = w.reports.status(hb, "HB", "2025", price_fen_per_t=4_000)
    hb_penalty = hb_status.report.penalty
    assert hb_penalty is not None  # HB: 1-3 times the shortfall's market value
    # 1-3 × 200 t × 40 yuan: 0.8 M and 2.4 M fen, both under the 150,000-yuan ceiling
    assert (hb_penalty.fine_min_fen, hb_penalty.fine_max_fen) == (800_000, 2_400_000)
    assert hb_penalty.deduction_g == 400 * T
    # At 400 yuan a tonne 3 × the value (24 M fen) passes the ceiling; 1 × (8 M) does not.
    dear = w.reports.status(hb, "HB", "2025", price_fen_per_t=40_000).report.penalty
    assert dear is not None and (dear.fine_min_fen, dear.fine_max_fen) == (8_000_000, 15_000_000)
    # At 2,000 yuan a tonne both multiples pass it: the fine is the ceiling.
    dearer = w.reports.status(hb, "HB", "2025", price_fen_per_t=200_000).report.penalty
    assert dearer is not None
    assert (dearer.fine_min_fen, dearer.fine_max_fen) == (15_000_000, 15_000_000)


def test_the_regulators_report_counts_each_status(world: World) -> None:
    w = world
    gd = _verified(w, "GD", 1_000, 1_000)
    w.obligations.set(w.accounts["hb-steel"], "GD", "2025", None, 0)
    w.surrender("GD", "2025", {GD_CEA: 1_000 * T})
    report = w.reports.compliance_report("GD", "2025")
    assert report["by_status"] == {"A": 1, "B": 0, "C": 1}
    assert report["surrendered_g"] == 1_000 * T and report["shortfall_g"] == 0
    assert report["rows"][0]["account_id"] == min(gd, w.accounts["hb-steel"])


def test_the_integrity_report_reconciles_each_jurisdiction(world: World) -> None:
    w = world
    _verified(w, "GD", 1_000, 1_000)
    seq = w.surrender("GD", "2025", {GD_CEA: 800 * T, w.pcer: 70 * T, CCER: 30 * T}).seq
    report = w.reports.integrity().as_json()
    gd = report["jurisdictions"]["GD"]["allowances"]
    assert gd["reconciles"]
    assert gd["allocated"]["grams"] == 1_100 * T  # both GD vintages
    assert gd["surrendered"] == {"grams": 900 * T, "seqs": [seq]}
    assert gd["offsets_used"]["grams"] == 100 * T and gd["banked_g"] == 300 * T
    period = report["jurisdictions"]["GD"]["periods"]["2025"]
    assert period["offsets_by_type"]["PCER"]["grams"] == 70 * T
    assert period["offsets_by_type"]["CCER"]["seqs"] == [seq]
    assert report["problems"] == []
