"""Platform pools as a context of the ledger: their op types, audit and tables.

Every pools op type is replayed with its check (``pools.model``); the audit
(``pools.audit``) holds the pools' tables to the journal's holds. Helper contexts of
issue 14 (the sale settlement) add their op types to this one ``Context``.
"""

from __future__ import annotations

from pctrade.ledger.extensions import Context, OperationType
from pctrade.pools.audit import audit_deposits, audit_terms
from pctrade.pools.model import (
    PoolOp,
    check_pool_consent,
    check_pool_deposit,
    check_pool_terms,
    check_pool_withdraw,
)
from pctrade.pools.sales import audit_pool_sales
from pctrade.pools.settle import check_pool_settle
from pctrade.pools.sql import sales, schema

POOLS = Context(
    "pools",
    operations=(
        OperationType(PoolOp.POOL_TERMS, check=check_pool_terms),
        OperationType(PoolOp.POOL_DEPOSIT, check=check_pool_deposit),
        OperationType(PoolOp.POOL_WITHDRAW, check=check_pool_withdraw),
        OperationType(PoolOp.POOL_CONSENT, check=check_pool_consent),
        OperationType(PoolOp.POOL_SETTLE, check=check_pool_settle),
    ),
    audits=(audit_terms, audit_deposits, audit_pool_sales),
    metadata=(schema.metadata, sales.metadata),
)
