"""The draw order of a pool sale: which contributors' units a sale of ``q`` grams takes.

A pool holds many deposits (``Lot``: one deposit's unsold, unwithdrawn grams, which is
what is left of its ledger hold). A sale takes ``q`` grams out of them, and the terms
say in which order (``DrawOrder``):

``pro_rata`` (the default)
    Every contributor gives the same share of what they have in the pool. The grams are
    split across *contributors* (not deposits) by the largest-remainder method
    (``kernel.split``), each weighted by their remaining grams, contributors taken in
    ascending account id: so each gives within one gram of ``q × w / W``, the parts sum to
    ``q`` exactly, and a leftover gram goes to the largest remainder, ties to the lower
    account id. Within one contributor the grams come out of their oldest deposit first.

``fifo``
    The oldest deposit (lowest deposit id) gives first, until ``q`` is reached.

Both are deterministic: the answer depends only on the lots and ``q``, never on the
order the caller read them in (the result is given back in the caller's order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.split import Split, largest_remainder


class DrawOrder(StrEnum):
    """How a sale draws units from the pool's deposits (a term of the pool)."""

    PRO_RATA = "pro_rata"
    FIFO = "fifo"


@dataclass(frozen=True, slots=True)
class Lot:
    """One deposit's unsold, unwithdrawn units."""

    deposit_id: int  # = its ledger hold id
    account_id: int
    asset_id: int
    remaining_g: int


def draw(
    lots: Sequence[Lot],
    quantity_g: int,
    order: DrawOrder,
    split: Callable[[int, Sequence[int]], Split] = largest_remainder,
) -> list[int]:
    """The grams taken from each lot, in the order of ``lots``; they sum to ``quantity_g``.

    ``split`` is the pro-rata rule: ``kernel.split.largest_remainder`` or its numpy twin
    (the same answer, faster for millions of contributors). Refuses a quantity that is
    not positive, and more than the lots hold (``exceeds_pool``).
    """
    if quantity_g <= 0:
        raise ValidationError("a sale draws a positive quantity", code="non_positive")
    if any(lot.remaining_g < 0 for lot in lots):
        raise ValidationError("a lot cannot hold a negative quantity", code="non_positive")
    if len({lot.deposit_id for lot in lots}) != len(lots):
        raise ValidationError("a deposit is listed twice", code="bad_request")
    free = sum(lot.remaining_g for lot in lots)
    if quantity_g > free:
        raise Conflict(
            f"the pool has {free} g free; cannot sell {quantity_g} g", code="exceeds_pool"
        )
    # Deposit order, whatever order the caller read them in.
    by_age = sorted(range(len(lots)), key=lambda i: lots[i].deposit_id)
    taken = [0] * len(lots)
    if DrawOrder(order) is DrawOrder.FIFO:
        _take_oldest_first(lots, by_age, quantity_g, taken)
        return taken
    for indices, share in _contributor_shares(lots, by_age, quantity_g, split):
        if len(indices) == 1:  # the common case: one deposit, which holds the share
            taken[indices[0]] = share
        else:
            _take_oldest_first(lots, indices, share, taken)
    return taken


def _contributor_shares(
    lots: Sequence[Lot],
    by_age: Sequence[int],
    quantity_g: int,
    split: Callable[[int, Sequence[int]], Split],
) -> list[tuple[list[int], int]]:
    """Each contributor's lots (oldest first) and the grams they give, pro rata."""
    of_account: dict[int, list[int]] = {}
    held: dict[int, int] = {}
    for i in by_age:
        lot = lots[i]
        if not lot.remaining_g:
            continue
        if lot.account_id in of_account:
            of_account[lot.account_id].append(i)
            held[lot.account_id] += lot.remaining_g
        else:
            of_account[lot.account_id] = [i]
            held[lot.account_id] = lot.remaining_g
    accounts = sorted(of_account)  # the tie-break: the lower account id first
    shares = split(quantity_g, [held[a] for a in accounts]).amounts
    return [(of_account[a], s) for a, s in zip(accounts, shares, strict=True)]


def _take_oldest_first(
    lots: Sequence[Lot], indices: Sequence[int], amount: int, taken: list[int]
) -> None:
    """``amount`` grams out of ``lots[indices]`` in that order, written into ``taken``."""
    for i in indices:
        if amount == 0:
            return
        take = min(lots[i].remaining_g, amount)
        taken[i] += take
        amount -= take
    # The callers never ask for more than the lots hold (checked above, and a pro-rata
    # share never exceeds its weight); a shortfall here is a bug, not bad input.
    if amount:
        raise RuntimeError("the draw ran out of lots")
