"""An issuance kept columnar: the attribution of a million sponsors on numpy columns.

``attribute_columns`` is ``sinks.attribution.attribute`` for shares read as columns: it
keeps the whole issuance columnar — the split (the exact largest-remainder rule's numpy
twin, ``pctrade.ledger.split_columns``), the registry's recipients (the buffer and every
sponsor owed a gram) and the digest of the attribution table that the issue entry
records — and builds Python lists only where a driver needs them. Inputs the int64
columns cannot take exactly go to the pure ``attribute``, with the same answer.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.limits import INT64_MAX
from pctrade.kernel.split import Split
from pctrade.ledger.split_columns import Column, fits, split_columns
from pctrade.sinks.attribution import (
    Attribution,
    attribute,
    buffer_share_g,
    sponsored_share_g,
    sponsors_share_g,
)
from pctrade.sinks.evidence import attribution_digest


@dataclass(frozen=True, slots=True)
class CutLine:
    """Who received a leftover gram, as one rule instead of a column.

    The largest-remainder step hands the leftover grams to the largest remainders, ties
    to the earlier (smaller) account. So sponsor i was rounded up exactly when
    ``r_i > remainder`` or ``r_i == remainder and account_i <= account``, where
    ``(remainder, account)`` is the last sponsor served. With no leftover, ``remainder``
    is the total of the shares, which no remainder reaches. The store uses this rule to
    let the database compute each row's amount, remainder and flag from its shares.
    """

    distributable_g: int
    total_shares: int
    remainder: int
    account: int


@dataclass(frozen=True, slots=True)
class ColumnarIssue:
    """An attribution, the registry's recipients and amounts, and the table's digest."""

    attribution: Attribution
    recipients: list[int]
    amounts_g: list[int]
    digest: str
    cut: CutLine | None = None  # None when the int64 columns could not be used


def _le_array(column: NDArray[np.int64] | NDArray[np.bool_]) -> array[int]:
    out = array("q")
    out.frombytes(np.ascontiguousarray(column, dtype="<i8").tobytes())
    return out


def attribute_columns(
    removals_g: int,
    buffer_bps: int,
    buffer_account: int,
    ids: Column,
    shares: Column,
    project_units: int | None = None,
) -> ColumnarIssue:
    """``attribute`` on columns of strictly increasing account ids and positive shares."""
    n = len(ids)
    if n != len(shares):
        raise ValidationError("sponsors and shares differ in length", code="bad_request")
    if n == 0:
        raise Conflict("the project has no sponsors to attribute to", code="no_sponsors")
    ordered = n == 1 or bool(np.all(ids[1:] > ids[:-1]))
    # Summed on int64 only where it cannot wrap around.
    summable = int(shares.max()) < (INT64_MAX + 1) // n
    sponsored = int(shares.sum()) if summable else sum(shares.tolist())
    units = sponsored if project_units is None else project_units
    if removals_g <= 0 or int(shares.min()) <= 0:
        return _from_lists(
            attribute(removals_g, buffer_bps, ids.tolist(), shares.tolist(), project_units=units),
            buffer_account,
        )
    share_g = sponsored_share_g(removals_g, sponsored, units)  # only this is insured
    buffer_g = buffer_share_g(share_g, buffer_bps)
    total = sponsors_share_g(share_g, buffer_g)
    if not ordered or not summable or not fits(total, sponsored, int(shares.max())) or total <= 0:
        return _from_lists(
            attribute(removals_g, buffer_bps, ids.tolist(), shares.tolist(), project_units=units),
            buffer_account,
        )
    amounts, remainders, rounded_up, leftover = split_columns(total, shares)
    split = Split(amounts.tolist(), remainders.tolist(), rounded_up.tolist(), leftover)
    a = Attribution(
        removals_g,
        buffer_bps,
        buffer_g,
        sponsored,
        ids.tolist(),
        shares.tolist(),
        split,
        units,
        total,
    )
    owed = amounts > 0  # a zero line stays in the attribution table, not in the journal
    head = [buffer_account] if buffer_g else []
    digest = attribution_digest(
        [_le_array(c) for c in (ids, shares, amounts, remainders, rounded_up)]
    )
    return ColumnarIssue(
        a,
        head + ids[owed].tolist(),
        ([buffer_g] if buffer_g else []) + amounts[owed].tolist(),
        digest,
        _cut_line(total, a.total_shares, ids, remainders, rounded_up),
    )


def _cut_line(
    total: int, total_shares: int, ids: Column, remainders: Column, up: NDArray[np.bool_]
) -> CutLine:
    if not up.any():
        return CutLine(total, total_shares, total_shares, 0)
    last = int(remainders[up].min())
    account = int(ids[up & (remainders == last)].max())
    return CutLine(total, total_shares, last, account)


def _from_lists(a: Attribution, buffer_account: int) -> ColumnarIssue:
    """The pure answer, for inputs the int64 columns cannot take exactly."""
    owed = [(i, g) for i, g in zip(a.account_ids, a.amounts_g, strict=True) if g > 0]
    head = [(buffer_account, a.buffer_g)] if a.buffer_g else []
    columns = (a.account_ids, a.shares, a.amounts_g, a.split.remainders, a.split.rounded_up)
    digest = attribution_digest([array("q", (int(v) for v in c)) for c in columns])
    return ColumnarIssue(a, [i for i, _ in head + owed], [g for _, g in head + owed], digest)
