"""Every input event comes out of a run exactly once, or the run raises (`conservation`).

The faults are injected where they would happen: an engine that reads only part
of the file (a lost partition: a Spark worker that does not see the shared
storage) and a step that drops or multiplies rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from behaviour_support import AS_OF_MS, DAY, DAY_START_MS, HOUR_MS, event, write_events

from pctrade.energy.pipeline import definition, duckdb_engine, quantify_file
from pctrade.energy.pipeline.conservation import check_conserved, disposition
from pctrade.energy.pipeline.source import EventSource
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms
from pctrade.kernel.errors import EventsNotConserved, IntegrityError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@pytest.fixture(scope="module")
def day_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("conservation") / "day.parquet"
    generate_day(path, DAY, people=60, faults_per_mille=80, seed=11)
    return path


def _run(path: Path, *, with_events: bool = True) -> None:
    quantify_file(path, DAY, as_of_ms=synthetic_as_of_ms(DAY), with_events=with_events)


def test_a_run_accounts_for_every_event_of_the_file(day_file: Path) -> None:
    result = quantify_file(day_file, DAY, as_of_ms=synthetic_as_of_ms(DAY), with_events=True)
    assert result.credited_events is not None
    counted = disposition(
        {"rejected": result.rejected, "held": result.held, "energy": result.energy}
    )
    assert counted.rejected_n > 0 and counted.held_n > 0 and counted.credited_n > 0
    assert counted.credited_n == result.credited_events.num_rows
    assert counted.total_n == pq.read_metadata(day_file).num_rows


def test_a_csv_run_counts_its_import_errors_apart(tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_text(
        "partner_id,event_id,person_id,behaviour,start_ms,end_ms,quantity,unit\n"
        f"p,E1,alice,metro_km,{DAY_START_MS + 8 * HOUR_MS},{DAY_START_MS + 9 * HOUR_MS},5,km\n"
        "broken,row\n",
        encoding="utf-8",
    )
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS)
    assert [r["reason"] for r in result.rejected.to_pylist()] == ["bad_csv_row"]
    assert result.energy.column("events_n").to_pylist() == [1]


def test_an_engine_that_reads_part_of_the_file_raises_events_lost(
    day_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_all = duckdb_engine._events_sql

    def one_partition_lost(source: EventSource) -> str:
        return f"SELECT * FROM ({read_all(source)}) WHERE row_no % 4 <> 3"

    monkeypatch.setattr(duckdb_engine, "_events_sql", one_partition_lost)
    with pytest.raises(EventsNotConserved) as raised:
        _run(day_file, with_events=False)
    assert raised.value.code == "events_lost"
    assert isinstance(raised.value, IntegrityError)
    assert "missing" in raised.value.message


def test_a_step_that_drops_rejected_rows_raises_events_lost(
    day_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(definition, "_REJECTED", definition._REJECTED + " AND row_no % 2 = 0")
    with pytest.raises(EventsNotConserved) as raised:
        _run(day_file)
    assert raised.value.code == "events_lost"


def test_a_step_that_multiplies_held_rows_raises_events_duplicated(
    day_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = definition._HELD
    monkeypatch.setattr(definition, "_HELD", f"{held} UNION ALL {held}")
    with pytest.raises(EventsNotConserved) as raised:
        _run(day_file)
    assert raised.value.code == "events_duplicated"


def _tables(
    rejected: int, held: int, events_n: list[int], listed: int | None
) -> dict[str, pa.Table]:
    tables = {
        "rejected": pa.table({"row_no": list(range(rejected))}),
        "held": pa.table({"row_no": list(range(held))}),
        "energy": pa.table({"events_n": pa.array(events_n, pa.int64())}),
    }
    if listed is not None:
        tables["credited_events"] = pa.table({"row_no": list(range(listed))})
    return tables


def test_the_count_is_exact_both_ways() -> None:
    assert check_conserved(10, _tables(2, 1, [3, 4], 7)).total_n == 10
    assert check_conserved(0, _tables(0, 0, [], None)).total_n == 0
    with pytest.raises(EventsNotConserved, match="1 missing") as lost:
        check_conserved(11, _tables(2, 1, [3, 4], None))
    assert lost.value.code == "events_lost"
    with pytest.raises(EventsNotConserved, match="1 too many") as extra:
        check_conserved(9, _tables(2, 1, [3, 4], None))
    assert extra.value.code == "events_duplicated"


def test_an_audit_trail_that_disagrees_with_the_energy_rows_raises() -> None:
    with pytest.raises(EventsNotConserved) as short:
        check_conserved(10, _tables(2, 1, [3, 4], 6))
    assert short.value.code == "events_lost"
    with pytest.raises(EventsNotConserved) as long:
        check_conserved(10, _tables(2, 1, [3, 4], 8))
    assert long.value.code == "events_duplicated"


def test_a_file_without_a_readable_row_has_nothing_to_conserve(tmp_path: Path) -> None:
    bad_header = tmp_path / "day.csv"
    bad_header.write_text("not,a,header\n1,2,3\n", encoding="utf-8")  # no event imported
    assert quantify_file(bad_header, DAY, as_of_ms=AS_OF_MS).rejected.num_rows == 1
    bad_schema = tmp_path / "day.parquet"  # not canonical: no source at all
    pq.write_table(pa.table({"partner_id": ["p"], "quantity": ["five"]}), bad_schema)
    result = quantify_file(bad_schema, DAY, as_of_ms=AS_OF_MS)
    assert [r["reason"] for r in result.rejected.to_pylist()] == ["bad_parquet_schema"]


def test_a_one_event_file_is_conserved(tmp_path: Path) -> None:
    path = write_events(tmp_path / "one.parquet", [event(0)])
    result = quantify_file(path, DAY, as_of_ms=AS_OF_MS, with_events=True)
    assert result.energy.column("events_n").to_pylist() == [1]


@pytest.mark.slow  # starts a Spark JVM; `make test` still runs it
def test_a_spark_run_that_loses_a_partition_raises_events_lost(
    spark: SparkSession, day_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pctrade.energy.pipeline import spark_engine

    read_all = spark_engine._events_frame

    def one_partition_lost(session: SparkSession, source: EventSource) -> DataFrame:
        return read_all(session, source).where("row_no % 4 <> 3")

    monkeypatch.setattr(spark_engine, "_events_frame", one_partition_lost)
    with pytest.raises(EventsNotConserved) as raised:
        quantify_file(day_file, DAY, "spark", as_of_ms=synthetic_as_of_ms(DAY), spark=spark)
    assert raised.value.code == "events_lost"
