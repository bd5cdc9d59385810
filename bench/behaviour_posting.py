"""Benchmark a behaviour day end to end into the registry, on SQLite and PostgreSQL.

    .venv/bin/python bench/behaviour_posting.py --quick        # 20,000 people
    .venv/bin/python bench/behaviour_posting.py --people 200000
    .venv/bin/python bench/behaviour.py                        # calls run_posting last

Per database: people with individual accounts are opened in one bulk entry (not timed
as the day), then the day runs as ``pctrade behaviour`` does: the registry's inputs
(year to date, judged keys, whether the day is credited), import + quantification,
the set-based post (``energy.posting``) and ``verify``'s check of that entry.
``post_day_{db}_s`` is the post alone; ``end_to_end_day_{db}_s`` all of it;
``post_lines_per_s`` lines posted per second. The baseline of a post is the row-wise
post (main's ``post_day``) of the same result into a second registry, in the same
command (``--no-rows`` skips it: at a national day its objects need several GB).
PostgreSQL uses a database of its own, ``pctrade_bench_post``, created and dropped
here. Prints one JSON line per figure: {"bench","metric","value","unit","baseline","ratio"}.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import drop_pg_database, fresh_pg_database
from pctrade import bootstrap
from pctrade.energy import service as energy
from pctrade.energy.pipeline import QuantifyResult, quantify_file
from pctrade.energy.pipeline.synthetic import generate_day, synthetic_as_of_ms
from pctrade.ledger import commands as c
from pctrade.ledger.model import Role
from pctrade.ledger.service import Registry
from pctrade.ledger.sql.store import SqlStore

DAY = date(2026, 11, 24)
PG_DATABASE = "pctrade_bench_post"
Emit = Callable[..., None]  # emit(metric, value, unit, baseline=None, ratio=None)


@contextmanager
def registry_on(db: str, work: Path, n: int) -> Iterator[Registry | None]:
    """An empty migrated registry on ``db`` (None when PostgreSQL does not answer)."""
    if db == "sqlite":
        url: str | None = f"sqlite:///{work / f'post_{n}.db'}"
    else:
        url = fresh_pg_database(PG_DATABASE)
    if url is None:
        yield None
        return
    store = SqlStore(url)
    try:
        bootstrap.migrate(store)
        yield bootstrap.build(store).registry
    finally:
        store.dispose()
        if db == "pg":
            drop_pg_database(PG_DATABASE)


def open_people(registry: Registry, people: int) -> float:
    """Individual accounts for everyone in the synthetic day, in one bulk entry."""
    parties = [f"P{i:08d}" for i in range(people)]
    started = time.perf_counter()
    registry.open_accounts("registry", "bench-open", c.OpenAccounts(Role.INDIVIDUAL, parties))
    return time.perf_counter() - started


def quantify_day(registry: Registry, path: Path, emit: Emit | None = None) -> QuantifyResult:
    """What ``energy.daily`` does before posting: the registry's inputs (the judged keys
    of the file's events, ``energy.seen_window``), then the run."""
    store = registry.store
    seen, seen_s = _seconds(lambda: energy.judged_before(store, DAY, path))
    if emit is not None:
        emit(f"seen_lookup_{store.engine.dialect.name}_s", seen_s, "s")
    return quantify_file(
        path,
        DAY,
        as_of_ms=synthetic_as_of_ms(DAY),
        year_to_date=energy.year_to_date(store, DAY.year, before=DAY),
        seen=seen,
        day_credited=energy.is_day_credited(store, DAY),
    )


def _seconds(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    return value, time.perf_counter() - started


def run_posting(
    path: Path,
    people: int,
    emit: Emit,
    *,
    rows: bool = True,
    dbs: tuple[str, ...] = ("sqlite", "pg"),
) -> None:
    """The day in ``path`` (``people`` synthetic people) end to end on each database."""
    with tempfile.TemporaryDirectory(prefix="pctrade-bench-post-") as tmp:
        work = Path(tmp)
        for db in dbs:
            _run_one(db, path, people, work, emit, rows)


def _run_one(db: str, path: Path, people: int, work: Path, emit: Emit, rows: bool) -> None:
    emit(f"post_loadavg_1m[{db}]", os.getloadavg()[0], "runnable tasks")
    baseline: float | None = None
    if rows:  # the row-wise post of the same day: main's post_day
        with registry_on(db, work, 0) as registry:
            if registry is None:
                return
            open_people(registry, people)
            result = quantify_day(registry, path)
            _, baseline = _seconds(lambda: energy.post_day(registry, result, set_based=False))
            emit(f"post_day_rows_{db}_s", baseline, "s")
            del result
    with registry_on(db, work, 1) as registry:
        if registry is None:
            return
        open_s = open_people(registry, people)
        emit(f"open_accounts_{db}_s", open_s, "s")
        started = time.perf_counter()
        result, quantify_s = _seconds(lambda: quantify_day(registry, path, emit))
        report, post_s = _seconds(lambda: energy.post_day(registry, result, set_based=True))
        assert report.seq is not None, "the bench day credits energy"
        problems, verify_s = _seconds(lambda: energy.verify_credit(registry.store, report.seq))
        end_to_end_s = time.perf_counter() - started
        if problems:
            raise SystemExit(f"the posted entry does not verify: {problems}")
    ratio = None if baseline is None else baseline / post_s  # > 1: faster than row-wise
    emit(f"quantify_with_registry_{db}_s", quantify_s, "s")
    emit(f"post_day_{db}_s", post_s, "s", baseline, ratio)
    emit(f"verify_entry_{db}_s", verify_s, "s")
    emit(f"end_to_end_day_{db}_s", end_to_end_s, "s")
    emit(f"post_lines_per_s[{db}]", report.lines / post_s, "lines/s")
    emit(f"post_keys_remembered[{db}]", report.remembered, "keys")
    emit(f"post_lines[{db}]", report.lines, "lines")


def main() -> None:
    from behaviour import emit  # the behaviour bench's JSON lines

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 people")
    parser.add_argument("--people", type=int, default=None)
    parser.add_argument("--data", type=Path, default=None, help="reuse or create this file")
    parser.add_argument("--no-rows", action="store_true", help="skip the row-wise baseline")
    parser.add_argument("--db", choices=["sqlite", "pg", "both"], default="both")
    args = parser.parse_args()
    people = args.people or (20_000 if args.quick else 1_000_000)
    dbs = ("sqlite", "pg") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="pctrade-bench-") as tmp:
        path = args.data or Path(tmp) / f"day_{people}.parquet"
        if not path.exists():
            generate_day(path, DAY, people)
        emit("events", pq.read_metadata(path).num_rows, "events")
        run_posting(path, people, emit, rows=not args.no_rows, dbs=dbs)


if __name__ == "__main__":
    main()
