"""An emitter's compliance status for a period, and what the rule set says it costs.

The codes are the EU and UK registries' (A: surrendered at least the verified
emissions; B: surrendered less; C: the verified emissions were not confirmed in time),
so that a regulator reading pctrade's report reads them as elsewhere. What is owed is
the verified emissions plus any true-up debt (allowances a negative true-up could not
take back), so a debt left unpaid is a shortfall like an emission left uncovered. The
shortfall is in grams; the penalty is the rule set's: a fixed fine range, a fine of a
multiple of the shortfall's market value (``price_fen_per_t`` is the price it is valued at), and a
deduction from the next allocation of a multiple of the shortfall.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pctrade.compliance.surrender import Obligation, Surrendered
from pctrade.kernel.units import G_PER_T
from pctrade.rules.model import Compliance


class Status(StrEnum):
    A = "A"  # compliant
    B = "B"  # surrendered less than the verified emissions
    C = "C"  # emissions not verified


@dataclass(frozen=True, slots=True)
class Penalty:
    fine_min_fen: int | None
    fine_max_fen: int | None
    deduction_g: int  # taken off the next allocation


@dataclass(frozen=True, slots=True)
class StatusReport:
    status: Status
    owed_g: int | None  # verified emissions + debt; None: not verified
    surrendered_g: int
    shortfall_g: int
    penalty: Penalty | None  # None: nothing is owed
    verified_g: int | None = None
    debt_g: int = 0


def status_of(
    obligation: Obligation,
    surrendered: Surrendered,
    compliance: Compliance,
    price_fen_per_t: int | None = None,
) -> StatusReport:
    """The status once the deadline has passed (before it, B means "not yet")."""
    owed = obligation.required_g
    verified, debt = obligation.verified_emissions_g, obligation.debt_g
    if owed is None:
        return StatusReport(Status.C, None, surrendered.total_g, 0, None, None, debt)
    shortfall = max(owed - surrendered.total_g, 0)
    if shortfall == 0:
        return StatusReport(Status.A, owed, surrendered.total_g, 0, None, verified, debt)
    return StatusReport(
        Status.B,
        owed,
        surrendered.total_g,
        shortfall,
        penalty(compliance, shortfall, price_fen_per_t),
        verified,
        debt,
    )


def penalty(compliance: Compliance, shortfall_g: int, price_fen_per_t: int | None) -> Penalty:
    """What the rule set says a shortfall costs: the larger of its fixed fines and its
    market-value fines (the value rounded down to the fen), and the deduction."""
    fines_min = [compliance.penalty_fine_min_fen]
    fines_max = [compliance.penalty_fine_max_fen]
    low, high = (
        compliance.penalty_market_value_multiple_min,
        compliance.penalty_market_value_multiple_max,
    )
    if price_fen_per_t is not None and (low is not None or high is not None):
        value_fen = shortfall_g * price_fen_per_t // G_PER_T
        fines_min.append(None if low is None else low * value_fen)
        fines_max.append(None if high is None else high * value_fen)
    known_min = [f for f in fines_min if f is not None]
    known_max = [f for f in fines_max if f is not None]
    return Penalty(
        max(known_min) if known_min else None,
        max(known_max) if known_max else None,
        shortfall_g * (compliance.penalty_deduction_multiple or 0),
    )
