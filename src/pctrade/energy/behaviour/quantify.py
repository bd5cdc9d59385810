"""Exact daily quantification: events in, green-energy rows out, in integers.

This is the reference implementation of the daily rules, written for clarity
over one person-sized batch; `pctrade.energy.pipeline` runs the same rules set-based
over millions of events and is tested to agree with it row for row.

The day's rules, in order:

0. **Remembered events**: an event whose (partner, event id) an earlier run
   credited or held (`seen`: key → content digest) is rejected right after
   `missing_field`: `duplicate_event_processed` if its content digest is the
   same, `duplicate_event_processed_conflict` if not.
1. **Deduplicate** by (partner, event id). Copies with identical content are
   a harmless resubmission: the first copy (lowest `row_no`) counts, later
   ones are rejected as `duplicate_event`. Copies that differ in any field are
   a conflict nobody can resolve here: every copy is rejected as
   `duplicate_event_conflict`.
2. **Validate** each event on its own (`validation.rejection`). If the day was
   credited already (`day_credited`), every event that passes all of this is
   rejected as `day_already_credited`.
3. **Hold** suspect events for review: an average speed outside the
   methodology's bounds, or a trip that overlaps another trip of the same
   person (across partners too, which is how double reporting shows). Trips
   are ordered by (start, end, row_no); a trip overlaps when it starts before
   an earlier trip has ended or a later trip starts before it has ended.
   Then the **partner anomaly** rule (`PartnerAnomaly`, from the rule set):
   a partner with enough judged events (all but `NEUTRAL_REJECTIONS`) of which
   too large a share was rejected or held gets all its other accepted events
   held as `partner_anomaly`.
4. **Quantify** credited events exactly: avoided ug = base quantity x
   (baseline - project), in micrograms, summed per (person, behaviour).
5. **Cap** per person and family: the daily cap (grams, compared in ug) is
   filled greedily in behaviour-id order; the sum is then floored to whole
   grams; then the year's remaining room (cap minus year-to-date credits) is
   filled the same way.

Rounding never creates carbon. Per energy row:
`avoided_ug == credited_g * 1,000,000 + remainder_ug + cap_forfeit_ug`, where
`remainder_ug` (< 1 g) is the sub-gram part that flooring did not credit and
`cap_forfeit_ug` is what the caps cut. Both are recorded on the row, in the
finer unit, so the statement shows every microgram; neither is carried into
another day, which keeps each day reproducible on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from pctrade.energy.behaviour.model import (
    MS_PER_DAY,
    UG_PER_G,
    BehaviourId,
    Catalogue,
    Event,
    Family,
    PartnerAnomaly,
    PersonId,
)
from pctrade.energy.behaviour.reasons import NEUTRAL_REJECTIONS, CapFlag, Hold, Rejection
from pctrade.energy.behaviour.validation import (
    DayWindow,
    base_quantity,
    missing_core_field,
    present,
    rejection,
    speed_hold,
)

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

YearToDate = Mapping[tuple[PersonId, Family], int]
"""Grams already credited this year, per (person, family), before the day."""
Seen = Mapping[tuple[str, str], str]
"""Content digests of the events earlier runs credited or held, per (partner, event id)."""


@dataclass(frozen=True, slots=True)
class EnergyRow:
    """One person's green energy from one behaviour on one day."""

    day: date
    person_id: PersonId
    family: Family
    methodology: str
    behaviour: BehaviourId
    base_unit: str
    events_n: int
    quantity: int
    factor_ug_per_unit: int
    avoided_ug: int
    cap_forfeit_ug: int
    remainder_ug: int
    credited_g: int
    cap_flag: CapFlag | None


@dataclass(frozen=True, slots=True)
class RejectedEvent:
    event: Event
    reason: Rejection


@dataclass(frozen=True, slots=True)
class HeldEvent:
    """A suspect event and what it would earn if a reviewer releases it."""

    event: Event
    reason: Hold
    avoided_ug: int


@dataclass(frozen=True, slots=True)
class DayResult:
    energy: tuple[EnergyRow, ...]
    rejected: tuple[RejectedEvent, ...]
    held: tuple[HeldEvent, ...]


def day_window(day: date, as_of_ms: int) -> DayWindow:
    """The UTC millisecond bounds of `day` in China Standard Time."""
    start = datetime(day.year, day.month, day.day, tzinfo=CHINA_STANDARD_TIME)
    start_ms = (start - _EPOCH) // timedelta(milliseconds=1)
    return DayWindow(start_ms=start_ms, end_ms=start_ms + MS_PER_DAY, as_of_ms=as_of_ms)


