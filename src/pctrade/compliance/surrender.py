"""Surrender (清缴): which units count towards an obligation, and how much of each kind.

An emitter surrenders allowances and, up to a cap, offsets for one compliance period of
one jurisdiction. What the rule set in force says decides every case, and each refusal
has its own code (nothing is surrendered when any unit is refused):

- after the period's deadline, unless ``late_surrender_allowed``: ``surrender_after_deadline``;
- before the regulator confirmed the verified emissions: ``emissions_not_verified``;
- more than is still owed (the verified emissions plus any true-up debt):
  ``surrender_exceeds_obligation``;
- allowances of a vintage after the period's last year, or of one before its first
  when the rule set does not bank: ``vintage_not_admitted``; another jurisdiction's
  allowances: ``allowance_not_admitted``;
- an offset of a type ``[offsets] types`` does not list: ``offset_type_not_admitted``;
  of a jurisdiction ``[compliance] accepts`` does not list (linking):
  ``offset_jurisdiction_not_accepted``; of a vintage before ``offset_vintage_min``:
  ``vintage_not_admitted``; of a methodology not admitted: ``methodology_not_admitted``;
- offsets beyond the cap: ``offsets_above_cap``; offsets from outside the jurisdiction
  beyond the share ``offset_local_min_bps`` leaves them: ``offsets_nonlocal_above_cap``.

The cap is ``[offsets] cap_bps`` of its basis: the allowances to surrender (the national
market: the verified emissions, plus the true-up debt an emitter owes), the verified
annual emissions (Guangdong), or the year's allocation (Beijing, Shanghai); rounded
down, so it never admits a gram more.

A true-up debt: when a negative true-up could not take back all it should (the emitter
had sold or used the pre-allocated allowances), the grams it could not take are added to
what the emitter must surrender (``Obligation.required_g``), so that the cap counts every
gram once: the debt stays in circulation and comes back at surrender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.units import BPS
from pctrade.rules.model import CapBasis, Compliance, Offsets, period_years

ALLOWANCE_INSTRUMENTS = frozenset({"CEA"})  # what a jurisdiction allocates


@dataclass(frozen=True, slots=True)
class Unit:
    """Grams of one batch offered for surrender, with what the rules look at."""

    instrument: str
    jurisdiction: str  # the batch's
    vintage: int
    methodology: str | None
    quantity_g: int


@dataclass(frozen=True, slots=True)
class Obligation:
    """One emitter's obligation for one period of one jurisdiction."""

    jurisdiction: str
    period: str
    verified_emissions_g: int | None  # None until the regulator confirms it
    allocation_g: int  # allocated for the period (the basis of allocation-based caps)
    debt_g: int = 0  # what a true-up could not take back: surrendered on top

    @property
    def required_g(self) -> int | None:
        """What the emitter must surrender: its verified emissions and its debt."""
        if self.verified_emissions_g is None:
            return None
        return self.verified_emissions_g + self.debt_g


@dataclass(frozen=True, slots=True)
class Surrendered:
    """What has counted towards an obligation so far: every gram once."""

    allowances_g: int = 0
    offsets_g: int = 0
    nonlocal_offsets_g: int = 0

    @property
    def total_g(self) -> int:
        return self.allowances_g + self.offsets_g


def offset_cap_g(offsets: Offsets, obligation: Obligation) -> int:
    """The most offsets that may count: ``cap_bps`` of the cap's basis, rounded down."""
    if offsets.cap_basis is CapBasis.ANNUAL_ALLOCATION:
        basis = obligation.allocation_g
    elif offsets.cap_basis is CapBasis.REQUIRED_SURRENDER:
        basis = _required(obligation)
    else:
        basis = _verified(obligation)
    return basis * offsets.cap_bps // BPS


def nonlocal_cap_g(offsets: Offsets, compliance: Compliance, obligation: Obligation) -> int:
    """The most offsets from outside the jurisdiction that may count."""
    local_min = compliance.offset_local_min_bps or 0
    return offset_cap_g(offsets, obligation) * (BPS - local_min) // BPS


def _verified(obligation: Obligation) -> int:
    if obligation.verified_emissions_g is None:
        raise Conflict(
            f"{obligation.jurisdiction} {obligation.period}: the verified emissions are not "
            "confirmed yet, so the obligation is not known",
            code="emissions_not_verified",
        )
    return obligation.verified_emissions_g


