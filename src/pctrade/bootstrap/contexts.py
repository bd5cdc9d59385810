"""The contexts this app is made of, in one list: the ledger and what registers with it.

``verify`` runs every registered op type's check, tracker and audit, and the list of
all tables is gathered from here. A new context (the market, pools, compliance) is
one more line. The order is the order in which ``verify`` reports their problems.
"""

from __future__ import annotations

from collections.abc import Sequence

from pctrade.energy.context import ENERGY
from pctrade.identity.context import IDENTITY
from pctrade.inclusive.context import INCLUSIVE
from pctrade.ledger import queries
from pctrade.ledger.context import LEDGER
from pctrade.ledger.extensions import Context, checked
from pctrade.ledger.ports import Store
from pctrade.sinks.context import SINKS

CONTEXTS: Sequence[Context] = checked((LEDGER, SINKS, ENERGY, INCLUSIVE, IDENTITY))


def verify(store: Store) -> queries.VerifyReport:
    """``queries.verify`` with every shipped context's checks."""
    return queries.verify(store, CONTEXTS)
