"""Exact quantification: integer factors, conservative rounding, daily and yearly caps."""

from __future__ import annotations

from behaviour_support import AS_OF_MS, DAY, DAY_START_MS, HOUR_MS, MINUTE_MS, event
from hypothesis import given
from hypothesis import strategies as st

from pctrade.energy.behaviour import UG_PER_G, CapFlag, Catalogue, Event, apply_caps, quantify_day


def steps(row_no: int, count: int, person: str = "alice") -> Event:
    return event(
        row_no,
        partner_id="step_app",
        behaviour="walk_steps",
        unit="step",
        quantity=count,
        person_id=person,
        start_ms=DAY_START_MS + 7 * HOUR_MS,
        end_ms=DAY_START_MS + 22 * HOUR_MS,
    )


def test_seven_thousand_steps_earn_exactly_140_g(catalogue: Catalogue) -> None:
    (row,) = quantify_day([steps(0, 7_000)], catalogue, DAY, AS_OF_MS).energy
    assert (row.credited_g, row.remainder_ug, row.cap_forfeit_ug) == (140, 0, 0)
    assert row.methodology == "walking/v1" and row.factor_ug_per_unit == 20_000


def test_sub_gram_activity_is_floored_and_its_remainder_recorded(catalogue: Catalogue) -> None:
    (row,) = quantify_day([steps(0, 49)], catalogue, DAY, AS_OF_MS).energy
    assert row.credited_g == 0
    assert row.remainder_ug == 980_000


def test_metro_km_are_credited_at_46_8_g_per_km_with_the_fraction_kept(
    catalogue: Catalogue,
) -> None:
    (row,) = quantify_day([event(quantity=12)], catalogue, DAY, AS_OF_MS).energy
    # 12 km x 46.8 g = 561.6 g: 561 g credited, 0.6 g recorded as remainder.
    assert (row.quantity, row.credited_g, row.remainder_ug) == (12_000, 561, 600_000)


def test_remainders_are_summed_before_flooring_within_a_behaviour(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    rides = [
        event(
            i,
            quantity=500,
            unit="m",
            start_ms=start + i * HOUR_MS,
            end_ms=start + i * HOUR_MS + 2 * MINUTE_MS,
        )
        for i in range(3)
    ]
    (row,) = quantify_day(rides, catalogue, DAY, AS_OF_MS).energy
    # Each ride avoids 23.4 g; three together 70.2 g, so 70 g (not 3 x 23 g).
    assert (row.events_n, row.credited_g, row.remainder_ug) == (3, 70, 200_000)


def test_walking_over_296_g_is_capped_and_the_excess_recorded(catalogue: Catalogue) -> None:
    (row,) = quantify_day([steps(0, 20_000)], catalogue, DAY, AS_OF_MS).energy
    assert row.avoided_ug == 400 * UG_PER_G
    assert row.credited_g == 296
    assert row.cap_forfeit_ug == 104 * UG_PER_G
    assert row.cap_flag is CapFlag.OVER_DAILY_CAP


def test_the_daily_cap_is_shared_by_a_familys_behaviours_in_id_order(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    run = event(
        1,
        partner_id="step_app",
        behaviour="run_km",
        unit="km",
        quantity=10,
        start_ms=start,
        end_ms=start + HOUR_MS,
    )
    rows = quantify_day([steps(0, 10_000), run], catalogue, DAY, AS_OF_MS).energy
    by_behaviour = {row.behaviour: row for row in rows}
    # run_km sorts first and takes 260 g; walk_steps gets the remaining 36 g of 296.
    assert by_behaviour["run_km"].credited_g == 260
    assert by_behaviour["walk_steps"].credited_g == 36
    assert by_behaviour["walk_steps"].cap_flag is CapFlag.OVER_DAILY_CAP


def test_caps_are_per_person(catalogue: Catalogue) -> None:
    rows = quantify_day([steps(0, 20_000), steps(1, 20_000, "bob")], catalogue, DAY, AS_OF_MS)
    assert [row.credited_g for row in rows.energy] == [296, 296]


def test_the_yearly_cap_limits_the_days_credit(catalogue: Catalogue) -> None:
    ytd = {("alice", "walking"): 108_000}
    (row,) = quantify_day([steps(0, 7_000)], catalogue, DAY, AS_OF_MS, ytd).energy
    assert row.credited_g == 40
    assert row.cap_forfeit_ug == 100 * UG_PER_G
    assert row.cap_flag is CapFlag.OVER_YEARLY_CAP


def test_a_person_past_the_yearly_cap_earns_nothing_more(catalogue: Catalogue) -> None:
    ytd = {("alice", "walking"): 200_000}
    (row,) = quantify_day([steps(0, 7_000)], catalogue, DAY, AS_OF_MS, ytd).energy
    assert row.credited_g == 0 and row.cap_forfeit_ug == row.avoided_ug


def test_quantification_is_reproducible_from_events_and_methodology(catalogue: Catalogue) -> None:
    batch = [steps(0, 12_345), event(1, quantity=7), event(2, quantity=7, event_id="E1")]
    first = quantify_day(batch, catalogue, DAY, AS_OF_MS)
    again = quantify_day(list(reversed(batch)), catalogue, DAY, AS_OF_MS)
    assert sorted(first.energy, key=repr) == sorted(again.energy, key=repr)


amounts = st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=4)


@given(amounts, st.integers(0, 10**6), st.integers(0, 10**7))
def test_caps_and_rounding_never_create_carbon(
    avoided_ug: list[int], cap_day_g: int, year_room_g: int
) -> None:
    outcomes = apply_caps(avoided_ug, cap_day_g, year_room_g)
    for amount, outcome in zip(avoided_ug, outcomes, strict=True):
        assert (
            outcome.credited_g * UG_PER_G + outcome.remainder_ug + outcome.cap_forfeit_ug == amount
        )
        assert 0 <= outcome.remainder_ug < UG_PER_G
        assert outcome.cap_forfeit_ug >= 0 and outcome.credited_g >= 0
    credited_g = sum(o.credited_g for o in outcomes)
    assert credited_g <= min(cap_day_g, year_room_g)
    assert credited_g * UG_PER_G <= sum(avoided_ug)
