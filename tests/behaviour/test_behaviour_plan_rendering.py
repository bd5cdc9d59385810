"""What `definition.plan` renders per engine: the tallies' sums and the 32-bit hash."""

from __future__ import annotations

from datetime import date

from pctrade.energy.behaviour import load_catalogue
from pctrade.energy.behaviour.quantify import day_window
from pctrade.energy.pipeline.definition import DayParams, narrow_sums_safe, plan
from pctrade.energy.pipeline.energy_steps import counts_pack_safe
from pctrade.kernel.limits import INT64_MAX

DAY = date(2026, 11, 24)
PARAMS = DayParams(DAY, day_window(DAY, 0))


def _tallies_sql(engine: str, events_n: int | None) -> str:
    steps = plan(load_catalogue(), engine, PARAMS, events_n).steps  # type: ignore[arg-type]
    return next(step.sql for step in steps if step.name == "per_family")


def test_64_bit_sums_only_where_the_file_size_proves_they_fit() -> None:
    catalogue = load_catalogue()
    assert narrow_sums_safe(catalogue, 21_209_995)
    assert not narrow_sums_safe(catalogue, INT64_MAX // 2)
    assert "sum_no_overflow(" in _tallies_sql("duckdb", 21_209_995)
    assert "sum_no_overflow(" not in _tallies_sql("duckdb", INT64_MAX // 2)
    assert "sum_no_overflow(" not in _tallies_sql("duckdb", None)  # size unknown: checked SUM


def test_spark_always_sums_with_its_checked_sum() -> None:
    sql = _tallies_sql("spark", 21_209_995)
    assert "sum_no_overflow(" not in sql and "SUM(" in sql


def test_two_ranks_share_a_count_sum_only_where_the_file_size_proves_it_exact() -> None:
    assert counts_pack_safe(21_209_995)
    assert counts_pack_safe(2**30 - 1) and not counts_pack_safe(2**30)
    packed = _tallies_sql("duckdb", 21_209_995)
    assert "(counts_1 & 4294967295) AS n_1" in packed and "(counts_1 >> 32) AS n_2" in packed
    for unpacked in (_tallies_sql("duckdb", 2**30), _tallies_sql("duckdb", None)):
        assert "counts_1" not in unpacked and "(n_1) AS BIGINT) AS n_1" in unpacked
    assert "counts_1" not in _tallies_sql("spark", 21_209_995)  # one sum per rank on Spark


def test_each_engine_gets_its_own_32_bit_hash_and_duplicate_screen() -> None:
    duck = {s.name: s.sql for s in plan(load_catalogue(), "duckdb", PARAMS).steps}
    spark = {s.name: s.sql for s in plan(load_catalogue(), "spark", PARAMS).steps}
    assert "CAST(hash(partner_id, event_id) >> 32 AS UINTEGER)" in duck["dup_hashes"]
    assert "LAG(key_hash) OVER (ORDER BY key_hash)" in duck["dup_hashes"]
    assert "hash(partner_id, event_id)" in spark["dup_hashes"] and ">>" not in spark["dup_hashes"]
    assert "GROUP BY" in spark["dup_hashes"]
    assert all("{" not in sql for sql in (*duck.values(), *spark.values()))  # all rendered
