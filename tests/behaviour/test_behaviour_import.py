"""File import: every unreadable row is reported with a reason; good rows still count."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from behaviour_support import AS_OF_MS, DAY, DAY_START_MS, HOUR_MS, MINUTE_MS

from pctrade.energy.behaviour import Rejection
from pctrade.energy.pipeline import quantify_file

HEADER = "partner_id,event_id,person_id,behaviour,start_ms,end_ms,quantity,unit\n"
START = DAY_START_MS + 8 * HOUR_MS
GOOD = f"metro_card,E1,alice,metro_km,{START},{START + 30 * MINUTE_MS},12,km\n"


def reasons(result_table: pa.Table) -> dict[int, str]:
    return {r["row_no"]: r["reason"] for r in result_table.to_pylist()}


def run_csv(tmp_path: Path, body: str) -> tuple[dict[int, str], int]:
    path = tmp_path / "events.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    return reasons(result.rejected), sum(result.energy.column("credited_g").to_pylist())


def test_a_csv_row_with_the_wrong_number_of_fields_is_rejected_alone(tmp_path: Path) -> None:
    rejected, credited_g = run_csv(tmp_path, "metro_card,E0,alice,metro_km\n" + GOOD)
    assert rejected == {0: Rejection.BAD_CSV_ROW}
    assert credited_g == 561


def test_a_csv_quantity_that_is_not_an_integer_is_a_bad_value(tmp_path: Path) -> None:
    bad = GOOD.replace(",12,km", ",12.5,km").replace("E1", "E0")
    rejected, credited_g = run_csv(tmp_path, bad + GOOD)
    assert rejected == {0: Rejection.BAD_VALUE}
    assert credited_g == 561


def test_a_csv_row_with_broken_quoting_is_rejected(tmp_path: Path) -> None:
    rejected, credited_g = run_csv(tmp_path, 'metro_card,"E0"x,alice\n' + GOOD)
    assert rejected == {0: Rejection.BAD_CSV_ROW}
    assert credited_g == 561


def test_csv_timestamps_may_be_iso_8601_with_an_offset(tmp_path: Path) -> None:
    iso = GOOD.replace(str(START), "2026-11-24T08:00:00+08:00").replace(
        str(START + 30 * MINUTE_MS), "2026-11-24T00:30:00Z"
    )
    rejected, credited_g = run_csv(tmp_path, iso)
    assert rejected == {} and credited_g == 561


def test_a_csv_timestamp_without_an_offset_is_a_bad_value(tmp_path: Path) -> None:
    naive = GOOD.replace(str(START), "2026-11-24T08:00:00")
    rejected, _ = run_csv(tmp_path, naive)
    assert rejected == {0: Rejection.BAD_VALUE}


def test_an_empty_csv_cell_is_a_missing_field(tmp_path: Path) -> None:
    rejected, _ = run_csv(tmp_path, GOOD.replace("alice", ""))
    assert rejected == {0: Rejection.MISSING_FIELD}


def test_a_csv_without_a_required_column_rejects_every_row(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("partner_id,event_id\nmetro_card,E1\nmetro_card,E2\n", encoding="utf-8")
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    assert reasons(result.rejected) == {0: Rejection.BAD_CSV_ROW, 1: Rejection.BAD_CSV_ROW}
    assert "person_id" in result.rejected.column("detail")[0].as_py()


def test_a_parquet_file_with_a_wrong_column_type_rejects_every_row(tmp_path: Path) -> None:
    table = pa.table(
        {
            "partner_id": ["metro_card", "metro_card"],
            "event_id": ["E1", "E2"],
            "person_id": ["alice", "bob"],
            "behaviour": ["metro_km", "metro_km"],
            "start_ms": [START, START],
            "end_ms": [START + 30 * MINUTE_MS] * 2,
            "quantity": ["12", "12"],
            "unit": ["km", "km"],
        }
    )
    pq.write_table(table, tmp_path / "wrong.parquet")
    result = quantify_file(tmp_path / "wrong.parquet", DAY, as_of_ms=AS_OF_MS)
    assert reasons(result.rejected) == {0: "bad_parquet_schema", 1: "bad_parquet_schema"}
    assert "column quantity" in result.rejected.column("detail")[0].as_py()
    assert result.rejected.column("person_id").to_pylist() == ["alice", "bob"]
    assert result.energy.num_rows == 0


def test_a_parquet_file_missing_a_column_rejects_every_row(tmp_path: Path) -> None:
    pq.write_table(pa.table({"partner_id": ["x"]}), tmp_path / "thin.parquet")
    result = quantify_file(tmp_path / "thin.parquet", DAY, as_of_ms=AS_OF_MS)
    assert reasons(result.rejected) == {0: "bad_parquet_schema"}


def test_narrower_integer_columns_are_accepted(tmp_path: Path) -> None:
    table = pa.table(
        {
            "partner_id": ["metro_card"],
            "event_id": ["E1"],
            "person_id": ["alice"],
            "behaviour": ["metro_km"],
            "start_ms": pa.array([START], pa.int64()),
            "end_ms": pa.array([START + 30 * MINUTE_MS], pa.int64()),
            "quantity": pa.array([12], pa.int32()),
            "unit": ["km"],
        }
    )
    pq.write_table(table, tmp_path / "narrow.parquet")
    result = quantify_file(tmp_path / "narrow.parquet", DAY, as_of_ms=AS_OF_MS)
    assert result.energy.column("credited_g").to_pylist() == [561]
