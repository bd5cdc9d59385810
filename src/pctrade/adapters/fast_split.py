"""The largest-remainder split on numpy columns, for issuances to a million sponsors.

It returns exactly what ``sinks.attribution.largest_remainder`` returns — the same
amounts, remainders, leftover grams and tie-break (largest remainder first, then the
earlier sponsor) — computed on int64 columns instead of Python integers, which is about
ten times faster at a million sponsors. Exactness needs every product
``total × weight`` and the sum of the weights to fit in int64; when they might not, it
hands the work to the pure version, which has no such limit. The unit tests compare
the two on random inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pctrade.sinks.attribution import Split, largest_remainder

INT64_LIMIT = 2**63


def largest_remainder_np(total: int, weights: Sequence[int]) -> Split:
    if total <= 0 or not weights:
        return largest_remainder(total, weights)  # the pure version's checks and answers
    # Checked on Python integers, before numpy could wrap around.
    weight_sum, weight_max = sum(weights), max(weights)
    if (
        min(weights) < 0
        or weight_sum <= 0
        or weight_sum >= INT64_LIMIT
        or total * weight_max >= INT64_LIMIT
    ):
        return largest_remainder(total, weights)
    amounts, remainders = np.divmod(np.asarray(weights, dtype=np.int64) * total, weight_sum)
    leftover = total - int(amounts.sum())
    rounded_up = np.zeros(len(weights), dtype=bool)
    if leftover:
        # A stable sort of the negated remainders keeps the earlier sponsor first on ties.
        chosen = np.argsort(-remainders, kind="stable")[:leftover]
        amounts[chosen] += 1
        rounded_up[chosen] = True
    return Split(amounts.tolist(), remainders.tolist(), rounded_up.tolist(), leftover)
