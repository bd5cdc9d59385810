"""Per-event checks: is the event well formed, and is it plausible?

Validation is split the way Regen splits `ValidateBasic()` from the handler:

- `rejection(...)` looks at one event alone, against its methodology and the
  day being quantified, and returns the first failed `Rejection` in the
  documented order (or `None`). Duplicates need the whole batch and are
  decided in `quantify`.
- `speed_hold(...)` checks a well-formed event's average rate against the
  methodology's bounds. The comparison is in integers, with no division:
  a distance of `q` metres over `d` ms is at most `v` km/h exactly when
  `q * 3,600,000 <= v * 1,000 * d`; bounds are stored per hour in base units,
  so the same inequality serves steps per hour and watt-hours per hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pctrade.energy.behaviour.model import (
    MS_PER_DAY,
    MS_PER_HOUR,
    BehaviourType,
    Catalogue,
    Event,
)
from pctrade.energy.behaviour.reasons import Hold, Rejection

_T = TypeVar("_T")


def present(value: _T | None) -> _T:
    """Narrow a field that an earlier check has proven present (survives `python -O`)."""
    if value is None:
        raise ValueError("field checked as present is missing")
    return value


@dataclass(frozen=True, slots=True)
class DayWindow:
    """The day being quantified, as UTC milliseconds, and the run's as-of time.

    An event belongs to the day its start falls in (China Standard Time);
    an event that ends after `as_of_ms` has not finished yet and is refused.
    """

    start_ms: int
    end_ms: int
    as_of_ms: int


def rejection(event: Event, catalogue: Catalogue, window: DayWindow) -> Rejection | None:
    """The first rule `event` breaks on its own, or `None` if it is well formed."""
    if missing_core_field(event):
        return Rejection.MISSING_FIELD
    found = catalogue.find(event.behaviour)
    if found is None:
        return Rejection.UNKNOWN_BEHAVIOUR
    methodology, behaviour = found
    if methodology.requires_evidence and not event.evidence_ref:
        return Rejection.MISSING_EVIDENCE
    return _quantity_rejection(event, behaviour) or _time_rejection(event, window)


def missing_core_field(event: Event) -> bool:
    texts = (event.partner_id, event.event_id, event.person_id, event.behaviour, event.unit)
    numbers = (event.start_ms, event.end_ms, event.quantity)
    return any(not text for text in texts) or any(number is None for number in numbers)


def _quantity_rejection(event: Event, behaviour: BehaviourType) -> Rejection | None:
    unit, quantity = present(event.unit), present(event.quantity)
    if unit not in behaviour.units:
        return Rejection.UNKNOWN_UNIT
    if quantity <= 0:
        return Rejection.NON_POSITIVE_QUANTITY
    if quantity > behaviour.max_quantity_in(unit):
        return Rejection.QUANTITY_ABOVE_MAX
    return None


def _time_rejection(event: Event, window: DayWindow) -> Rejection | None:
    start_ms, end_ms = present(event.start_ms), present(event.end_ms)
    if end_ms < start_ms:
        return Rejection.END_BEFORE_START
    # The day check comes before the duration check so that, in 64-bit
    # engines, `end - start` is only computed for a start inside the day.
    if not window.start_ms <= start_ms < window.end_ms:
        return Rejection.NOT_ON_DAY
    if end_ms - start_ms > MS_PER_DAY:
        return Rejection.DURATION_TOO_LONG
    if end_ms > window.as_of_ms:
        return Rejection.FUTURE_TIMESTAMP
    return None


def base_quantity(event: Event, behaviour: BehaviourType) -> int:
    """The event's quantity in base units (only for well-formed events)."""
    return present(event.quantity) * behaviour.units[present(event.unit)]


def speed_hold(event: Event, behaviour: BehaviourType) -> Hold | None:
    """`IMPLAUSIBLE_SPEED` if the average rate is outside the methodology's bounds."""
    scaled = base_quantity(event, behaviour) * MS_PER_HOUR
    duration_ms = present(event.end_ms) - present(event.start_ms)
    too_fast = behaviour.rate_max_per_h is not None and (
        scaled > behaviour.rate_max_per_h * duration_ms
    )
    too_slow = behaviour.rate_min_per_h is not None and (
        scaled < behaviour.rate_min_per_h * duration_ms
    )
    return Hold.IMPLAUSIBLE_SPEED if too_fast or too_slow else None