def quantify_day(
    events: Sequence[Event],
    catalogue: Catalogue,
    day: date,
    as_of_ms: int,
    year_to_date_g: YearToDate | None = None,
    *,
    seen: Seen | None = None,
    day_credited: bool = False,
    anomaly: PartnerAnomaly | None = None,
) -> DayResult:
    """Apply the day's rules (see the module docstring) to one batch of events."""
    window = day_window(day, as_of_ms)
    rejected, accepted = _screen(events, catalogue, window, seen or {}, day_credited)
    holds = _holds(accepted, catalogue)
    if anomaly is not None:
        for partner in _anomalous(events, rejected, accepted, holds, anomaly):
            for event in accepted:
                if event.partner_id == partner and event.row_no not in holds:
                    holds[event.row_no] = Hold.PARTNER_ANOMALY
    held = tuple(
        HeldEvent(event, reason, _avoided_ug(event, catalogue))
        for event in accepted
        if (reason := holds.get(event.row_no)) is not None
    )
    credited = [event for event in accepted if event.row_no not in holds]
    energy = _energy_rows(credited, catalogue, day, year_to_date_g or {})
    return DayResult(energy=energy, rejected=rejected, held=held)


def _screen(
    events: Sequence[Event], catalogue: Catalogue, window: DayWindow, seen: Seen, closed: bool
) -> tuple[tuple[RejectedEvent, ...], list[Event]]:
    """Split events into rejected (with reasons) and well-formed, in input order."""
    duplicates = _duplicate_reasons(events)
    rejected: list[RejectedEvent] = []
    accepted: list[Event] = []
    for event in events:
        reason = (
            _seen_reason(event, seen)
            or rejection(event, catalogue, window)
            or duplicates.get(event.row_no)
        )
        if reason is None and closed:
            reason = Rejection.DAY_ALREADY_CREDITED
        if reason is None:
            accepted.append(event)
        else:
            rejected.append(RejectedEvent(event, reason))
    return tuple(rejected), accepted


def _seen_reason(event: Event, seen: Seen) -> Rejection | None:
    """A copy of an event an earlier run credited or held (after `missing_field`)."""
    digest = seen.get((event.partner_id or "", event.event_id or ""))
    if digest is None or missing_core_field(event):
        return None
    if digest == event.content_digest():
        return Rejection.DUPLICATE_EVENT_PROCESSED
    return Rejection.DUPLICATE_EVENT_PROCESSED_CONFLICT


def _anomalous(
    events: Sequence[Event],
    rejected: Sequence[RejectedEvent],
    accepted: Sequence[Event],
    holds: Mapping[int, Hold],
    anomaly: PartnerAnomaly,
) -> list[str]:
    """Partners whose share of rejected and held events is above the threshold."""
    judged: dict[str, int] = defaultdict(int)
    flagged: dict[str, int] = defaultdict(int)
    for event in events:
        if event.partner_id:
            judged[event.partner_id] += 1
    for r in rejected:
        if r.event.partner_id:
            neutral = r.reason in NEUTRAL_REJECTIONS
            judged[r.event.partner_id] -= neutral
            flagged[r.event.partner_id] += not neutral
    for event in accepted:
        if event.row_no in holds and event.partner_id:
            flagged[event.partner_id] += 1
    return sorted(p for p, n in judged.items() if anomaly.anomalous(n, flagged[p]))


def _duplicate_reasons(events: Iterable[Event]) -> dict[int, Rejection]:
    """Reasons for copies of a (partner, event id) beyond the first, keyed by row_no."""
    groups: dict[tuple[str | None, str | None], list[Event]] = defaultdict(list)
    for event in events:
        groups[(event.partner_id, event.event_id)].append(event)
    reasons: dict[int, Rejection] = {}
    for copies in groups.values():
        if len(copies) == 1:
            continue
        if len({copy.content() for copy in copies}) > 1:
            reasons.update((copy.row_no, Rejection.DUPLICATE_EVENT_CONFLICT) for copy in copies)
            continue
        first = min(copy.row_no for copy in copies)
        reasons.update(
            (copy.row_no, Rejection.DUPLICATE_EVENT) for copy in copies if copy.row_no != first
        )
    return reasons


def _holds(accepted: Sequence[Event], catalogue: Catalogue) -> dict[int, Hold]:
    """Hold reasons keyed by row_no; a speed hold takes precedence over overlap."""
    holds = {row_no: Hold.OVERLAPPING_TRIP for row_no in _overlapping_trips(accepted, catalogue)}
    for event in accepted:
        _, behaviour = present(catalogue.find(event.behaviour))
        if speed_hold(event, behaviour) is not None:
            holds[event.row_no] = Hold.IMPLAUSIBLE_SPEED
    return holds


