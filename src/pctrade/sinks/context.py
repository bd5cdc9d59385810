"""Forest sinks as a context of the ledger: what it registers.

Sinks write no op type of their own (a sponsorship is an ``energy_spend``, an
issuance an ``issue``, a reversal ``cancel``s); what they add is their tables beside
the journal, which ``verify`` audits against the entries' evidence (``sinks.audit``).
"""

from __future__ import annotations

from pctrade.ledger.extensions import Context
from pctrade.sinks.audit import audit_sinks
from pctrade.sinks.sql import store

SINKS = Context("sinks", audits=(audit_sinks,), metadata=(store.metadata,))
