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
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from pctrade.ledger.ports import UnitOfWork

COPY_SLICE_ROWS = 500_000
SQLITE_SLICE_ROWS = 100_000
_CSV = pacsv.WriteOptions(include_header=False, batch_size=65_536)


def append_table(uow: UnitOfWork, table_name: str, rows: pa.Table) -> None:
    """Insert every row of ``rows`` into ``table_name`` (columns named as the table's)."""
    if rows.num_rows == 0:
        return
    names = ", ".join(rows.column_names)
    driver: Any = uow.dbapi_connection()
    cursor = driver.cursor()
    try:
        if uow.is_postgres:
            with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT csv)") as copy:
                for start in range(0, rows.num_rows, COPY_SLICE_ROWS):
                    buffer = io.BytesIO()
                    pacsv.write_csv(rows.slice(start, COPY_SLICE_ROWS), buffer, _CSV)
                    copy.write(buffer.getbuffer())
            return
        marks = ", ".join(["?"] * rows.num_columns)
        sql = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
        for start in range(0, rows.num_rows, SQLITE_SLICE_ROWS):
            part = rows.slice(start, SQLITE_SLICE_ROWS)
            cursor.executemany(sql, zip(*(c.to_pylist() for c in part.columns), strict=True))
    finally:
        cursor.close()
