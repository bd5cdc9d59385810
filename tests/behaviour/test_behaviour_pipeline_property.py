"""Property: on adversarial files, the DuckDB pipeline decides exactly what the reference does.

Hypothesis builds small files from a few colliding values, so that the corner
cases the set-based pipeline treats specially meet in one batch: keys seen by
an earlier run (same or different content), year-to-date totals at and over
the yearly caps, NULL and empty fields, copies of an event with the same or
conflicting content (also under another person), zero-length and tied trips,
and quantities at the unit maxima. The pipeline must agree with the pure
`quantify_day` on every energy row, rejection and hold.

`HYPOTHESIS_PROFILE=thorough` runs many more examples than the suite's few.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pyarrow as pa
from behaviour_support import (
    AS_OF_MS,
    DAY,
    DAY_START_MS,
    HOUR_MS,
    MINUTE_MS,
    outcome_of_day,
    outcome_of_result,
    write_events,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pctrade.energy.behaviour import Event, load_catalogue, quantify_day
from pctrade.energy.behaviour.model import MS_PER_DAY, PartnerAnomaly
from pctrade.energy.pipeline import energy_steps, quantify_file
from pctrade.energy.pipeline.schema import SEEN, YEAR_TO_DATE

CATALOGUE = load_catalogue()
_THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
_EXAMPLES = 400 if _THOROUGH else 15

_UNITS = sorted({(b.id, unit) for b in CATALOGUE.behaviours for unit in b.units})
_MAX_QUANTITY = {
    (b.id, unit): b.max_quantity_in(unit) for b in CATALOGUE.behaviours for unit in b.units
}
_EIGHT = DAY_START_MS + 8 * HOUR_MS


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` four times in five: each field spoils an event on its own, so most
    events of a file must be valid for credits, caps and overlaps to be exercised."""
    return st.integers(0, 4).flatmap(lambda k: bad if k == 0 else good)


_PEOPLE = mostly(st.sampled_from(["alice", "bob"]), st.sampled_from(["", None]))
_PARTNERS = mostly(st.sampled_from(["metro_card", "step_app"]), st.sampled_from(["", None]))
_EVENT_IDS = mostly(st.sampled_from(["E0", "E1", "E2", "E3", "E4"]), st.sampled_from(["", None]))


