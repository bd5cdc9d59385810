"""The carbon-inclusive context's journal entry: one issuance, through ``Journal.execute``.

The planner runs inside the entry's transaction, after the journal head is taken: it
reads who gets how much (``recipients``, the verified claim recomputed) and returns
the pure plan (``inclusive.model.plan_inclusive_issue``). The attribution table is the
caller's evidence, written beside the entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pctrade.inclusive import commands as c
from pctrade.inclusive.model import InclusiveIssue, plan_inclusive_issue
from pctrade.kernel.errors import Conflict, NotFound
from pctrade.ledger import access
from pctrade.ledger.model import AccountId, Batch, Denomination, Party
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Registry
from pctrade.ledger.write import Evidence, Receipt

# Who receives how much, computed from state inside the entry's transaction.
Recipients = Callable[[UnitOfWork], tuple[Sequence[AccountId], Sequence[int]]]


def issue_inclusive(
    registry: Registry,
    actor: str,
    key: str,
    cmd: c.IssueInclusive,
    recipients: Recipients,
    *,
    evidence: Evidence | None = None,
) -> Receipt:
    """One carbon-inclusive batch: each recipient's energy spent, the same grams issued.

    ``recipients`` runs after the journal head is taken, so the energy it reads
    cannot be spent by anyone else before this entry commits; the guarded debits
    of the store refuse the entry if any balance is short anyway.
    """
    denomination = Denomination.parse(cmd.denomination)

    def planner(uow: UnitOfWork, who: Party) -> Plan:
        access.require_role(who, AUTHORITIES, "issue carbon-inclusive credits")
        asset_id = uow.head.next_asset_id
        if uow.batch_named(cmd.denomination) is not None:
            raise Conflict(f"batch {cmd.denomination} exists", code="batch_exists")
        ids, amounts = recipients(uow)
        if uow.account_count(ids) != len(ids):
            raise NotFound("some recipients have no account", code="unknown_account")
        batch = Batch(asset_id, denomination, sum(amounts), 0)
        why = InclusiveIssue(cmd.issuance_id, cmd.rule_set, cmd.methodologies)
        return plan_inclusive_issue(batch, ids, amounts, why)

    return registry.journal.execute(actor, key, cmd, planner, evidence)
