"""The set-based pipeline agrees with the pure reference, and Spark agrees with DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest
from behaviour_support import (
    AS_OF_MS,
    DAY,
    YTD,
    YTD_MAP,
    event,
    events_from_parquet,
    every_bad_input,
    outcome_of_day,
    outcome_of_result,
    write_events,
)

from pctrade.energy.behaviour import Catalogue, quantify_day
from pctrade.energy.pipeline import quantify_file
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def synthetic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synthetic") / "day.parquet"
    generate_day(path, DAY, people=150, faults_per_mille=60, seed=7)
    return path


def test_every_bad_input_gets_the_same_decision_from_duckdb_and_the_reference(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    batch = every_bad_input()
    path = write_events(tmp_path / "bad.parquet", batch)
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, year_to_date=YTD)
    reference = quantify_day(batch, catalogue, DAY, AS_OF_MS, YTD_MAP)
    assert outcome_of_result(result) == outcome_of_day(reference)
    assert {r.event.row_no: str(r.reason) for r in reference.rejected} == {
        1: "unknown_behaviour",
        2: "unknown_unit",
        3: "non_positive_quantity",
        4: "quantity_above_max",
        5: "end_before_start",
        6: "future_timestamp",
        7: "not_on_day",
        8: "missing_field",
        9: "missing_evidence",
        10: "duplicate_event",
        11: "duplicate_event_conflict",
        12: "duplicate_event_conflict",
    }
    assert {h.event.row_no: str(h.reason) for h in reference.held} == {
        13: "implausible_speed",
        14: "overlapping_trip",
        15: "overlapping_trip",
    }


def test_duckdb_agrees_with_the_reference_on_a_synthetic_day(
    catalogue: Catalogue, synthetic_file: Path
) -> None:
    as_of = synthetic_as_of_ms(DAY)
    result = quantify_file(synthetic_file, DAY, as_of_ms=as_of)
    reference = quantify_day(events_from_parquet(synthetic_file), catalogue, DAY, as_of)
    outcome = outcome_of_result(result)
    assert outcome == outcome_of_day(reference)
    reasons = {reason for _, reason in outcome["rejected"]} | {h[1] for h in outcome["held"]}
    assert len(reasons) >= 10, reasons  # the generated faults exercise most rules


def test_credited_events_add_up_to_the_energy_rows(synthetic_file: Path) -> None:
    result = quantify_file(synthetic_file, DAY, as_of_ms=synthetic_as_of_ms(DAY), with_events=True)
    assert result.credited_events is not None
    by_events = result.credited_events.group_by(["person_id", "behaviour"]).aggregate(
        [("avoided_ug", "sum")]
    )
    from_events = {
        (r["person_id"], r["behaviour"]): r["avoided_ug_sum"] for r in by_events.to_pylist()
    }
    from_energy = {
        (r["person_id"], r["behaviour"]): r["avoided_ug"] for r in result.energy.to_pylist()
    }
    assert from_events == from_energy


def test_every_event_has_exactly_one_outcome(synthetic_file: Path) -> None:
    result = quantify_file(synthetic_file, DAY, as_of_ms=synthetic_as_of_ms(DAY), with_events=True)
    assert result.credited_events is not None
    rows = [
        *result.rejected.column("row_no").to_pylist(),
        *result.held.column("row_no").to_pylist(),
        *result.credited_events.column("row_no").to_pylist(),
    ]
    total = pa.parquet.read_metadata(synthetic_file).num_rows
    assert sorted(rows) == list(range(total))


@pytest.mark.slow  # starts a Spark JVM; `make test` still runs it
def test_spark_and_duckdb_agree_on_a_synthetic_day(
    spark: SparkSession, synthetic_file: Path
) -> None:
    as_of = synthetic_as_of_ms(DAY)
    duck = quantify_file(synthetic_file, DAY, as_of_ms=as_of, year_to_date=YTD)
    sparked = quantify_file(
        synthetic_file, DAY, "spark", as_of_ms=as_of, year_to_date=YTD, spark=spark
    )
    assert outcome_of_result(sparked) == outcome_of_result(duck)
    assert sparked.energy.schema == duck.energy.schema
    assert sparked.energy.sort_by([("person_id", "ascending"), ("behaviour", "ascending")]).equals(
        duck.energy.sort_by([("person_id", "ascending"), ("behaviour", "ascending")])
    )


@pytest.mark.slow  # starts a Spark JVM; `make test` still runs it
def test_spark_and_duckdb_agree_on_every_bad_input_read_from_csv(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    columns = [
        "partner_id",
        "event_id",
        "person_id",
        "behaviour",
        "start_ms",
        "end_ms",
        "quantity",
        "unit",
        "evidence_ref",
    ]
    lines = [",".join(columns)]
    for e in every_bad_input():
        lines.append(",".join("" if getattr(e, c) is None else str(getattr(e, c)) for c in columns))
    lines.append("broken,row")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    duck = quantify_file(path, DAY, as_of_ms=AS_OF_MS, year_to_date=YTD)
    sparked = quantify_file(path, DAY, "spark", as_of_ms=AS_OF_MS, year_to_date=YTD, spark=spark)
    assert outcome_of_result(sparked) == outcome_of_result(duck)
    assert (19, "bad_csv_row") in outcome_of_result(duck)["rejected"]


def test_the_partner_report_counts_every_rejected_and_held_event(tmp_path: Path) -> None:
    path = write_events(tmp_path / "bad.parquet", every_bad_input())
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    report = result.partner_report().to_pylist()
    assert sum(row["events_n"] for row in report) == (
        result.rejected.num_rows + result.held.num_rows
    )
    assert {
        "partner_id": "metro_card",
        "outcome": "held",
        "reason": "implausible_speed",
        "events_n": 1,
    } in report


def test_an_unknown_engine_is_refused(tmp_path: Path) -> None:
    path = write_events(tmp_path / "one.parquet", [event(0)])
    with pytest.raises(ValueError, match="unknown engine"):
        quantify_file(path, DAY, "pandas", as_of_ms=AS_OF_MS)  # type: ignore[arg-type]
