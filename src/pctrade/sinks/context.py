"""Forest sinks as a context of the ledger: what it registers.

Sinks write no op type of their own (a sponsorship is an ``energy_spend``, an
issuance an ``issue``, a reversal ``cancel``s); what they add is their tables beside
the journal, which ``verify`` audits against the entries' evidence (``sinks.audit``).
An ``issue`` whose evidence is a sink issuance's attribution table is one of the two
paths by which personal credits come into being (``CreditPath``): the registry issues
PCER with no other evidence, and the audit holds that evidence to the rows beside it.
"""

from __future__ import annotations

from pctrade.ledger.extensions import Context, CreditPath
from pctrade.ledger.operations import OpType
from pctrade.sinks.audit import audit_sinks
from pctrade.sinks.evidence import SINK_ISSUANCE
from pctrade.sinks.sql import store

SINKS = Context(
    "sinks",
    credit_paths=(CreditPath(OpType.ISSUE, SINK_ISSUANCE),),
    audits=(audit_sinks,),
    metadata=(store.metadata,),
)
