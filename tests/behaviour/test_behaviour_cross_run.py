"""What earlier runs and the rule set add to a day: remembered events, a day credited
already, and the partner anomaly threshold — the same on the reference, DuckDB and Spark."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest
from behaviour_support import (
    AS_OF_MS,
    DAY,
    DAY_START_MS,
    HOUR_MS,
    MINUTE_MS,
    event,
    outcome_of_day,
    outcome_of_result,
    write_events,
)

from pctrade.energy.behaviour import Catalogue, Event, quantify_day
from pctrade.energy.behaviour.model import PartnerAnomaly
from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.schema import SEEN

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def seen_of(*events: Event) -> pa.Table:
    rows = [
        {"partner_id": e.partner_id, "event_id": e.event_id, "digest": e.content_digest()}
        for e in events
    ]
    return pa.Table.from_pylist(rows, schema=SEEN)


def seen_map(table: pa.Table) -> dict[tuple[str, str], str]:
    return {(r["partner_id"], r["event_id"]): r["digest"] for r in table.to_pylist()}


def reasons(outcome: dict[str, list[tuple[object, ...]]]) -> dict[object, object]:
    return {row[0]: row[1] for row in [*outcome["rejected"], *outcome["held"]]}


# Yesterday's run credited E1 (a metro ride) and held E2; today's file repeats both,
# once identically and once changed, next to a new event and a broken copy.
CREDITED = event(1, event_id="E1")
HELD = event(2, event_id="E2", person_id="bob", quantity=90)
TODAY = [
    event(0, event_id="E1"),  # identical to the credited copy
    event(1, event_id="E2", person_id="bob", quantity=91),  # differs from the held copy
    event(2, event_id="E3", person_id="carol"),  # new
    event(3, event_id="E1", person_id=None),  # missing a field comes first
    event(4, event_id="E1", evidence_ref="x"),  # evidence counts as content
]


def test_events_credited_or_held_before_are_duplicates_and_changed_copies_conflicts(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    seen = seen_of(CREDITED, HELD)
    path = write_events(tmp_path / "today.parquet", TODAY)
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, seen=seen, with_events=True)
    reference = quantify_day(TODAY, catalogue, DAY, AS_OF_MS, seen=seen_map(seen))
    assert outcome_of_result(result) == outcome_of_day(reference)
    assert reasons(outcome_of_result(result)) == {
        0: "duplicate_event_processed",
        1: "duplicate_event_processed_conflict",
        3: "missing_field",
        4: "duplicate_event_processed_conflict",
    }
    assert result.credited_events is not None
    assert result.credited_events.column("event_id").to_pylist() == ["E3"]


def test_without_remembered_events_copies_are_judged_within_the_file_only(
    tmp_path: Path,
) -> None:
    path = write_events(tmp_path / "today.parquet", TODAY)
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    assert reasons(outcome_of_result(result)) == {
        0: "duplicate_event_conflict",
        1: "implausible_speed",  # 91 km in 30 minutes, as yesterday's copy was held
        3: "missing_field",
        4: "duplicate_event_conflict",
    }


def test_the_digest_is_the_same_in_sql_and_in_python(tmp_path: Path) -> None:
    odd = event(0, event_id="Z", person_id="张三", evidence_ref="票-1\x1e", quantity=7)
    path = write_events(tmp_path / "one.parquet", [odd])
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, with_events=True)
    assert result.credited_events is not None
    assert result.credited_events.column("digest").to_pylist() == [odd.content_digest()]
    assert odd.content_digest() != event(0, event_id="Z", person_id="张三").content_digest()


def test_a_credited_day_refuses_each_remaining_valid_event_by_itself(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    batch = [event(0), event(1, unit="mile"), event(2, event_id="E0"), event(3, person_id="bo")]
    path = write_events(tmp_path / "late.parquet", batch)
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, day_credited=True)
    reference = quantify_day(batch, catalogue, DAY, AS_OF_MS, day_credited=True)
    assert outcome_of_result(result) == outcome_of_day(reference)
    assert reasons(outcome_of_result(result)) == {
        0: "day_already_credited",
        1: "unknown_unit",
        2: "duplicate_event",
        3: "day_already_credited",
    }
    assert result.energy.num_rows == 0 and result.held.num_rows == 0


def partner_day(bad_n: int, good_n: int = 8) -> list[Event]:
    """`bad_n` bad events of partner `shaky` among its `good_n` good ones, plus a steady partner.

    Also one event of another day per partner, which the ratio leaves out.
    """
    events: list[Event] = []
    for n in range(good_n + bad_n):
        events.append(
            event(
                len(events),
                partner_id="shaky",
                event_id=f"S{n}",
                person_id=f"p{n}",
                unit="mile" if n < bad_n else "km",
            )
        )
    for n in range(3):
        events.append(event(len(events), partner_id="steady", event_id=f"T{n}", person_id=f"q{n}"))
    for partner in ("shaky", "steady"):
        yesterday = DAY_START_MS - 2 * HOUR_MS
        events.append(
            event(
                len(events),
                partner_id=partner,
                event_id="old",
                start_ms=yesterday,
                end_ms=yesterday + 30 * MINUTE_MS,
            )
        )
    return events


RULE = PartnerAnomaly(min_events=10, flagged_bps_max=2_000)  # > 20 % of at least 10


@pytest.mark.parametrize(
    ("bad_n", "good_n", "anomalous"),
    [
        (2, 8, False),  # 2 of 10 is exactly 20 %: not above
        (3, 8, True),  # 3 of 11 is 27 %
        (3, 6, False),  # 3 of 9: too few events to judge (not_on_day is left out)
    ],
)
def test_a_partner_above_the_anomaly_threshold_has_its_other_events_held(
    catalogue: Catalogue, tmp_path: Path, bad_n: int, good_n: int, anomalous: bool
) -> None:
    batch = partner_day(bad_n, good_n)
    path = write_events(tmp_path / "day.parquet", batch)
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, anomaly=RULE)
    reference = quantify_day(batch, catalogue, DAY, AS_OF_MS, anomaly=RULE)
    assert outcome_of_result(result) == outcome_of_day(reference)
    held = [r for r in result.held.to_pylist() if r["reason"] == "partner_anomaly"]
    assert len(held) == (good_n if anomalous else 0)
    assert {r["partner_id"] for r in held} <= {"shaky"}
    assert result.anomalous_partners() == (["shaky"] if anomalous else [])
    row = {r["partner_id"]: r for r in result.partners.to_pylist()}["shaky"]
    assert (row["events_n"], row["judged_n"]) == (bad_n + good_n + 1, bad_n + good_n)
    assert row["flagged_n"] == bad_n
    steady = {r["person_id"] for r in result.energy.to_pylist()}
    assert {"q0", "q1", "q2"} <= steady
    report = result.partner_report().to_pylist()
    expected = {"partner_id": "shaky", "outcome": "held", "reason": "partner_anomaly"}
    assert any(expected.items() <= r.items() for r in report) == anomalous


def test_without_a_rule_no_partner_is_held(tmp_path: Path) -> None:
    path = write_events(tmp_path / "day.parquet", partner_day(9, 1))
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    assert result.anomalous_partners() == []
    assert "partner_anomaly" not in result.held.column("reason").to_pylist()


def test_a_partner_anomaly_rule_is_checked() -> None:
    with pytest.raises(ValueError, match="min_events"):
        PartnerAnomaly(min_events=0, flagged_bps_max=10)
    with pytest.raises(ValueError, match="bps"):
        PartnerAnomaly(min_events=1, flagged_bps_max=10_001)


@pytest.mark.slow  # starts a Spark JVM; `make test` still runs it
def test_spark_agrees_on_remembered_events_closed_days_and_anomalies(
    spark: SparkSession, tmp_path: Path
) -> None:
    seen = seen_of(CREDITED, HELD)
    batch = [*TODAY, *(e for e in partner_day(3) if e.event_id != "E1")]
    batch = [Event(n, *(getattr(e, f) for f in Event.__slots__[1:])) for n, e in enumerate(batch)]
    path = write_events(tmp_path / "mixed.parquet", batch)
    for closed in (False, True):
        options = {"seen": seen, "anomaly": RULE, "day_credited": closed, "with_events": True}
        duck = quantify_file(path, DAY, as_of_ms=AS_OF_MS, **options)  # type: ignore[arg-type]
        sparked = quantify_file(
            path,
            DAY,
            "spark",
            as_of_ms=AS_OF_MS,
            spark=spark,
            **options,  # type: ignore[arg-type]
        )
        assert outcome_of_result(sparked) == outcome_of_result(duck)
        assert sparked.partners.sort_by("partner_id").equals(duck.partners.sort_by("partner_id"))
        assert duck.credited_events is not None and sparked.credited_events is not None
        assert sorted(sparked.credited_events.column("digest").to_pylist()) == sorted(
            duck.credited_events.column("digest").to_pylist()
        )
