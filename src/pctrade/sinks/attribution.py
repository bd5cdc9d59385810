"""Attribution: how a verified removal becomes grams in each sponsor's account, exactly.

An issuance of ``removals_g`` is attributed per unit (issue 11): a project has
``project_units`` units, each a defined part of it, and the sponsors hold ``S`` of them.
Their units' share of the removals, rounded down (never more than their units' share), is

    sponsored_g = floor(removals × S / project_units)

The removals of the units nobody sponsored, ``unissued_g = removals − sponsored_g``, are
recorded against the project and not issued to anyone (the conservative default; a rule
set may later let them go to the owner). Only what is issued is insured: the buffer
share, ``buffer_bps`` of the *sponsored* share rounded *up*, goes first to the
non-tradable buffer account against reversal (rounding up errs toward permanence, never
toward people holding credits nobody backs), and the sponsors receive the rest:

    buffer_g   = ceil(sponsored_g × buffer_bps / 10,000)
    sponsors_g = sponsored_g − buffer_g

So buffer_g + sponsors_g + unissued_g = removals_g, to the gram. (Issuances before
issue 11 record no ``project_units``: there the sponsored units were the whole project.)

``sponsors_g`` is split pro rata to the sponsors' shares by the largest-remainder
method (Hamilton's method), the platform's one exact split (``pctrade.kernel.split``):

    with D = sponsors_g, sponsor i gets floor(D × s_i / S) grams and keeps the
    remainder r_i = D × s_i mod S;
    the L = D − Σ floor(…) grams left over (L < number of sponsors) go one each to the
    L sponsors with the largest r_i, ties to the earlier sponsor in the given order.

So every sponsor gets within one gram of their exact share, and Σ amounts = D exactly:
no gram is created or lost by rounding. The remainders and who received a leftover
gram are part of the result, because the batch's attribution table records them: it
says who got what, and why.

A *reversal* (fire, pests, illegal logging) reports ``loss_g``, a loss of the whole
project's stored removals. Only the part of it that credits stand for is insured: the
project's issuances credited ``credited_g`` (buffer + sponsors) of the ``removals_g``
they were verified for, so the loss counts against the credits as

    issued_loss_g = min(credited_g, ceil(loss_g × credited_g / removals_g))

(rounded up, toward permanence, as the buffer share is). That part is covered by
cancelling buffer credits, in the order given, and what the buffer cannot cover is a
reported shortfall; the rest of the loss, ``loss_g − issued_loss_g``, fell on removals
nobody holds credits for, and is recorded only. People's credits are never touched here.
(Reversals before this rule counted the whole loss against the buffer; they record no
``issued_loss_g`` and are audited as they were recorded.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.split import Split, largest_remainder
from pctrade.kernel.units import BPS


def buffer_share_g(removals_g: int, buffer_bps: int) -> int:
    """The buffer's grams, rounded up: permanence gets the benefit of the doubt."""
    if not 0 <= buffer_bps < BPS:
        raise ValidationError("a buffer rate is 0 to 9,999 bps", code="bad_buffer_rate")
    return -(-removals_g * buffer_bps // BPS)


def sponsored_share_g(removals_g: int, sponsored: int, project_units: int) -> int:
    """The sponsored units' share of the removals, rounded down (buffer not yet taken)."""
    if not 0 < sponsored <= project_units:
        raise Conflict(
            f"{sponsored} units sponsored of a project of {project_units}",
            code="units_exceed_project",
        )
    return removals_g * sponsored // project_units


def sponsors_share_g(sponsored_g: int, buffer_g: int) -> int:
    """What the sponsors receive of their units' share once the buffer has its part."""
    return sponsored_g - buffer_g


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
    project_units: int  # the units in the project; total_shares of them are sponsored
    sponsors_g: int  # what the sponsors receive in all, the split's total

    @property
    def distributable_g(self) -> int:
        return self.sponsors_g

    @property
    def unissued_g(self) -> int:
        """The removals of units nobody sponsored: recorded, not issued."""
        return self.removals_g - self.buffer_g - self.sponsors_g

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
    project_units: int | None = None,
) -> Attribution:
    """Cut ``removals_g`` into the buffer share, each sponsor's exact grams and the rest.

    ``project_units`` None means the sponsored units are the whole project (nothing is
    left unissued). ``splitter`` may be a faster implementation with the same results
    (the numpy twin in ``pctrade.ledger.split_columns``); this module itself stays
    standard library only.
    """
    if removals_g <= 0:
        raise ValidationError("issue a positive quantity", code="non_positive")
    if len(account_ids) != len(shares):
        raise ValidationError("sponsors and shares differ in length", code="bad_request")
    if not account_ids:
        raise Conflict("the project has no sponsors to attribute to", code="no_sponsors")
    if len(set(account_ids)) != len(account_ids):
        raise ValidationError("a sponsor is listed twice", code="duplicate_recipient")
    total = sum(shares)
    units = total if project_units is None else project_units
    sponsored_g = sponsored_share_g(removals_g, total, units)
    buffer_g = buffer_share_g(sponsored_g, buffer_bps)
    sponsors_g = sponsors_share_g(sponsored_g, buffer_g)
    split = splitter(sponsors_g, shares)
    return Attribution(
        removals_g,
        buffer_bps,
        buffer_g,
        total,
        list(account_ids),
        list(shares),
        split,
        units,
        sponsors_g,
    )


