"""The exact split: a whole number of grams or fen shared pro rata, nothing lost.

Whenever the platform shares an integer quantity out — an issuance's grams among a
forest's sponsors, a pool's payout in fen among its members — it uses the
largest-remainder method (Hamilton's method), so that the parts are integers in the
asset's smallest unit and add up to the whole exactly:

    part i gets floor(T × w_i / W) units and keeps the remainder r_i = T × w_i mod W
    (W = Σ w); the L = T − Σ floor(…) units left over (L < number of parts) go one each
    to the L parts with the largest r_i, ties to the earlier part in the given order.

So every part is within one unit of its exact share T × w_i / W, Σ parts = T, and the
answer depends only on the inputs and their order. The remainders and who received a
leftover unit are part of the result, because a ledger that records a split records
why each part is what it is.

This is the one rule; ``pctrade.ledger.split_columns`` is its vectorised twin on numpy
columns for millions of parts, and a property test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Split:
    """An exact largest-remainder split of ``total`` over ``weights``."""

    amounts: list[int]
    remainders: list[int]  # r_i, the numerator over sum(weights) that floor() dropped
    rounded_up: list[bool]  # whether i received one of the leftover units
    leftover: int  # how many units the largest-remainder step handed out


def largest_remainder(total: int, weights: Sequence[int]) -> Split:
    """Split ``total`` pro rata to non-negative integer ``weights``; the parts sum to it."""
    if total < 0:
        raise ValidationError("cannot split a negative quantity", code="non_positive")
    weight_sum = sum(weights)
    if weight_sum <= 0 or min(weights) < 0:
        raise ValidationError("weights are non-negative and not all zero", code="bad_weights")
    amounts: list[int] = []
    remainders: list[int] = []
    for w in weights:
        q, r = divmod(total * w, weight_sum)
        amounts.append(q)
        remainders.append(r)
    leftover = total - sum(amounts)
    rounded_up = [False] * len(amounts)
    if leftover:
        # Sorting by (-remainder, index) gives the stable tie-break the docstring states.
        order = sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))
        for i in order[:leftover]:
            amounts[i] += 1
            rounded_up[i] = True
    return Split(amounts, remainders, rounded_up, leftover)
