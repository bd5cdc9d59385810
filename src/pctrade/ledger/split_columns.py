"""The exact split on numpy columns: ``kernel.split`` for a million parts at once.

``largest_remainder_np`` returns exactly what ``pctrade.kernel.split.largest_remainder``
returns — the same amounts, remainders, leftover units and tie-break (largest remainder
first, then the earlier part) — computed on int64 columns instead of Python integers,
which is about ten times faster at a million parts. It serves grams and fen alike: the
rule knows only "the asset's smallest unit".

Exactness needs every product ``total × weight`` and the sum of the weights to fit in
int64 (``fits``); when they might not, the caller hands the work to the pure version,
which has no such limit (``largest_remainder_np`` does so itself). A property test holds
the two equal on random inputs. The kernel stays standard library only, which is why
this twin lives here rather than beside the rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.split import Split, largest_remainder

Column = NDArray[np.int64]


def fits(total: int, weight_sum: int, weight_max: int) -> bool:
    """Whether int64 columns compute this split exactly (no product or sum wraps)."""
    return 0 < weight_sum <= INT64_MAX and total * weight_max <= INT64_MAX


def split_columns(total: int, weights: Column) -> tuple[Column, Column, NDArray[np.bool_], int]:
    """Amounts, remainders, rounded-up flags and leftover; the caller checked ``fits``."""
    weight_sum = int(weights.sum())
    amounts, remainders = np.divmod(weights * total, weight_sum)
    leftover = total - int(amounts.sum())
    rounded_up = np.zeros(len(weights), dtype=bool)
    if leftover:
        # The ``leftover`` largest remainders, ties to the earlier part, selected in linear
        # time (a sort of ten million remainders took most of the split): every part above
        # the leftover-th largest remainder gets a unit, then the earliest parts equal to it.
        kth = leftover - 1
        threshold = -np.partition(-remainders, kth)[kth]
        rounded_up = remainders > threshold
        ties = np.flatnonzero(remainders == threshold)[: leftover - int(rounded_up.sum())]
        rounded_up[ties] = True
        amounts[rounded_up] += 1
    return amounts, remainders, rounded_up, leftover


def largest_remainder_np(total: int, weights: Sequence[int]) -> Split:
    """``kernel.split.largest_remainder``, on int64 columns where they are exact."""
    if total <= 0 or not weights:
        return largest_remainder(total, weights)  # the pure version's checks and answers
    # Checked on Python integers, before numpy could wrap around.
    if min(weights) < 0 or not fits(total, sum(weights), max(weights)):
        return largest_remainder(total, weights)
    amounts, remainders, rounded_up, leftover = split_columns(
        total, np.asarray(weights, dtype=np.int64)
    )
    return Split(amounts.tolist(), remainders.tolist(), rounded_up.tolist(), leftover)
