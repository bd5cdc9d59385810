"""Integer columns into a temporary table, set-based: the first step of bulk SQL.

A statement over millions of rows (draw ten million holds down, write a sale's lines)
is fastest as one ``UPDATE … FROM`` or ``INSERT … SELECT`` over a table of the rows,
and the rows arrive as numpy int64 columns. ``load_temp`` puts them there without a
Python object per row:

- PostgreSQL: a binary COPY (``pgcopy``) into a temporary table, then ``ANALYZE`` so
  that the planner joins it by hash rather than by ten million index probes;
- SQLite: each column as a JSON array that SQLite unpacks in C (``json_each``, exact
  for 64-bit integers), the first straight into the table, the others through a
  temporary ``(k INTEGER PRIMARY KEY, v)`` table each, joined on the array index.

The table has a column ``k`` (the row's index, 0-based) and the named columns. The
caller runs its statement over it and calls ``drop_temp`` (a temporary table lives
until the connection closes otherwise, and a pool's connection lives long).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pctrade.ledger.sql.pgcopy import copy_binary, encode_chunks

Column = NDArray[np.int64]


def load_temp(driver: Any, is_postgres: bool, table: str, columns: Mapping[str, Column]) -> int:
    """Create the temporary ``table`` (k, *columns) and fill it; returns its row count."""
    names = list(columns)
    arrays = [np.asarray(columns[name], dtype=np.int64) for name in names]
    n = len(arrays[0]) if arrays else 0
    if any(len(a) != n for a in arrays):
        raise ValueError("columns differ in length")
    if is_postgres:
        _load_pg(driver, table, names, arrays, n)
    else:
        _load_sqlite(driver, table, names, arrays)
    return n


# Rows bound through SQLite's ``executemany`` at a time: their Python integers cost
# ~30 bytes each while they live, so millions of rows go through in pieces.
PIECE_ROWS = 1 << 20


def append_columns(
    driver: Any, is_postgres: bool, table: str, columns: Mapping[str, Column | int]
) -> None:
    """Append rows of int64 columns (a scalar: the same on every row) to ``table``
    straight, without a temporary table: a binary COPY on PostgreSQL (the rows encoded
    by numpy), ``executemany`` in pieces on SQLite (it binds rows from C faster than it
    joins a temporary table of them)."""
    names = list(columns)
    arrays = {n: np.asarray(v, dtype=np.int64) for n, v in columns.items() if not np.isscalar(v)}
    scalars = {n: int(v) for n, v in columns.items() if np.isscalar(v)}  # type: ignore[arg-type]
    if is_postgres:
        values = [("int8", arrays[n] if n in arrays else scalars[n]) for n in names]
        copy_binary(driver, table, names, encode_chunks(values))
        return
    n_rows = max((len(a) for a in arrays.values()), default=0)
    insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    for start in range(0, n_rows, PIECE_ROWS):
        m = min(PIECE_ROWS, n_rows - start)
        piece = [
            arrays[n][start : start + m].tolist() if n in arrays else [scalars[n]] * m
            for n in names
        ]
        driver.executemany(insert, zip(*piece, strict=True))


def drop_temp(driver: Any, is_postgres: bool, table: str) -> None:
    driver.execute(f"DROP TABLE {'' if is_postgres else 'temp.'}{table}")


def _load_pg(driver: Any, table: str, names: list[str], arrays: list[Column], n: int) -> None:
    spec = ", ".join(["k bigint", *(f"{name} bigint" for name in names)])
    with driver.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ({spec})")
    chunks = encode_chunks([("int8", np.arange(n, dtype=np.int64)), *(("int8", a) for a in arrays)])
    copy_binary(driver, table, ["k", *names], chunks)
    with driver.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def _load_sqlite(driver: Any, table: str, names: list[str], arrays: list[Column]) -> None:
    spec = ", ".join(["k INTEGER PRIMARY KEY", *(f"{name} INTEGER" for name in names)])
    driver.execute(f"CREATE TEMP TABLE {table} ({spec})")
    if not names:
        return
    helpers = [f"{table}_{i}" for i in range(1, len(names))]
    try:
        for helper, values in zip(helpers, arrays[1:], strict=True):
            driver.execute(f"CREATE TEMP TABLE {helper} (k INTEGER PRIMARY KEY, v INTEGER)")
            driver.execute(
                f"INSERT INTO temp.{helper} (k, v) SELECT key, value FROM json_each(?)",
                (json.dumps(values.tolist()),),
            )
        joins = " ".join(f"JOIN temp.{h} ON {h}.k = a.key" for h in helpers)
        picked = ", ".join(["a.key", "a.value", *(f"{h}.v" for h in helpers)])
        driver.execute(
            f"INSERT INTO temp.{table} (k, {', '.join(names)})"
            f" SELECT {picked} FROM json_each(?) AS a {joins}",
            (json.dumps(arrays[0].tolist()),),
        )
    finally:
        for helper in helpers:
            driver.execute(f"DROP TABLE IF EXISTS temp.{helper}")
