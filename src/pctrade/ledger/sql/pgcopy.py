"""PostgreSQL binary COPY of integer columns, encoded column-wise with numpy.

A bulk entry's postings arrive as int64 arrays. Encoding them row by row in Python
(or as text arrays) costs more than PostgreSQL takes to store them, so the whole COPY
stream is built at once: a numpy record per row, in the binary COPY layout (field count,
then a length and a big-endian value per field), behind the fixed header and trailer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from psycopg.copy import QueuedLibpqWriter

_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_TRAILER = b"\xff\xff"
_WIDTH = {"int2": (">i2", 2), "int8": (">i8", 8)}
CHUNK_ROWS = 65_536


def encode_chunks(
    columns: Sequence[tuple[str, Any]], rows_per_chunk: int = CHUNK_ROWS
) -> Iterator[bytes]:
    """Binary COPY payload for rows of integer columns, in pieces encoded as asked for.

    ``columns`` is a sequence of (PostgreSQL type, values): type "int8" or "int2";
    values a scalar (repeated on every row) or an array of one value per row. Sent
    through ``copy_binary``, a piece is encoded while the server is still storing the
    ones before it, instead of all of it before the server starts.
    """
    n = max((len(v) for _, v in columns if not np.isscalar(v)), default=1)
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, (pg_type, _) in enumerate(columns):
        fields += [(f"len{i}", ">i4"), (f"val{i}", _WIDTH[pg_type][0])]
    dtype = np.dtype(fields)
    # Every row starts as the same template (field count, lengths): one broadcast copy
    # of whole rows, then only the value fields are written.
    template = np.zeros(1, dtype=dtype)
    template["count"] = len(columns)
    for i, (pg_type, _) in enumerate(columns):
        template[f"len{i}"] = _WIDTH[pg_type][1]
    yield _HEADER
    for start in range(0, n, rows_per_chunk):
        m = min(rows_per_chunk, n - start)
        rows = np.empty(m, dtype=dtype)
        rows.view(np.uint8).reshape(m, dtype.itemsize)[:] = template.view(np.uint8)
        for i, (_, values) in enumerate(columns):
            rows[f"val{i}"] = values if np.isscalar(values) else values[start : start + m]
        yield rows.tobytes()
    yield _TRAILER


def copy_binary(
    driver_connection: Any, table: str, names: Sequence[str], chunks: Iterable[bytes]
) -> None:
    """COPY the pieces into ``table``; a writer thread sends one while the next is made."""
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(
            f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)",
            writer=QueuedLibpqWriter(cursor),
        ) as copy,
    ):
        for chunk in chunks:
            copy.write(chunk)
