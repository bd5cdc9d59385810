"""Every bad input of issue 4 is rejected or held with its stable reason code."""

from __future__ import annotations

import dataclasses

from behaviour_support import AS_OF_MS, DAY, DAY_START_MS, HOUR_MS, MINUTE_MS, event

from pctrade.energy.behaviour import Catalogue, Event, Hold, Rejection, quantify_day


def outcome(catalogue: Catalogue, *events: Event) -> dict[int, str]:
    """row_no -> reason, or 'credited' for events that count."""
    result = quantify_day(list(events), catalogue, DAY, AS_OF_MS)
    decided: dict[int, str] = {e.row_no: "credited" for e in events}
    decided.update({r.event.row_no: str(r.reason) for r in result.rejected})
    decided.update({h.event.row_no: str(h.reason) for h in result.held})
    return decided


def test_a_well_formed_metro_ride_is_credited(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event()) == {0: "credited"}


def test_unknown_behaviour_type_is_rejected(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(behaviour="teleport"))[0] == Rejection.UNKNOWN_BEHAVIOUR


def test_unknown_unit_is_rejected(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(unit="mile"))[0] == Rejection.UNKNOWN_UNIT


def test_a_unit_of_another_behaviour_is_unknown_here(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(unit="step"))[0] == Rejection.UNKNOWN_UNIT


def test_negative_quantity_is_rejected(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(quantity=-3))[0] == Rejection.NON_POSITIVE_QUANTITY


def test_zero_quantity_is_rejected(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(quantity=0))[0] == Rejection.NON_POSITIVE_QUANTITY


def test_absurd_quantity_is_rejected_without_overflowing(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(quantity=2**63 - 1))[0] == Rejection.QUANTITY_ABOVE_MAX


