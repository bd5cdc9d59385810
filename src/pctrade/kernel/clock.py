"""Time, injected: every "now" and "today" in pctrade comes from a ``Clock``.

A clock is any callable returning an aware UTC ``datetime``. The composition root
(``pctrade.bootstrap``) hands the system clock to a real app, and a scenario or a test
hands a ``SetClock`` it moves on by itself, so a demo replays byte for byte and a test
can stand on any day. ``SystemClock`` is the one place that reads the wall clock:
services, routers and commands ask the clock they were given, never ``datetime.now()``
or ``date.today()``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


class SystemClock:
    """The wall clock, in UTC: what a real registry's entries are stamped with."""

    def __call__(self) -> datetime:
        return datetime.now(UTC)


class SetClock:
    """A clock that reads what it was last set to: scenarios and tests move it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
