"""The market (交易与结算): listing-agreement trading, block trades, one-way bidding.

DESIGN §5 and issue 13. This package grows in layers, like the other contexts:

    engine/    the matching engine: one continuous limit order book per contract, pure
               (in memory, no I/O, no clock; sequence numbers are inputs), commands in
               and events out. The registry holds the open orders and their holds, so
               a book is always rebuilt from them (``OrderBook.rebuild``).

Settlement (one registry entry per fill), holds, eligibility, market data and the
entrypoints are built on the engine's events, in their own modules beside it.
"""

from __future__ import annotations
