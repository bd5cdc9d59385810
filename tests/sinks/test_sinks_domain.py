"""The pure sink rules: eligibility, periods, verification, exact attribution, reversal."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pctrade.kernel.errors import PctradeError
from pctrade.sinks.attribution import (
    CreditedBasis,
    attribute,
    buffer_share_g,
    issued_loss_share_g,
    plan_reversal,
)
from pctrade.sinks.evidence import attribution_digest
from pctrade.sinks.fast_split import attribute_columns
from pctrade.sinks.monitoring import (
    FiledReport,
    Period,
    ReportStatus,
    check_issuable,
    check_no_overlap,
    check_verifier,
)
from pctrade.sinks.project import (
    Parcel,
    ProjectSpec,
    ProjectState,
    ProjectStatus,
    ProjectType,
    sponsorship_cost_g,
    validate_spec,
)
from pctrade.sinks.removals import (
    check_plausible,
    expected_removal_g,
    parse_models,
    removal_models,
)

FOREST_TYPES = frozenset({"chinese_fir"})


def spec(**changes: object) -> ProjectSpec:
    base = ProjectSpec(
        code="AFF0007",
        name="Meizhou hillside afforestation",
        project_type=ProjectType.AFFORESTATION,
        jurisdiction="GD",
        forest_type="chinese_fir",
        parcels=(Parcel("P1", 50_000, 10), Parcel("P2", 400, 3)),
        crediting_start=date(2026, 1, 1),
        crediting_end=date(2045, 12, 31),
        unit_energy_g=17_900,
        units_offered=1_000,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def code_of(exc: pytest.ExceptionInfo[PctradeError]) -> str:
    return exc.value.code


def test_an_eligible_afforestation_project_passes() -> None:
    validate_spec(spec(), FOREST_TYPES)


@pytest.mark.parametrize(
    ("parcel", "code"),
    [
        (Parcel("P9", 399, 10), "parcel_too_small"),
        (Parcel("P9", 5_000, 2), "parcel_recently_forest"),
        (Parcel("P9", 5_000, 10, wetland=True), "parcel_wetland"),
    ],
)
def test_afforestation_eligibility_rules_each_have_a_code(parcel: Parcel, code: str) -> None:
    with pytest.raises(PctradeError) as exc:
        validate_spec(spec(parcels=(Parcel("P1", 50_000, 10), parcel)), FOREST_TYPES)
    assert code_of(exc) == code


def test_conservation_of_existing_forest_is_not_held_to_the_not_forest_rule() -> None:
    existing = (Parcel("P1", 90_000, 0),)
    validate_spec(
        spec(code="CON0001", project_type=ProjectType.CONSERVATION, parcels=existing),
        FOREST_TYPES,
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"code": "REF0007"}, "bad_project_code"),
        ({"code": "AFF7"}, "bad_project_code"),
        ({"forest_type": "baobab"}, "unknown_forest_type"),
        ({"crediting_end": date(2025, 1, 1)}, "bad_period"),
        ({"unit_energy_g": 0}, "non_positive"),
        ({"units_offered": 0}, "bad_units_offered"),
        ({"parcels": ()}, "bad_parcels"),
        ({"parcels": (Parcel("P1", 500, 5), Parcel("P1", 500, 5))}, "duplicate_parcel"),
    ],
)
def test_malformed_projects_are_refused_with_a_code(changes: dict[str, object], code: str) -> None:
    with pytest.raises(PctradeError) as exc:
        validate_spec(spec(**changes), FOREST_TYPES)
    assert code_of(exc) == code


def project_state(status: ProjectStatus, sold: int = 0) -> ProjectState:
    return ProjectState("AFF0007", status, 100, 10, sold)


def test_sponsorship_costs_units_times_the_unit_price() -> None:
    assert sponsorship_cost_g(project_state(ProjectStatus.APPROVED), 3) == 300


@pytest.mark.parametrize(
    ("status", "sold", "units", "code"),
    [
        (ProjectStatus.REGISTERED, 0, 1, "project_not_approved"),
        (ProjectStatus.CLOSED, 0, 1, "project_closed"),
        (ProjectStatus.APPROVED, 8, 3, "units_exhausted"),
        (ProjectStatus.APPROVED, 0, 0, "non_positive"),
    ],
)
def test_sponsoring_an_unapproved_closed_or_sold_out_project_is_refused(
    status: ProjectStatus, sold: int, units: int, code: str
) -> None:
    with pytest.raises(PctradeError) as exc:
        sponsorship_cost_g(project_state(status, sold), units)
    assert code_of(exc) == code


Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))


def test_a_period_overlapping_a_verified_or_pending_report_is_refused() -> None:
    for status in (ReportStatus.VERIFIED, ReportStatus.PENDING):
        with pytest.raises(PctradeError) as exc:
            check_no_overlap(
                Period(date(2026, 9, 30), date(2026, 12, 31)), [FiledReport(1, Q3, status)]
            )
        assert code_of(exc) == "period_overlap"


def test_a_rejected_report_frees_its_period_and_adjacent_periods_do_not_overlap() -> None:
    check_no_overlap(Q3, [FiledReport(1, Q3, ReportStatus.REJECTED)])
    check_no_overlap(
        Period(date(2026, 10, 1), date(2026, 12, 31)), [FiledReport(1, Q3, ReportStatus.VERIFIED)]
    )
    assert Q3.days == 92 and Q3.vintage == "2026Q3"


def test_a_verifier_may_not_verify_its_own_or_an_affiliated_project() -> None:
    check_verifier("cqc", "owner", ["consultant"])
    for verifier in ("owner", "consultant"):
        with pytest.raises(PctradeError) as exc:
            check_verifier(verifier, "owner", ["consultant"])
        assert code_of(exc) == "own_project"


def test_issuance_never_exceeds_the_verified_removals_left() -> None:
    check_issuable(ReportStatus.VERIFIED, 1_000, 400, 600)
    with pytest.raises(PctradeError) as exc:
        check_issuable(ReportStatus.VERIFIED, 1_000, 400, 601)
    assert code_of(exc) == "exceeds_verified"
    with pytest.raises(PctradeError) as exc:
        check_issuable(ReportStatus.PENDING, 1_000, 0, 1)
    assert code_of(exc) == "report_not_verified"


def test_the_shipped_removal_model_is_whole_grams_and_marks_its_assumptions() -> None:
    models = removal_models()
    assert {"chinese_fir", "masson_pine", "mixed_broadleaf"} <= models.forest_types
    assert all(b.assumption for bands in models.bands.values() for b in bands)
    # One hectare of 10-year-old fir for a full year removes the band's rate exactly.
    rate = models.rate_g_per_ha_y("chinese_fir", 10)
    assert expected_removal_g(models, "chinese_fir", 10_000, 10, 365) == rate


def test_a_removal_model_with_a_gap_in_ages_is_refused() -> None:
    raw = {
        "version": "x",
        "methodology": "x",
        "plausibility_pct": 150,
        "model": [
            {
                "forest_type": "f",
                "bands": [
                    {"age_from_y": 0, "age_to_y": 5, "removal_g_per_ha_y": 1, "assumption": True},
                    {"age_from_y": 6, "age_to_y": 9, "removal_g_per_ha_y": 1, "assumption": True},
                ],
            }
        ],
    }
    with pytest.raises(PctradeError) as exc:
        parse_models(raw)
    assert code_of(exc) == "bad_model"


def test_implausibly_large_measured_removals_are_refused() -> None:
    check_plausible(200, 100, 200)
    with pytest.raises(PctradeError) as exc:
        check_plausible(201, 100, 200)
    assert code_of(exc) == "removals_implausible"


def test_the_buffer_share_is_rounded_up() -> None:
    assert buffer_share_g(1_000, 2_000) == 200
    assert buffer_share_g(1_001, 2_000) == 201  # 200.2 → 201


@given(
    removals=st.integers(1, 10**15),
    buffer_bps=st.integers(0, 9_999),
    shares=st.lists(st.integers(0, 10**6), min_size=1, max_size=60).filter(lambda s: sum(s) > 0),
)
def test_attribution_accounts_for_every_gram_and_each_sponsor_is_within_one_gram(
    removals: int, buffer_bps: int, shares: list[int]
) -> None:
    ids = list(range(1000, 1000 + len(shares)))
    a = attribute(removals, buffer_bps, ids, shares)
    assert a.buffer_g + sum(a.amounts_g) == removals
    assert a.buffer_g * 10_000 >= removals * buffer_bps  # never less buffer than the rate
    assert a.split.leftover == sum(a.split.rounded_up) < len(shares)
    for amount, share, rem, up in zip(
        a.amounts_g, shares, a.split.remainders, a.split.rounded_up, strict=True
    ):
        exact_num = a.distributable_g * share  # exact share is exact_num / total_shares
        assert amount * a.total_shares - exact_num == (a.total_shares - rem if up else -rem)
        assert abs(amount * a.total_shares - exact_num) < a.total_shares


def test_attribution_refuses_a_project_without_sponsors_or_with_a_duplicate() -> None:
    with pytest.raises(PctradeError) as exc:
        attribute(100, 2_000, [], [])
    assert code_of(exc) == "no_sponsors"
    with pytest.raises(PctradeError) as exc:
        attribute(100, 2_000, [1000, 1000], [1, 1])
    assert code_of(exc) == "duplicate_recipient"


ALL_CREDITED = CreditedBasis(1_000, 1_000)


def test_a_reversal_cancels_buffer_first_and_reports_the_shortfall() -> None:
    holdings = [("PCER-GD-AFF0007-2026Q3-001", 300), ("B2", 0), ("B3", 100)]
    plan = plan_reversal(500, ALL_CREDITED, holdings)
    assert plan.cancellations == [("PCER-GD-AFF0007-2026Q3-001", 300), ("B3", 100)]
    assert (plan.covered_g, plan.shortfall_g, plan.uncredited_loss_g) == (400, 100, 0)
    covered = plan_reversal(250, ALL_CREDITED, [("B1", 300)])
    assert covered.cancellations == [("B1", 250)] and covered.shortfall_g == 0


def test_a_loss_counts_against_the_credits_only_for_their_share_rounded_up() -> None:
    # 3 % of the verified removals were credited: a 1,000 g loss is 30 g of credits' loss.
    plan = plan_reversal(1_000, CreditedBasis(3_000, 100_000), [("B1", 25)])
    assert (plan.issued_loss_g, plan.covered_g, plan.shortfall_g) == (30, 25, 5)
    assert plan.uncredited_loss_g == 970
    assert issued_loss_share_g(1, 3_000, 100_000) == 1  # ⌈0.03⌉: toward permanence
    assert issued_loss_share_g(10**9, 3_000, 100_000) == 3_000  # never more than credited
    assert issued_loss_share_g(500, 0, 0) == 0  # nothing issued, nothing insured


@given(
    loss=st.integers(1, 10**12),
    credited=st.integers(0, 10**12),
    uncredited=st.integers(0, 10**12),
    holdings=st.lists(st.integers(0, 10**9), max_size=5),
)
def test_a_reversal_never_cancels_more_than_the_credits_share_of_the_loss(
    loss: int, credited: int, uncredited: int, holdings: list[int]
) -> None:
    removals = credited + uncredited
    plan = plan_reversal(loss, CreditedBasis(credited, removals), [("B", g) for g in holdings])
    exact = Fraction(loss * credited, removals) if removals else Fraction(0)
    assert plan.issued_loss_g == min(credited, math.ceil(exact))
    assert plan.covered_g + plan.shortfall_g == plan.issued_loss_g
    assert plan.issued_loss_g + plan.uncredited_loss_g == loss
    assert sum(g for _, g in plan.cancellations) == plan.covered_g <= sum(holdings)


@given(
    removals=st.one_of(st.integers(1, 10**9), st.integers(10**15, 10**17)),
    shares=st.lists(st.integers(1, 10**6), min_size=1, max_size=60),
    buffer_bps=st.integers(0, 9_999),
)
def test_the_columnar_attribution_matches_the_pure_one_and_its_cut_line(
    removals: int, shares: list[int], buffer_bps: int
) -> None:
    ids = list(range(1_000, 1_000 + 3 * len(shares), 3))
    expected = attribute(removals, buffer_bps, ids, shares)
    fast = attribute_columns(
        removals, buffer_bps, 4, np.array(ids, dtype=np.int64), np.array(shares, dtype=np.int64)
    )
    assert fast.attribution == expected
    owed = [(i, g) for i, g in zip(ids, expected.amounts_g, strict=True) if g > 0]
    head = [(4, expected.buffer_g)] if expected.buffer_g else []
    assert list(zip(fast.recipients, fast.amounts_g, strict=True)) == head + owed
    columns = (ids, shares, expected.amounts_g, expected.split.remainders,
               [int(u) for u in expected.split.rounded_up])  # fmt: skip
    assert fast.digest == attribution_digest([list(c) for c in columns])
    if fast.cut is not None:  # the rule the database applies gives the same flags
        c = fast.cut
        for account, r, up in zip(ids, expected.split.remainders, expected.split.rounded_up,
                                  strict=True):  # fmt: skip
            assert up == (r > c.remainder or (r == c.remainder and account <= c.account))
