"""Carbon-inclusive issuance as a context of the ledger: what it registers.

Its one op type, ``inclusive_issue`` (planned by ``inclusive.model``, written by
``inclusive.entries``), issues a batch (replay counts its issued grams)
and must credit each person exactly the energy it spends of theirs
(``inclusive.invariants``). It is one of the two paths by which personal credits
come into being (``CreditPath``). Its tables are the issuances and their attributions.
"""

from __future__ import annotations

from pctrade.inclusive.invariants import check_inclusive_issue
from pctrade.inclusive.model import InclusiveOp
from pctrade.inclusive.sql import store
from pctrade.ledger.extensions import Context, CreditPath, OperationType

INCLUSIVE = Context(
    "inclusive",
    operations=(OperationType(InclusiveOp.ISSUE, check=check_inclusive_issue, issues_batch=True),),
    credit_paths=(CreditPath(InclusiveOp.ISSUE),),
    metadata=(store.metadata,),
)
