"""The ledger's own registration: its op types and its tables.

The ledger checks its own op types in ``invariants.Replay`` itself (holds, grants,
batches); registering them here reserves their names, so that no context can claim
``transfer`` for an operation of its own.
"""

from __future__ import annotations

from pctrade.ledger.extensions import Context, OperationType
from pctrade.ledger.operations import OpType
from pctrade.ledger.sql import schema

_OWN = (
    OpType.GENESIS,
    OpType.OPEN_ACCOUNT,
    OpType.AUTHORIZE,
    OpType.TRANSFER,
    OpType.DISTRIBUTE,
    OpType.FREEZE,
    OpType.UNFREEZE,
    OpType.SURRENDER,
    OpType.RETIRE,
    OpType.CANCEL,
    OpType.DEPOSIT,
    OpType.WITHDRAW,
    OpType.CORRECT,
)

LEDGER = Context(
    "ledger",
    operations=(
        *(OperationType(op) for op in _OWN),
        OperationType(OpType.ISSUE, issues_batch=True),
    ),
    metadata=(schema.metadata,),
)
