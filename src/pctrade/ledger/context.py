"""The ledger's own registration: its op types, its audit and its tables.

The ledger checks its own op types in ``invariants.Replay`` itself (holds, grants,
batches); registering them here reserves their names, so that no context can claim
``transfer`` for an operation of its own.
"""

from __future__ import annotations

from pctrade.ledger.certificates import audit_certificate_tokens
from pctrade.ledger.extensions import Context, OperationType
from pctrade.ledger.operations import OpType
from pctrade.ledger.sql import schema

# Every op type of the ledger's own enum; contexts' op types live in their contexts.
LEDGER = Context(
    "ledger",
    operations=tuple(OperationType(op, issues_batch=op == OpType.ISSUE) for op in OpType),
    # Every retirement's certificate token, in its entry or (older ones) beside it.
    audits=(audit_certificate_tokens,),
    metadata=(schema.metadata,),
)
