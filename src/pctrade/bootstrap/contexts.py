"""The contexts this app is made of, in one list: the ledger and what registers with it.

``verify`` runs every registered op type's check, tracker and audit, and the list of
all tables is gathered from here. A new context (the market, pools, compliance) is
one more line. The order is the order in which ``verify`` reports their problems.
An app's ``verify`` also checks the files behaviour ingestion keeps in its data folder
(``with_files``): the energy context's audit of them needs to know where they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pctrade.compliance.context import COMPLIANCE
from pctrade.compliance.surrender_context import SURRENDERS
from pctrade.energy.context import ENERGY, energy_context
from pctrade.identity.context import IDENTITY
from pctrade.inclusive.context import INCLUSIVE
from pctrade.ledger import queries
from pctrade.ledger.context import LEDGER
from pctrade.ledger.extensions import Context, checked
from pctrade.ledger.ports import Store
from pctrade.market.context import MARKET
from pctrade.pools.context import POOLS
from pctrade.sinks.context import SINKS

CONTEXTS: Sequence[Context] = checked(
    (LEDGER, SINKS, ENERGY, INCLUSIVE, IDENTITY, MARKET, POOLS, COMPLIANCE, SURRENDERS)
)


def with_files(data_dir: Path) -> Sequence[Context]:
    """``CONTEXTS``, the energy context auditing the files kept in ``data_dir`` too."""
    return tuple(energy_context(data_dir) if c is ENERGY else c for c in CONTEXTS)


def verify(store: Store, *, data_dir: Path | None = None) -> queries.VerifyReport:
    """``queries.verify`` with every shipped context's checks, and with ``data_dir`` the
    files kept there (an app's ``verify`` gives its own; without it, none are read)."""
    return queries.verify(store, CONTEXTS if data_dir is None else with_files(data_dir))
