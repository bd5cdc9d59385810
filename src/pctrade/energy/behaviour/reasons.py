"""Stable reason codes for every event that is not simply credited.

An event ends in exactly one of three outcomes, and nothing is dropped silently:

- **credited** — counted into the person's green energy for the day;
- **rejected** — the event is malformed or impossible as submitted (the
  partner must fix and resubmit): it carries one `Rejection` code;
- **held** — the event is well formed but suspect (possible fraud): it is
  kept aside for review, neither credited nor dropped: one `Hold` code.

When several rules fail, the event carries the first in the order below; the
order is part of the contract and every engine applies the same one. Caps do
not reject events; they limit a day's credit, and the energy row records it
with a `CapFlag`. The string values are stable: partners and reports key on
them, so a code is never renamed, only added.
"""

from __future__ import annotations

from enum import StrEnum


class Rejection(StrEnum):
    """Why an event was rejected, in order of precedence."""

    # The file itself could not be read into an event (import stage only).
    BAD_CSV_ROW = "bad_csv_row"
    BAD_VALUE = "bad_value"
    BAD_PARQUET_SCHEMA = "bad_parquet_schema"
    # Event-level checks, in the order the pipeline applies them.
    MISSING_FIELD = "missing_field"
    # The (partner, event id) was credited or held by an earlier run (another day's, or
    # an earlier run of this day): an identical copy is a harmless resubmission, a
    # different one a conflict. Rejected events are not remembered: fixed, they may come again.
    DUPLICATE_EVENT_PROCESSED_CONFLICT = "duplicate_event_processed_conflict"
    DUPLICATE_EVENT_PROCESSED = "duplicate_event_processed"
    UNKNOWN_BEHAVIOUR = "unknown_behaviour"
    MISSING_EVIDENCE = "missing_evidence"
    UNKNOWN_UNIT = "unknown_unit"
    NON_POSITIVE_QUANTITY = "non_positive_quantity"
    QUANTITY_ABOVE_MAX = "quantity_above_max"
    END_BEFORE_START = "end_before_start"
    NOT_ON_DAY = "not_on_day"
    DURATION_TOO_LONG = "duration_too_long"
    FUTURE_TIMESTAMP = "future_timestamp"
    DUPLICATE_EVENT_CONFLICT = "duplicate_event_conflict"
    DUPLICATE_EVENT = "duplicate_event"
    # A valid event of a day whose energy was already credited: a day is credited once.
    DAY_ALREADY_CREDITED = "day_already_credited"


NEUTRAL_REJECTIONS = frozenset(
    {
        Rejection.NOT_ON_DAY,
        Rejection.DUPLICATE_EVENT,
        Rejection.DUPLICATE_EVENT_PROCESSED,
        Rejection.DAY_ALREADY_CREDITED,
    }
)
"""Rejections that say nothing about a partner's data quality (another day's events,
harmless resubmissions): the partner anomaly ratio leaves them out entirely."""


class Hold(StrEnum):
    """Why a well-formed event was held for review, in order of precedence."""

    IMPLAUSIBLE_SPEED = "implausible_speed"
    OVERLAPPING_TRIP = "overlapping_trip"
    # The partner's share of rejected and held events in this run is above the rule
    # set's threshold: all its otherwise creditable events wait for review.
    PARTNER_ANOMALY = "partner_anomaly"


class CapFlag(StrEnum):
    """Which cap cut a day's credit for one behaviour (the yearly cap wins)."""

    OVER_DAILY_CAP = "over_daily_cap"
    OVER_YEARLY_CAP = "over_yearly_cap"
