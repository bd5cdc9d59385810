"""Packed integer columns (``ledger.packed``): the pure and the numpy codec write the
same bytes and read back every int64 exactly; a malformed one is refused."""

from __future__ import annotations

import numpy as np
import pytest

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.packed import pack, unpack
from pctrade.ledger.packed_np import pack_np, unpack_np

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1_000])
def test_both_codecs_agree_and_round_trip_every_int64(n: int) -> None:
    rng = np.random.default_rng(n)
    columns = {
        "wide": rng.integers(INT64_MIN, INT64_MAX, n, dtype=np.int64, endpoint=True),
        "ids": np.arange(n, dtype=np.int64) * 3 + 10**12,
        "small": rng.integers(-100, 100, n, dtype=np.int64),
    }
    if n:
        columns["wide"][0] = INT64_MIN
        columns["wide"][-1] = INT64_MAX
    pure = pack({name: c.tolist() for name, c in columns.items()})
    assert pure == pack_np(columns)
    names = list(columns)
    back_pure, back_np = unpack(pure, names), unpack_np(pure, names)
    for name, column in columns.items():
        assert list(back_pure[name]) == column.tolist() == back_np[name].tolist()


def test_ascending_ids_cost_about_a_byte_and_a_third_each() -> None:
    packed = pack_np({"ids": np.arange(10**12, 10**12 + 30_000, dtype=np.int64)})
    code, first, text = packed["columns"]["ids"]
    assert (code, first) == ("b", 10**12)
    assert len(text) <= 30_000 * 4 // 3 + 4


@pytest.mark.parametrize(
    "broken",
    [
        {"rows": 3, "columns": {"x": ["b", 1, "AQ=="]}},  # one delta for three rows
        {"rows": 2, "columns": {"x": ["z", 1, "AQ=="]}},  # no such typecode
        {"rows": 2, "columns": {"x": ["b", "1", "AQ=="]}},  # the first value is not an int
        {"rows": 2, "columns": {}},  # the column is missing
        {"rows": 2, "columns": {"x": ["b", 1, "not base64!"]}},
    ],
)
def test_a_malformed_packing_is_refused_by_both(broken: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as pure:
        unpack(broken, ["x"])
    with pytest.raises(ValidationError):
        unpack_np(broken, ["x"])
    assert pure.value.code == "bad_request"
