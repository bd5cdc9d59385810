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
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


class SystemClock:
    """The wall clock, in UTC: what a real registry's entries are stamped with.

    ``offset_s`` moves it by a fixed number of seconds, and it runs on from there: a
    rehearsal server (``pctrade serve --clock-offset-s``) stands on a trading morning
    whenever it is started, and every worker process, given the same offset, reads
    the same time. A registry of record runs with none.
    """

    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_s)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


class SetClock:
    """A clock that reads what it was last set to: scenarios and tests move it on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
