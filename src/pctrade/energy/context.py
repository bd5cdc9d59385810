"""Green energy and behaviour as a context of the ledger: what it registers.

Its op types credit, collect, spend and expire people's green energy (``energy.model``
plans them, ``energy.entries`` writes them through ``Journal.execute``). Replay checks
each collection's postings (``energy.invariants.check_collection``) and follows every
holder's uncollected energy to judge what each collection collected and each expiry
run lapsed (``CollectionTracker``). ``verify`` audits its tables against the journal:
each credit's stored statement lines against the digest its payload records
(``energy.sql.lines.audit_lines``, see ``energy.invariants``), the releases of held
behaviour events against the entries that credited them
(``energy.review.audit_releases``), and the collections' rows and every credit's state
against where collection began (``energy.sql.collections.audit_collections``). Its
tables are its own (``energy.sql.schema``: energy_lines, behaviour_events_seen,
behaviour_held, behaviour_hold_decisions, energy_collections,
energy_collecting_since). An app's
``verify`` also checks the files kept in its data folder against the credits that
recorded them (``energy_context(data_dir)``, ``energy.kept``).
"""

from __future__ import annotations

from pathlib import Path

from pctrade.energy import kept
from pctrade.energy.invariants import CollectionTracker, check_collection
from pctrade.energy.model import EnergyOp
from pctrade.energy.review import audit_releases
from pctrade.energy.sql import schema
from pctrade.energy.sql.collections import audit_collections
from pctrade.energy.sql.lines import audit_lines
from pctrade.ledger.extensions import Context, OperationType


def energy_context(data_dir: Path | None = None) -> Context:
    """The energy context; with ``data_dir``, auditing the files kept there as well."""
    files = () if data_dir is None else (kept.audit(data_dir),)
    return Context(
        "energy",
        operations=tuple(
            OperationType(op, check=check_collection if op == EnergyOp.COLLECT else None)
            for op in EnergyOp
        ),
        trackers=(CollectionTracker,),
        audits=(audit_lines, audit_releases, audit_collections, *files),
        metadata=(schema.metadata,),
    )


ENERGY = energy_context()
