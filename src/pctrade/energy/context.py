"""Green energy and behaviour as a context of the ledger: what it registers.

Its op types credit, spend and expire people's green energy (``energy.model``
plans them, ``energy.entries`` writes them through ``Journal.execute``); replay checks
each credit's stored statement lines (``energy.invariants``), and ``verify`` audits the
releases of held behaviour events against the entries that credited them
(``energy.review.audit_releases``). Its tables are still the ledger schema's
(``ledger.sql.schema``: energy_lines, behaviour_events_seen, behaviour_held, ...).
"""

from __future__ import annotations

from pctrade.energy.invariants import EnergyLinesCheck
from pctrade.energy.model import EnergyOp
from pctrade.energy.review import audit_releases
from pctrade.ledger.extensions import Context, OperationType

ENERGY = Context(
    "energy",
    operations=tuple(OperationType(op) for op in EnergyOp),
    trackers=(EnergyLinesCheck,),
    audits=(audit_releases,),
)