@st.composite
def behaviour_and_unit(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """Mostly a known pair; sometimes an unknown behaviour or unit, or a missing one."""
    return draw(
        mostly(
            st.sampled_from(_UNITS),
            st.tuples(
                st.sampled_from(["teleport", "metro_km", "", None]),
                st.sampled_from(["mile", "km", "", None]),
            ),
        )
    )


@st.composite
def an_event(draw: st.DrawFn, row_no: int) -> Event:
    behaviour, unit = draw(behaviour_and_unit())
    largest = _MAX_QUANTITY.get((behaviour or "", unit or ""), 100)
    quantity = draw(
        mostly(
            st.integers(1, largest),
            st.sampled_from([largest, largest + 1, 0, -1, 2**63 - 1, None]),
        )
    )
    # Starts on a 10-minute grid of the morning, so trips tie and overlap;
    # sometimes before the day, at its last millisecond or missing.
    start = draw(
        mostly(
            st.integers(0, 6).map(lambda k: _EIGHT + 10 * MINUTE_MS * k),
            st.sampled_from([DAY_START_MS - 1, DAY_START_MS, DAY_START_MS + MS_PER_DAY - 1, None]),
        )
    )
    length = draw(
        mostly(
            st.sampled_from([0, 10, 20, 30, 60]).map(lambda m: m * MINUTE_MS),
            st.sampled_from([-1, MS_PER_DAY, MS_PER_DAY + 1, 15 * HOUR_MS]),
        )
    )
    end = draw(mostly(st.just(None if start is None else start + length), st.none()))
    return Event(
        row_no=row_no,
        partner_id=draw(_PARTNERS),
        event_id=draw(_EVENT_IDS),
        person_id=draw(_PEOPLE),
        behaviour=behaviour,
        start_ms=start,
        end_ms=end,
        quantity=quantity,
        unit=unit,
        evidence_ref=draw(mostly(st.sampled_from([None, "S1", "S2"]), st.just(""))),
    )


@st.composite
def a_file(draw: st.DrawFn) -> list[Event]:
    """Fresh events, then copies of some of them: identical, or changed in one field."""
    events: list[Event] = []
    for row_no in range(draw(st.integers(1, 14))):
        if events and draw(st.booleans()):
            original = draw(st.sampled_from(events))
            change: dict[str, Any] = draw(
                st.sampled_from(
                    [
                        {},
                        {"person_id": "bob" if original.person_id != "bob" else "alice"},
                        {"quantity": 1 if original.quantity != 1 else 2},
                        {"evidence_ref": None if original.evidence_ref else "S9"},
                        {"start_ms": _EIGHT + 5 * MINUTE_MS},
                    ]
                )
            )
            events.append(replace(original, row_no=row_no, **change))
        else:
            events.append(draw(an_event(row_no)))
    return events


@st.composite
def a_day(draw: st.DrawFn) -> dict[str, Any]:
    events = draw(a_file())
    keyed = [e for e in events if e.partner_id and e.event_id and e.person_id]
    seen: dict[tuple[str, str], str] = {}
    for e in draw(st.lists(st.sampled_from(keyed), max_size=3)) if keyed else []:
        assert e.partner_id is not None and e.event_id is not None
        # An earlier run remembered the same content, or a different one.
        same = draw(st.booleans())
        seen[(e.partner_id, e.event_id)] = e.content_digest() if same else "0" * 32
    ytd: dict[tuple[str, str], int] = {}
    for person in ("alice", "bob"):
        for methodology in draw(st.lists(st.sampled_from(CATALOGUE.methodologies), max_size=3)):
            cap = methodology.cap_year_g
            ytd[(person, methodology.family)] = draw(
                st.sampled_from([0, cap - 1_000, cap - 1, cap, cap + 7])
            )
    anomaly = draw(st.sampled_from([None, PartnerAnomaly(min_events=2, flagged_bps_max=3_000)]))
    return {
        "events": events,
        "seen": seen,
        "ytd": ytd,
        "day_credited": draw(st.sampled_from([False, False, False, True])),
        "anomaly": anomaly,
    }


def _seen_table(seen: dict[tuple[str, str], str]) -> pa.Table:
    rows = [{"partner_id": p, "event_id": e, "digest": d} for (p, e), d in seen.items()]
    return pa.Table.from_pylist(rows, schema=SEEN)


def _ytd_table(ytd: dict[tuple[str, str], int]) -> pa.Table:
    rows = [{"person_id": p, "family": f, "credited_g": g} for (p, f), g in ytd.items()]
    return pa.Table.from_pylist(rows, schema=YEAR_TO_DATE)


@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(day=a_day(), packed_counts=st.booleans())
def test_duckdb_decides_every_adversarial_file_as_the_reference_does(
    day: dict[str, Any], packed_counts: bool
) -> None:
    # Both forms of the tallies: two ranks' counts in one sum (what a file of
    # known size gets) and one sum per rank (what Spark always runs).
    unpacked = patch.object(energy_steps, "counts_pack_safe", return_value=False)
    with (
        nullcontext() if packed_counts else unpacked,
        tempfile.TemporaryDirectory(prefix="pctrade-property-") as work,
    ):
        path = write_events(Path(work) / "day.parquet", day["events"])
        result = quantify_file(
            path,
            DAY,
            as_of_ms=AS_OF_MS,
            catalogue=CATALOGUE,
            year_to_date=_ytd_table(day["ytd"]),
            seen=_seen_table(day["seen"]),
            day_credited=day["day_credited"],
            anomaly=day["anomaly"],
        )
    reference = quantify_day(
        day["events"],
        CATALOGUE,
        DAY,
        AS_OF_MS,
        day["ytd"],
        seen=day["seen"],
        day_credited=day["day_credited"],
        anomaly=day["anomaly"],
    )
    assert outcome_of_result(result) == outcome_of_day(reference)
