"""The one exact split (kernel.split) and its numpy twin (ledger.split_columns).

Grams and fen go through the same rule, so the properties are stated once for "units":
the parts add up exactly, each is within one unit of its exact share, the leftover units
go to the largest remainders with ties to the earlier part, and the twin on int64
columns gives exactly the pure answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pctrade.kernel.errors import PctradeError
from pctrade.kernel.split import largest_remainder
from pctrade.ledger.split_columns import fits, largest_remainder_np, split_columns

# Up to 10^12 units (a million tonnes in grams, ten billion yuan in fen) over shares of up
# to 10^6: the products stay within int64, so the twin really runs on its columns.
TOTALS = st.integers(0, 10**12)
WEIGHTS = st.lists(st.integers(0, 10**6), min_size=1, max_size=60).filter(lambda w: sum(w) > 0)


def test_largest_remainder_gives_leftover_grams_to_the_largest_remainders() -> None:
    split = largest_remainder(10, [1, 1, 1])
    # 10/3 = 3 r 1 each; one leftover gram goes to the first of the tied sponsors.
    assert split.amounts == [4, 3, 3]
    assert split.remainders == [1, 1, 1] and split.rounded_up == [True, False, False]
    assert largest_remainder(7, [5, 3, 2]).amounts == [4, 2, 1]  # 3.5, 2.1, 1.4


@given(
    distributable=st.integers(0, 10**9),
    shares=st.lists(st.integers(1, 1000), min_size=2, max_size=30),
)
def test_every_rounded_up_remainder_is_at_least_every_rounded_down_one(
    distributable: int, shares: list[int]
) -> None:
    split = largest_remainder(distributable, shares)
    up = [r for r, u in zip(split.remainders, split.rounded_up, strict=True) if u]
    down = [r for r, u in zip(split.remainders, split.rounded_up, strict=True) if not u]
    if up and down:
        assert min(up) >= max(down)


@given(
    total=st.integers(-5, 10**12),
    weights=st.lists(st.integers(-1, 10**6), min_size=0, max_size=80),
)
def test_the_numpy_split_gives_exactly_the_pure_splits_answer(
    total: int, weights: list[int]
) -> None:
    try:
        expected = largest_remainder(total, weights)
    except PctradeError as exc:
        with pytest.raises(PctradeError) as fast_exc:
            largest_remainder_np(total, weights)
        assert fast_exc.value.code == exc.code
        return
    assert largest_remainder_np(total, weights) == expected


def test_the_numpy_split_defers_to_the_pure_one_beyond_int64() -> None:
    weights = [10**12, 3, 10**12 + 1]
    total = 10**15 + 7  # total × weight exceeds int64
    assert largest_remainder_np(total, weights) == largest_remainder(total, weights)


@given(total=TOTALS, weights=WEIGHTS)
def test_the_twin_equals_the_rule_and_both_are_exact_fair_and_deterministic(
    total: int, weights: list[int]
) -> None:
    pure = largest_remainder(total, weights)
    assert largest_remainder_np(total, weights) == pure
    assert fits(total, sum(weights), max(weights))  # so the columns themselves ran
    amounts, remainders, up, leftover = split_columns(total, np.asarray(weights, np.int64))
    assert (amounts.tolist(), remainders.tolist(), up.tolist(), leftover) == (
        pure.amounts,
        pure.remainders,
        pure.rounded_up,
        pure.leftover,
    )
    weight_sum = sum(weights)
    assert sum(pure.amounts) == total  # no unit created or lost
    for amount, w in zip(pure.amounts, weights, strict=True):
        # |amount − total × w / W| < 1, in integers
        assert abs(amount * weight_sum - total * w) < weight_sum
    # Ties go to the earlier part: among equal remainders, every part rounded up comes
    # before every part rounded down.
    last_up: dict[int, int] = {}
    for i, (r, u) in enumerate(zip(pure.remainders, pure.rounded_up, strict=True)):
        if u:
            last_up[r] = i
    for i, (r, u) in enumerate(zip(pure.remainders, pure.rounded_up, strict=True)):
        if not u and r in last_up:
            assert last_up[r] < i


def test_equal_weights_give_the_leftover_units_to_the_earlier_parts() -> None:
    for split in (largest_remainder(5, [1, 1, 1, 1]), largest_remainder_np(5, [1, 1, 1, 1])):
        assert split.amounts == [2, 1, 1, 1]
        assert split.rounded_up == [True, False, False, False]