def _overlapping_trips(accepted: Sequence[Event], catalogue: Catalogue) -> set[int]:
    by_person: dict[PersonId, list[Event]] = defaultdict(list)
    for event in accepted:
        if present(catalogue.find(event.behaviour))[1].trip:
            by_person[present(event.person_id)].append(event)
    overlapping: set[int] = set()
    for trips in by_person.values():
        trips.sort(key=lambda e: (present(e.start_ms), present(e.end_ms), e.row_no))
        latest_end_ms: int | None = None
        for index, trip in enumerate(trips):
            start_ms, end_ms = present(trip.start_ms), present(trip.end_ms)
            after_earlier = latest_end_ms is not None and latest_end_ms > start_ms
            following = trips[index + 1] if index + 1 < len(trips) else None
            before_later = following is not None and present(following.start_ms) < end_ms
            if after_earlier or before_later:
                overlapping.add(trip.row_no)
            latest_end_ms = end_ms if latest_end_ms is None else max(latest_end_ms, end_ms)
    return overlapping


def _avoided_ug(event: Event, catalogue: Catalogue) -> int:
    _, behaviour = present(catalogue.find(event.behaviour))
    return base_quantity(event, behaviour) * behaviour.avoided_ug_per_unit


@dataclass(slots=True)
class _Tally:
    events_n: int = 0
    quantity: int = 0
    avoided_ug: int = 0


def _energy_rows(
    credited: Sequence[Event], catalogue: Catalogue, day: date, year_to_date_g: YearToDate
) -> tuple[EnergyRow, ...]:
    tallies: dict[tuple[PersonId, Family], dict[BehaviourId, _Tally]] = defaultdict(dict)
    for event in credited:
        methodology, behaviour = present(catalogue.find(event.behaviour))
        tally = tallies[(present(event.person_id), methodology.family)].setdefault(
            behaviour.id, _Tally()
        )
        tally.events_n += 1
        tally.quantity += base_quantity(event, behaviour)
        tally.avoided_ug += base_quantity(event, behaviour) * behaviour.avoided_ug_per_unit
    rows: list[EnergyRow] = []
    for (person_id, family), by_behaviour in sorted(tallies.items()):
        methodology = catalogue.methodology(family)
        year_room_g = max(methodology.cap_year_g - year_to_date_g.get((person_id, family), 0), 0)
        ordered = sorted(by_behaviour.items())
        outcomes = apply_caps(
            [tally.avoided_ug for _, tally in ordered], methodology.cap_day_g, year_room_g
        )
        for (behaviour_id, tally), outcome in zip(ordered, outcomes, strict=True):
            _, behaviour = present(catalogue.find(behaviour_id))
            rows.append(
                EnergyRow(
                    day=day,
                    person_id=person_id,
                    family=family,
                    methodology=methodology.key,
                    behaviour=behaviour_id,
                    base_unit=behaviour.base_unit,
                    events_n=tally.events_n,
                    quantity=tally.quantity,
                    factor_ug_per_unit=behaviour.avoided_ug_per_unit,
                    avoided_ug=tally.avoided_ug,
                    cap_forfeit_ug=outcome.cap_forfeit_ug,
                    remainder_ug=outcome.remainder_ug,
                    credited_g=outcome.credited_g,
                    cap_flag=outcome.cap_flag,
                )
            )
    return tuple(rows)


@dataclass(frozen=True, slots=True)
class CapOutcome:
    """How one behaviour's avoided micrograms split into credit and forfeits."""

    credited_g: int
    remainder_ug: int
    cap_forfeit_ug: int
    cap_flag: CapFlag | None


def apply_caps(avoided_ug: Sequence[int], cap_day_g: int, year_room_g: int) -> list[CapOutcome]:
    """Split each behaviour's avoided ug (in behaviour-id order) under the caps.

    The day cap is filled greedily in micrograms; each row is floored to whole
    grams; the year's room is then filled greedily in grams. The identity
    `avoided = credited_g * 10^6 + remainder_ug + cap_forfeit_ug` holds per row.
    """
    day_room_ug = cap_day_g * UG_PER_G
    outcomes: list[CapOutcome] = []
    for amount_ug in avoided_ug:
        day_ug = min(amount_ug, day_room_ug)
        day_room_ug -= day_ug
        day_g = day_ug // UG_PER_G
        credited_g = min(day_g, year_room_g)
        year_room_g -= credited_g
        flag = None
        if credited_g < day_g:
            flag = CapFlag.OVER_YEARLY_CAP
        elif day_ug < amount_ug:
            flag = CapFlag.OVER_DAILY_CAP
        outcomes.append(
            CapOutcome(
                credited_g=credited_g,
                remainder_ug=day_ug - day_g * UG_PER_G,
                cap_forfeit_ug=amount_ug - day_ug + (day_g - credited_g) * UG_PER_G,
                cap_flag=flag,
            )
        )
    return outcomes
