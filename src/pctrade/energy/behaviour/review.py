"""Reviewing a held event: what a release may credit under the caps.

A held event (``Hold``) earns nothing until a reviewer decides. Released, it is
credited under the same caps as the day's run (``quantify.apply_caps``), with the day's
room and the year's room reduced by the whole grams already credited to the person
for that family — by the day's run and by earlier releases. The day's run fills its
cap in micrograms before flooring; a release sees only whole grams credited, so its
room is ``cap_day_g − credited that day`` (never below 0). Rejected, it earns nothing.
Either way the decision is final: it is recorded once.
"""

from __future__ import annotations

from enum import StrEnum

from pctrade.energy.behaviour.quantify import CapOutcome, apply_caps


class Decision(StrEnum):
    RELEASE = "release"
    REJECT = "reject"


def release_outcome(
    avoided_ug: int, cap_day_g: int, cap_year_g: int, day_credited_g: int, year_credited_g: int
) -> CapOutcome:
    """How much of a released event's avoided µg is credited, given earlier credits."""
    day_room_g = max(cap_day_g - day_credited_g, 0)
    year_room_g = max(cap_year_g - year_credited_g, 0)
    [outcome] = apply_caps([avoided_ug], day_room_g, year_room_g)
    return outcome
