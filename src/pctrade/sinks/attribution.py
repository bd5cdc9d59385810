"""Attribution: how a verified removal becomes grams in each sponsor's account, exactly.

An issuance of ``removals_g`` is cut in two. The buffer share, ``buffer_bps`` of the
removals rounded *up*, goes to the non-tradable buffer account against reversal; rounding
up errs toward permanence, never toward people holding credits nobody backs. The rest,
``distributable_g``, is split pro rata to the sponsors' shares by the largest-remainder
method (Hamilton's method), the platform's one exact split (``pctrade.kernel.split``):

    sponsor i gets floor(D × s_i / S) grams and keeps the remainder r_i = D × s_i mod S;
    the L = D − Σ floor(…) grams left over (L < number of sponsors) go one each to the
    L sponsors with the largest r_i, ties to the earlier sponsor in the given order.

So every sponsor gets within one gram of their exact share, and Σ amounts = D exactly:
no gram is created or lost by rounding. The remainders and who received a leftover
gram are part of the result, because the batch's attribution table records them: it
says who got what, and why.

A *reversal* (fire, pests, illegal logging) of ``loss_g`` is covered by cancelling
buffer credits, in the order given; what the buffer cannot cover is a reported
shortfall. People's credits are never touched here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.split import Split, largest_remainder
from pctrade.kernel.units import BPS


def buffer_share_g(removals_g: int, buffer_bps: int) -> int:
    """The buffer's grams, rounded up: permanence gets the benefit of the doubt."""
    if not 0 <= buffer_bps < BPS:
        raise ValidationError("a buffer rate is 0 to 9,999 bps", code="bad_buffer_rate")
    return -(-removals_g * buffer_bps // BPS)


@dataclass(frozen=True, slots=True)
class Attribution:
    """The attribution table of one issuance, before it is stored."""

    removals_g: int
    buffer_bps: int
    buffer_g: int
    total_shares: int
    account_ids: list[int]
    shares: list[int]
    split: Split

    @property
    def distributable_g(self) -> int:
        return self.removals_g - self.buffer_g

    @property
    def amounts_g(self) -> list[int]:
        return self.split.amounts


Splitter = Callable[[int, Sequence[int]], Split]


def attribute(
    removals_g: int,
    buffer_bps: int,
    account_ids: Sequence[int],
    shares: Sequence[int],
    splitter: Splitter = largest_remainder,
) -> Attribution:
    """Cut ``removals_g`` into the buffer share and each sponsor's exact grams.

    ``splitter`` may be a faster implementation with the same results (the numpy twin in
    ``pctrade.ledger.split_columns``); this module itself stays standard library only.
    """
    if removals_g <= 0:
        raise ValidationError("issue a positive quantity", code="non_positive")
    if len(account_ids) != len(shares):
        raise ValidationError("sponsors and shares differ in length", code="bad_request")
    if not account_ids:
        raise Conflict("the project has no sponsors to attribute to", code="no_sponsors")
    if len(set(account_ids)) != len(account_ids):
        raise ValidationError("a sponsor is listed twice", code="duplicate_recipient")
    buffer_g = buffer_share_g(removals_g, buffer_bps)
    split = splitter(removals_g - buffer_g, shares)
    return Attribution(
        removals_g, buffer_bps, buffer_g, sum(shares), list(account_ids), list(shares), split
    )


@dataclass(frozen=True, slots=True)
class ReversalPlan:
    """Which buffer holdings a loss cancels, and what the buffer could not cover."""

    loss_g: int
    cancellations: list[tuple[str, int]]  # (batch denomination, grams), in order
    shortfall_g: int

    @property
    def covered_g(self) -> int:
        return self.loss_g - self.shortfall_g


def plan_reversal(loss_g: int, buffer_holdings: Sequence[tuple[str, int]]) -> ReversalPlan:
    """Cover ``loss_g`` from the buffer holdings in order; report the rest as a shortfall."""
    if loss_g <= 0:
        raise ValidationError("a reported loss is positive", code="non_positive")
    left = loss_g
    cancellations: list[tuple[str, int]] = []
    for batch, available_g in buffer_holdings:
        if left == 0:
            break
        take = min(left, available_g)
        if take > 0:
            cancellations.append((batch, take))
            left -= take
    return ReversalPlan(loss_g, cancellations, left)
