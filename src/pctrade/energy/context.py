"""Green energy and behaviour as a context of the ledger: what it registers.

Its op types credit, spend and expire people's green energy; replay checks each
credit's stored statement lines (``energy.invariants``), and ``verify`` audits the
releases of held behaviour events against the entries that credited them
(``energy.review.audit_releases``). Its tables are still the ledger schema's
(``ledger.sql.schema``: energy_lines, behaviour_events_seen, behaviour_held, ...).
"""

from __future__ import annotations

from pctrade.energy.invariants import EnergyLinesCheck
from pctrade.energy.review import audit_releases
from pctrade.ledger.extensions import Context, OperationType
from pctrade.ledger.operations import OpType

ENERGY = Context(
    "energy",
    operations=(
        OperationType(OpType.ENERGY_CREDIT),
        OperationType(OpType.ENERGY_SPEND),
        OperationType(OpType.ENERGY_EXPIRE),
    ),
    trackers=(EnergyLinesCheck,),
    audits=(audit_releases,),
)
