"""Every input event comes out of a run exactly once: rejected, held or credited.

The engines' outputs are three disjoint sets of events (rejected, held, and the
credited ones that `energy` tallies), so their sizes add up to the number of
rows in the canonical events file. The reference count is the file's own
(Parquet metadata, read where the run was started), not an engine's: an engine
that read only part of the file, such as a Spark cluster one of whose workers
does not see the shared storage, would otherwise return a smaller, plausible
day. A mismatch raises instead of returning fewer (or more) rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pctrade.kernel.errors import EventsNotConserved


@dataclass(frozen=True, slots=True)
class Disposition:
    """How many of a run's events each output accounts for."""

    rejected_n: int
    held_n: int
    credited_n: int

    @property
    def total_n(self) -> int:
        return self.rejected_n + self.held_n + self.credited_n


def disposition(tables: Mapping[str, pa.Table]) -> Disposition:
    """Count an engine's outputs (`rejected`, `held` and `energy` must be present).

    Credited events are the sum of `energy.events_n` (each energy row tallies its
    credited events); when `credited_events` (one row per credited event) came out
    too, it must agree, so the audit trail cannot lose events either.
    """
    events_n = pc.sum(tables["energy"].column("events_n")).as_py()
    credited_n = 0 if events_n is None else int(events_n)
    listed = tables.get("credited_events")
    if listed is not None and listed.num_rows != credited_n:
        code = "events_lost" if listed.num_rows < credited_n else "events_duplicated"
        raise EventsNotConserved(
            f"the energy rows tally {credited_n:,} credited events, the audit trail "
            f"lists {listed.num_rows:,}",
            code=code,
        )
    return Disposition(tables["rejected"].num_rows, tables["held"].num_rows, credited_n)


def check_conserved(input_n: int, tables: Mapping[str, pa.Table]) -> Disposition:
    """Raise `EventsNotConserved` unless the outputs account for `input_n` events."""
    counted = disposition(tables)
    if counted.total_n != input_n:
        code = "events_lost" if counted.total_n < input_n else "events_duplicated"
        raise EventsNotConserved(
            f"the file has {input_n:,} events; the run accounts for {counted.total_n:,} "
            f"(rejected {counted.rejected_n:,}, held {counted.held_n:,}, credited "
            f"{counted.credited_n:,}): {abs(input_n - counted.total_n):,} "
            f"{'missing' if counted.total_n < input_n else 'too many'}",
            code=code,
        )
    return counted
