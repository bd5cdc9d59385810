"""Surrender (清缴) as a context of the ledger: its op type, trackers, audit and tables.

``compliance_surrender`` is replayed with its check; two trackers read the whole
history: ``SurrenderTracker`` (each gram counts once towards an obligation) and the
cap-integrity report (``compliance.integrity``), whose identities ``verify`` checks.
The caps, allocation and MRV of issue 15 register their own op types beside these.
"""

from __future__ import annotations

from pctrade.compliance.integrity import Integrity
from pctrade.compliance.sql import surrenders
from pctrade.compliance.surrender_audit import audit_surrenders
from pctrade.compliance.surrendering import (
    SURRENDER,
    SurrenderTracker,
    check_compliance_surrender,
)
from pctrade.ledger.extensions import Context, OperationType

SURRENDERS = Context(
    "compliance_surrender",
    operations=(OperationType(SURRENDER, check=check_compliance_surrender),),
    trackers=(SurrenderTracker, Integrity),
    audits=(audit_surrenders,),
    metadata=(surrenders.metadata,),
)
