"""The price a market-value fine is computed at: given, or the registry's own market's.

A rule set that fines a shortfall a multiple of its market value says in ``[compliance]``
which prices value it (``penalty_price_window_months`` ending on the deadline: the
national regulations' month before the deadline, Shenzhen's six months). The price is
then the volume-weighted average of the jurisdiction's allowance trades in that window,
read from the market through a port (``AllowanceTradesOf``): compliance never reads the
market's tables, and the composition root (``pctrade.bootstrap``) hands it the market's
query (``market.queries.allowance_trades``).

A price the caller gives (the regulator's own reference price, e.g. the exchange's
published average) overrides the market's and is reported as ``given``. Without either
the price is unknown, and so is the market-value fine: the report says why
(``no_trades`` in the window, or ``no_window`` named by the rule).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from pctrade.compliance.status import PenaltyPrice, PriceBasis, market_price
from pctrade.ledger.ports import UnitOfWork
from pctrade.rules.model import Compliance


class TradeTotals(Protocol):
    """What the market answers for a window: its trades' count, grams and cash."""

    @property
    def trades(self) -> int: ...

    @property
    def quantity_g(self) -> int: ...

    @property
    def cash_fen(self) -> int: ...


# A jurisdiction's allowance trades on the trading days first..last, both included.
AllowanceTradesOf = Callable[[UnitOfWork, str, date, date], TradeTotals]


def penalty_price(
    uow: UnitOfWork,
    trades_of: AllowanceTradesOf,
    jurisdiction: str,
    period: str,
    compliance: Compliance,
    given_fen_per_t: int | None,
) -> PenaltyPrice | None:
    """The price that values a shortfall of ``period`` under ``compliance``: the one given,
    else the market's average in the rule's window; None when the rule names no window
    (``compliance.status.penalty`` then reports the fine as unknown, ``no_window``).

    Before the window has closed the average is of the trades so far, as the status is
    provisional until the deadline has passed."""
    if given_fen_per_t is not None:
        return PenaltyPrice(given_fen_per_t, PriceBasis.GIVEN)
    window = compliance.penalty_price_window(period)
    if window is None:
        return None
    first, last = window
    totals = trades_of(uow, jurisdiction, first, last)
    return market_price(first, last, totals.trades, totals.quantity_g, totals.cash_fen)
