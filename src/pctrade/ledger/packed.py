"""Packed integer columns: how one entry's hashed payload records millions of rows.

A pool sale to ten million contributors draws ten million holds down. Recorded as JSON
objects (``operations.holds_payload``) that is ~100 bytes and a dict per row; recorded
here it is a few bytes per row, and no Python object per row on the write path:

    {"rows": n, "columns": {name: [typecode, first value, base64], ...}}

Each column is delta-encoded (its first value as it is, then each value against the
one before it), the deltas stored little-endian in the narrowest of int8, int16, int32
and int64 that holds them all (``typecode``: ``b``, ``h``, ``i``, ``q``), and the bytes
base64-encoded. Ascending ids cost one byte a row. The deltas are taken modulo 2^64,
so decoding (a running sum modulo 2^64) gives back every int64 exactly, whatever the
values.

This module is the format's definition and its pure (standard library) codec, used by
replay; ``ledger.packed_np`` encodes and decodes the same format with numpy where a
planner or the store handles millions of rows. A test holds the two equal.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Mapping, Sequence
from itertools import accumulate, pairwise
from typing import Any

from pctrade.kernel.errors import ValidationError

# The typecodes a column may use, narrowest first, with their byte widths.
TYPECODES = (("b", 1), ("h", 2), ("i", 4), ("q", 8))
_WIDTH = dict(TYPECODES)
_MOD = 1 << 64
_HALF = 1 << 63


def _wrap(value: int) -> int:
    """``value`` modulo 2^64, as a signed int64."""
    return (value + _HALF) % _MOD - _HALF


def _narrowest(deltas: Sequence[int]) -> str:
    low, high = (min(deltas), max(deltas)) if deltas else (0, 0)
    for code, width in TYPECODES:
        bound = 1 << (8 * width - 1)
        if -bound <= low and high < bound:
            return code
    return "q"


def _le(column: array[int]) -> bytes:
    if sys.byteorder != "little":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()


def pack(columns: Mapping[str, Sequence[int]]) -> dict[str, Any]:
    """The packed form of equal-length integer columns (pure: for small ones and tests)."""
    lengths = {len(c) for c in columns.values()}
    if len(lengths) > 1:
        raise ValueError("packed columns differ in length")
    packed: dict[str, list[Any]] = {}
    for name, values in columns.items():
        first = values[0] if len(values) else 0
        deltas = [_wrap(b - a) for a, b in pairwise(values)]
        code = _narrowest(deltas)
        text = base64.b64encode(_le(array(code, deltas))).decode("ascii")
        packed[name] = [code, first, text]
    return {"rows": lengths.pop() if lengths else 0, "columns": packed}


def unpack(packed: Any, names: Sequence[str]) -> dict[str, array[int]]:
    """The columns ``names`` of a packed payload, as int64 arrays.

    Refuses a malformed one (``bad_request``): replay reads what a payload says, so it
    must never guess.
    """
    try:
        rows = int(packed["rows"])
        found = {name: _unpack_column(packed["columns"][name], rows) for name in names}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"malformed packed columns: {exc}", code="bad_request") from exc
    return found


def _unpack_column(column: Any, rows: int) -> array[int]:
    code, first, text = column
    if code not in _WIDTH or not isinstance(first, int):
        raise ValueError(f"unknown typecode {code!r}")
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    deltas = array(code)
    deltas.frombytes(raw)
    if sys.byteorder != "little":
        deltas.byteswap()
    if len(deltas) != max(rows - 1, 0) or (rows == 0 and first != 0):
        raise ValueError(f"a column has {len(deltas) + 1} rows, not {rows}")
    if rows == 0:
        return array("q")
    sums = accumulate(deltas, initial=first)
    try:
        return array("q", sums)
    except OverflowError:  # a column that wrapped around 2^64 when it was encoded
        return array("q", (_wrap(v) for v in accumulate(deltas, initial=first)))
