"""An emitter's compliance status for a period, and what the rule set says it costs.

The codes are the EU and UK registries' (A: surrendered at least the verified
emissions; B: surrendered less; C: the verified emissions were not confirmed in time),
so that a regulator reading pctrade's report reads them as elsewhere. What is owed is
the verified emissions plus any true-up debt (allowances a negative true-up could not
take back), so a debt left unpaid is a shortfall like an emission left uncovered. The
shortfall is in grams; the penalty is the rule set's: a fixed fine range, a fine of a
multiple of the shortfall's market value (``PenaltyPrice`` is the price it is valued at
and where that price came from), and a deduction from the next allocation of a multiple
of the shortfall.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pctrade.compliance.surrender import Obligation, Surrendered
from pctrade.kernel.units import G_PER_T
from pctrade.rules.model import Compliance


class Status(StrEnum):
    A = "A"  # compliant
    B = "B"  # surrendered less than the verified emissions
    C = "C"  # emissions not verified


class PriceBasis(StrEnum):
    """Where the price that values a shortfall came from."""

    GIVEN = "given"  # the caller's (the regulator's own reference price): an override
    MARKET = "market"  # the average of the registry's allowance trades in the rule's window
    NO_TRADES = "no_trades"  # the rule's window holds no trade: the fine is unknown
    NO_WINDOW = "no_window"  # the rule names no window and none was given: unknown


@dataclass(frozen=True, slots=True)
class PenaltyPrice:
    """The price a market-value fine is computed at (None: unknown), and its basis: for
    the market's average, the window (both days included) and the trades counted."""

    price_fen_per_t: int | None
    basis: PriceBasis
    first_day: date | None = None
    last_day: date | None = None
    trades: int = 0
    quantity_g: int = 0
    cash_fen: int = 0


def average_price_fen_per_t(cash_fen: int, quantity_g: int) -> int | None:
    """The volume-weighted average price, Σ cash / Σ grams, in whole fen per tonne rounded
    down; None without any quantity. Rounded down because it values a fine: the
    emitter is never charged on a price above what the trades paid (the fine's value is
    rounded down to the fen as well)."""
    if quantity_g <= 0:
        return None
    return cash_fen * G_PER_T // quantity_g


def market_price(
    first_day: date, last_day: date, trades: int, quantity_g: int, cash_fen: int
) -> PenaltyPrice:
    """The market's price over a window's trades, or ``NO_TRADES`` when there were none."""
    price = average_price_fen_per_t(cash_fen, quantity_g)
    basis = PriceBasis.NO_TRADES if price is None else PriceBasis.MARKET
    return PenaltyPrice(price, basis, first_day, last_day, trades, quantity_g, cash_fen)


@dataclass(frozen=True, slots=True)
class Penalty:
    fine_min_fen: int | None  # None: unknown (a market-value fine without a price) or none
    fine_max_fen: int | None
    deduction_g: int  # taken off the next allocation
    price: PenaltyPrice | None = None  # None: the rule set values nothing at market


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
    price: PenaltyPrice | int | None = None,
) -> StatusReport:
    """The status once the deadline has passed (before it, B means "not yet"). ``price``
    values a market-value fine: a ``PenaltyPrice``, or a bare price taken as given."""
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
        penalty(compliance, shortfall, price),
        verified,
        debt,
    )


def _capped(fine_fen: int, ceiling_fen: int | None) -> int:
    """A market-value fine under the rule's ceiling, if it states one."""
    return fine_fen if ceiling_fen is None else min(fine_fen, ceiling_fen)


def penalty(compliance: Compliance, shortfall_g: int, price: PenaltyPrice | int | None) -> Penalty:
    """What the rule set says a shortfall costs: the larger of its fixed fines and its
    market-value fines (the value rounded down to the fen; under the rule's ceiling on
    them, if any: Hubei's 150,000 yuan), and the deduction. Without
    a price a market-value fine is unknown and only the fixed fines, if any, show."""
    if isinstance(price, int):
        price = PenaltyPrice(price, PriceBasis.GIVEN)
    fines_min = [compliance.penalty_fine_min_fen]
    fines_max = [compliance.penalty_fine_max_fen]
    low, high = (
        compliance.penalty_market_value_multiple_min,
        compliance.penalty_market_value_multiple_max,
    )
    at_market = low is not None or high is not None
    if not at_market:
        price = None  # nothing is valued at market: a price given changes nothing
    elif price is None:
        price = PenaltyPrice(None, PriceBasis.NO_WINDOW)
    if price is not None and price.price_fen_per_t is not None:
        value_fen = shortfall_g * price.price_fen_per_t // G_PER_T
        ceiling = compliance.penalty_market_value_fine_max_fen
        fines_min.append(None if low is None else _capped(low * value_fen, ceiling))
        fines_max.append(None if high is None else _capped(high * value_fen, ceiling))
    known_min = [f for f in fines_min if f is not None]
    known_max = [f for f in fines_max if f is not None]
    return Penalty(
        max(known_min) if known_min else None,
        max(known_max) if known_max else None,
        shortfall_g * (compliance.penalty_deduction_multiple or 0),
        price,
    )
