"""Shared helpers for the benchmarks: JSON lines, timers, peak memory, databases."""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN_URL = os.environ.get(
    "PCTRADE_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def emit(bench: str, metric: str, value: float, unit: str, baseline: float | None) -> None:
    ratio = None if not baseline else round(value / baseline, 3)
    print(
        json.dumps(
            {
                "bench": bench,
                "metric": metric,
                "value": round(value, 1),
                "unit": unit,
                "baseline": None if baseline is None else round(baseline, 1),
                "ratio": ratio,
            }
        ),
        flush=True,
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timer() -> Iterator[list[float]]:
    box = [0.0]
    start = time.perf_counter()
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - start


def fresh_pg_database(name: str) -> str | None:
    """Drop and create a PostgreSQL database; its URL, or None if no server answers."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no server: the PostgreSQL figures are skipped, said aloud
        print(json.dumps({"bench": "registry", "skipped": "postgresql", "why": str(exc)[:200]}))
        return None
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