def test_end_before_start_is_rejected(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    assert outcome(catalogue, event(start_ms=start, end_ms=start - 1))[0] == (
        Rejection.END_BEFORE_START
    )


def test_timestamp_in_the_future_is_rejected(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 23 * HOUR_MS + 50 * MINUTE_MS
    late = event(start_ms=start, end_ms=AS_OF_MS + 1, quantity=1)
    assert outcome(catalogue, late)[0] == Rejection.FUTURE_TIMESTAMP


def test_an_event_of_another_day_is_reported_not_dropped(catalogue: Catalogue) -> None:
    yesterday = event(start_ms=DAY_START_MS - HOUR_MS, end_ms=DAY_START_MS - 30 * MINUTE_MS)
    assert outcome(catalogue, yesterday)[0] == Rejection.NOT_ON_DAY


def test_an_event_lasting_more_than_a_day_is_rejected(catalogue: Catalogue) -> None:
    long = event(
        behaviour="walk_steps",
        unit="step",
        quantity=10,
        start_ms=DAY_START_MS,
        end_ms=DAY_START_MS + 25 * HOUR_MS,
    )
    assert outcome(catalogue, long)[0] == Rejection.DURATION_TOO_LONG


def test_missing_person_is_rejected_as_missing_field(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(person_id=None))[0] == Rejection.MISSING_FIELD
    assert outcome(catalogue, event(event_id=""))[0] == Rejection.MISSING_FIELD


def test_e_ticket_without_its_ticket_number_is_rejected(catalogue: Catalogue) -> None:
    ticket = event(behaviour="e_ticket", unit="item", quantity=1, partner_id="e_invoice")
    assert outcome(catalogue, ticket)[0] == Rejection.MISSING_EVIDENCE
    with_number = dataclasses.replace(ticket, evidence_ref="T1")
    assert outcome(catalogue, with_number) == {0: "credited"}


def test_identical_resubmission_counts_once(catalogue: Catalogue) -> None:
    first, again = event(0), event(1, event_id="E0")
    result = quantify_day([first, again], catalogue, DAY, AS_OF_MS)
    assert outcome(catalogue, first, again) == {0: "credited", 1: Rejection.DUPLICATE_EVENT}
    assert [row.events_n for row in result.energy] == [1]


def test_duplicate_event_id_with_different_content_rejects_every_copy(catalogue: Catalogue) -> None:
    first, changed = event(0), event(1, event_id="E0", quantity=13)
    assert outcome(catalogue, first, changed) == {
        0: Rejection.DUPLICATE_EVENT_CONFLICT,
        1: Rejection.DUPLICATE_EVENT_CONFLICT,
    }


def test_same_event_id_from_two_partners_is_not_a_duplicate(catalogue: Catalogue) -> None:
    ride = event(0, start_ms=DAY_START_MS + 8 * HOUR_MS)
    other = event(
        1,
        event_id="E0",
        partner_id="bus_pay",
        behaviour="bus_trip",
        unit="trip",
        quantity=1,
        start_ms=DAY_START_MS + 9 * HOUR_MS,
        end_ms=DAY_START_MS + 9 * HOUR_MS + 20 * MINUTE_MS,
    )
    assert outcome(catalogue, ride, other) == {0: "credited", 1: "credited"}


def test_walk_at_40_kmh_is_held_as_implausible_speed(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    walk = event(
        behaviour="walk_km", unit="km", quantity=40, start_ms=start, end_ms=start + HOUR_MS
    )
    assert outcome(catalogue, walk)[0] == Hold.IMPLAUSIBLE_SPEED


def test_walk_at_exactly_the_speed_limit_is_credited(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    walk = event(
        behaviour="walk_km", unit="m", quantity=8_000, start_ms=start, end_ms=start + HOUR_MS
    )
    assert outcome(catalogue, walk)[0] == "credited"


def test_metro_ride_slower_than_walking_pace_is_held(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    crawl = event(quantity=1, start_ms=start, end_ms=start + 2 * HOUR_MS)
    assert outcome(catalogue, crawl)[0] == Hold.IMPLAUSIBLE_SPEED


def test_a_distance_covered_in_zero_time_is_held(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    assert outcome(catalogue, event(start_ms=start, end_ms=start))[0] == Hold.IMPLAUSIBLE_SPEED


def test_overlapping_trips_from_two_partners_are_both_held(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    metro = event(0, start_ms=start, end_ms=start + 30 * MINUTE_MS)
    bike = event(
        1,
        partner_id="bike_share",
        behaviour="cycle_shared",
        unit="m",
        quantity=5_000,
        start_ms=start + 20 * MINUTE_MS,
        end_ms=start + 45 * MINUTE_MS,
    )
    assert outcome(catalogue, metro, bike) == {
        0: Hold.OVERLAPPING_TRIP,
        1: Hold.OVERLAPPING_TRIP,
    }


def test_a_trip_inside_a_long_earlier_trip_is_held_with_it(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    long_ride = event(
        0, behaviour="cycle_own", unit="km", quantity=20, start_ms=start, end_ms=start + 2 * HOUR_MS
    )
    short = event(1, start_ms=start + 10 * MINUTE_MS, end_ms=start + 20 * MINUTE_MS, quantity=5)
    later = event(2, start_ms=start + 30 * MINUTE_MS, end_ms=start + 50 * MINUTE_MS, quantity=9)
    decided = outcome(catalogue, long_ride, short, later)
    assert decided == {0: Hold.OVERLAPPING_TRIP, 1: Hold.OVERLAPPING_TRIP, 2: Hold.OVERLAPPING_TRIP}


def test_back_to_back_trips_do_not_overlap(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    first = event(0, start_ms=start, end_ms=start + 30 * MINUTE_MS)
    second = event(1, start_ms=start + 30 * MINUTE_MS, end_ms=start + 60 * MINUTE_MS)
    assert outcome(catalogue, first, second) == {0: "credited", 1: "credited"}


def test_a_days_step_count_does_not_overlap_a_metro_ride(catalogue: Catalogue) -> None:
    steps = event(
        0,
        partner_id="step_app",
        behaviour="walk_steps",
        unit="step",
        quantity=9_000,
        start_ms=DAY_START_MS + 7 * HOUR_MS,
        end_ms=DAY_START_MS + 22 * HOUR_MS,
    )
    assert outcome(catalogue, steps, event(1)) == {0: "credited", 1: "credited"}


def test_trips_of_different_people_never_overlap(catalogue: Catalogue) -> None:
    assert outcome(catalogue, event(0), event(1, person_id="bob")) == {0: "credited", 1: "credited"}


def test_held_events_report_what_they_would_earn(catalogue: Catalogue) -> None:
    start = DAY_START_MS + 8 * HOUR_MS
    walk = event(
        behaviour="walk_km", unit="km", quantity=40, start_ms=start, end_ms=start + HOUR_MS
    )
    (held,) = quantify_day([walk], catalogue, DAY, AS_OF_MS).held
    assert held.avoided_ug == 40_000 * 26_000
