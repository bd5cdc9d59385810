"""Appending an Arrow table to one of the energy context's tables, in the entry's transaction.

A national day writes ~10 M statement lines and ~20 M judged-event keys. On PostgreSQL
they go through COPY in CSV form, which Arrow writes in C++ a slice at a time (every
string is quoted, so an empty string stays an empty string and never reads as NULL);
on SQLite through the driver's ``executemany``, a bounded slice of rows at a time, so
only one slice of row tuples exists at once. A row that breaks a key fails the
statement, and the entry's transaction rolls back with it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from pctrade.ledger.ports import UnitOfWork

COPY_SLICE_ROWS = 500_000
SQLITE_SLICE_ROWS = 100_000
_CSV = pacsv.WriteOptions(include_header=False, batch_size=65_536)


def append_table(
    uow: UnitOfWork,
    table_name: str,
    rows: pa.Table,
    same: Mapping[str, int | str] | None = None,
) -> None:
    """Insert every row of ``rows`` into ``table_name`` (columns named as the table's).

    ``same``: columns with one value on every row (the day, the entry's seq). SQLite
    gets them as literals in the statement, not as parameters bound on each row (its
    driver's binding is most of the cost); PostgreSQL's COPY gets them as columns.
    """
    if rows.num_rows == 0:
        return
    same = same or {}
    driver: Any = uow.dbapi_connection()
    cursor = driver.cursor()
    try:
        if uow.is_postgres:
            for name, value in same.items():
                rows = rows.append_column(name, pa.repeat(value, rows.num_rows))
            names = ", ".join(rows.column_names)
            with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT csv)") as copy:
                for start in range(0, rows.num_rows, COPY_SLICE_ROWS):
                    buffer = io.BytesIO()
                    pacsv.write_csv(rows.slice(start, COPY_SLICE_ROWS), buffer, _CSV)
                    copy.write(buffer.getbuffer())
            return
        names = ", ".join([*rows.column_names, *same])
        marks = ", ".join(["?"] * rows.num_columns + [_literal(v) for v in same.values()])
        sql = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
        for start in range(0, rows.num_rows, SQLITE_SLICE_ROWS):
            part = rows.slice(start, SQLITE_SLICE_ROWS)
            cursor.executemany(sql, zip(*(c.to_pylist() for c in part.columns), strict=True))
    finally:
        cursor.close()


def _literal(value: int | str) -> str:
    """A SQL literal: an integer as it is, a string quoted (quotes doubled)."""
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"