def _required(obligation: Obligation) -> int:
    return _verified(obligation) + obligation.debt_g


def check_surrender(
    offsets: Offsets,
    compliance: Compliance,
    obligation: Obligation,
    so_far: Surrendered,
    units: Sequence[Unit],
    on: date,
) -> Surrendered:
    """What will have counted once ``units`` are surrendered on ``on``; refused whole,
    with the first rule a unit breaks (see the module)."""
    if not units:
        raise ValidationError("a surrender names what it surrenders", code="bad_request")
    if any(u.quantity_g <= 0 for u in units):
        raise ValidationError("a surrendered quantity is positive", code="non_positive")
    deadline = compliance.deadline(obligation.period)
    if on > deadline and not compliance.late_surrender_allowed:
        raise Conflict(
            f"the surrender for {obligation.jurisdiction} {obligation.period} closed on {deadline}",
            code="surrender_after_deadline",
        )
    owed = _required(obligation)
    first, last = period_years(obligation.period)
    allowances, offset_g, outside_g = (
        so_far.allowances_g,
        so_far.offsets_g,
        so_far.nonlocal_offsets_g,
    )
    for unit in units:
        if unit.instrument in ALLOWANCE_INSTRUMENTS:
            _check_allowance(unit, obligation.jurisdiction, compliance, first, last)
            allowances += unit.quantity_g
            continue
        _check_offset(unit, offsets, compliance)
        offset_g += unit.quantity_g
        if unit.jurisdiction != obligation.jurisdiction:
            outside_g += unit.quantity_g
    after = Surrendered(allowances, offset_g, outside_g)
    if after.total_g > owed:
        raise Conflict(
            f"{after.total_g} g would be surrendered against an obligation of {owed} g",
            code="surrender_exceeds_obligation",
        )
    cap = offset_cap_g(offsets, obligation)
    if offset_g > cap:
        raise Conflict(
            f"offsets of {offset_g} g exceed the cap of {cap} g "
            f"({offsets.cap_bps / 100:g} % of the {offsets.cap_basis})",
            code="offsets_above_cap",
        )
    local_cap = nonlocal_cap_g(offsets, compliance, obligation)
    if outside_g > local_cap:
        raise Conflict(
            f"offsets from outside {obligation.jurisdiction} of {outside_g} g exceed "
            f"{local_cap} g (at least {(compliance.offset_local_min_bps or 0) / 100:g} % "
            "of the cap must be local)",
            code="offsets_nonlocal_above_cap",
        )
    return after


def _check_allowance(
    unit: Unit, jurisdiction: str, compliance: Compliance, first: int, last: int
) -> None:
    if unit.jurisdiction != jurisdiction:
        raise Conflict(
            f"{unit.jurisdiction} allowances do not count in {jurisdiction}",
            code="allowance_not_admitted",
        )
    if unit.vintage > last or (unit.vintage < first and not compliance.banking):
        admitted = f"{first}-{last}" if compliance.banking is False else f"up to {last}"
        raise Conflict(
            f"allowances of {unit.vintage} do not count for the period {first}-{last} "
            f"(admitted: {admitted})",
            code="vintage_not_admitted",
        )


def _check_offset(unit: Unit, offsets: Offsets, compliance: Compliance) -> None:
    if unit.instrument not in offsets.types:
        raise Conflict(
            f"{unit.instrument} is not an offset admitted here ({', '.join(offsets.types)})",
            code="offset_type_not_admitted",
        )
    if unit.jurisdiction not in compliance.accepts:
        raise Conflict(
            f"offsets from {unit.jurisdiction} are not accepted here "
            f"({', '.join(compliance.accepts)})",
            code="offset_jurisdiction_not_accepted",
        )
    if compliance.offset_vintage_min is not None and unit.vintage < compliance.offset_vintage_min:
        raise Conflict(
            f"offsets of {unit.vintage} are older than {compliance.offset_vintage_min}",
            code="vintage_not_admitted",
        )
    admitted = compliance.offset_methodologies
    if admitted and unit.methodology not in admitted:
        raise Conflict(
            f"offsets of methodology {unit.methodology} are not admitted",
            code="methodology_not_admitted",
        )