def issued_loss_share_g(loss_g: int, credited_g: int, removals_g: int) -> int:
    """The part of a project's loss that its credits stand for, rounded up, at most them."""
    if removals_g <= 0:
        return 0
    return min(credited_g, -(-loss_g * credited_g // removals_g))


@dataclass(frozen=True, slots=True)
class CreditedBasis:
    """What a project's issuances credited (buffer + sponsors) of what they verified."""

    credited_g: int
    removals_g: int


def credited_basis(issued: Iterable[Mapping[str, Any]]) -> CreditedBasis:
    """What a project's issuances credited (buffer + sponsors) of the removals verified.

    An issuance made before per-unit attribution records no ``unissued_g``: it credited
    all its removals.
    """
    removals_g = unissued_g = 0
    for row in issued:
        removals_g += int(row["removals_g"])
        unissued_g += int(row["unissued_g"] or 0)
    return CreditedBasis(removals_g - unissued_g, removals_g)


@dataclass(frozen=True, slots=True)
class ReversalPlan:
    """Which buffer holdings a loss cancels, and what the buffer could not cover."""

    loss_g: int  # the whole project's loss, as reported
    issued_loss_g: int  # the part of it that credits stand for: covered + shortfall
    basis: CreditedBasis
    cancellations: list[tuple[str, int]]  # (batch denomination, grams), in order
    shortfall_g: int

    @property
    def covered_g(self) -> int:
        return self.issued_loss_g - self.shortfall_g

    @property
    def uncredited_loss_g(self) -> int:
        """The loss of removals nobody holds credits for: recorded, not insured."""
        return self.loss_g - self.issued_loss_g


def plan_reversal(
    loss_g: int, basis: CreditedBasis, buffer_holdings: Sequence[tuple[str, int]]
) -> ReversalPlan:
    """Cover the credited part of ``loss_g`` from the buffer in order; report the rest."""
    if loss_g <= 0:
        raise ValidationError("a reported loss is positive", code="non_positive")
    issued_loss_g = issued_loss_share_g(loss_g, basis.credited_g, basis.removals_g)
    left = issued_loss_g
    cancellations: list[tuple[str, int]] = []
    for batch, available_g in buffer_holdings:
        if left == 0:
            break
        take = min(left, available_g)
        if take > 0:
            cancellations.append((batch, take))
            left -= take
    return ReversalPlan(loss_g, issued_loss_g, basis, cancellations, left)
