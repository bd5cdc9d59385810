"""The compliance context as the ledger sees it: its op types, tracker, audit, tables.

``compliance_cap``, ``compliance_allocate`` (issues a CEA batch), ``compliance_take_back``
and ``emissions_report`` are replayed with their checks (``compliance.model``); the
``CapTracker`` follows every jurisdiction's cap and what its runs drew, and each report's
steps, from the journal alone; the audit (``compliance.audit``) holds the context's
tables to the entries that wrote them.
"""

from __future__ import annotations

from pctrade.compliance.audit import audit_caps, audit_reports, audit_runs
from pctrade.compliance.model import (
    CapTracker,
    ComplianceOp,
    check_allocate,
    check_cap,
    check_emissions,
)
from pctrade.compliance.sql import schema
from pctrade.ledger.extensions import Context, OperationType

COMPLIANCE = Context(
    "compliance",
    operations=(
        OperationType(ComplianceOp.CAP, check=check_cap),
        OperationType(ComplianceOp.ALLOCATE, check=check_allocate, issues_batch=True),
        OperationType(ComplianceOp.TAKE_BACK, check=check_allocate),
        OperationType(ComplianceOp.EMISSIONS, check=check_emissions),
    ),
    trackers=(CapTracker,),
    audits=(audit_caps, audit_runs, audit_reports),
    metadata=(schema.metadata,),
)
