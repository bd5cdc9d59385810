"""Carbon-inclusive issuance (碳普惠) as the ledger records it: its op type and plan.

One ``inclusive_issue`` entry spends people's green energy and issues them the same
grams of a new PCER batch. The plan is pure; the context's service
(``inclusive.entries``) hands it to the ledger's write path, and ``inclusive.context``
registers the op type with the ledger, with the check replay runs on every such entry
(``inclusive.invariants``). Its payload is the ledger's batch payload plus what the
issuance cites, so replay counts the batch's issued grams as for any issue.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.model import ENERGY_ASSET, AccountId, Batch, State, SystemAccount
from pctrade.ledger.operations import (
    BULK_RECIPIENTS_MAX,
    Plan,
    batch_payload,
    issued_total,
)
from pctrade.ledger.postings import Postings


class InclusiveOp(StrEnum):
    """The carbon-inclusive context's op type: the string its entries record."""

    ISSUE = "inclusive_issue"


@dataclass(frozen=True, slots=True)
class InclusiveIssue:
    """What a carbon-inclusive issuance cites: its request, rule set and methodologies."""

    issuance_id: int
    rule_set: str
    methodologies: tuple[str, ...]


def plan_inclusive_issue(
    batch: Batch, account_ids: Sequence[AccountId], amounts_g: Sequence[int], why: InclusiveIssue
) -> Plan:
    """Spend each person's qualifying energy and issue the same grams to them, at once.

    Per person three postings: green energy ``available`` → ``spent`` (the same,
    once-only consumption a sink sponsorship makes), and the batch's grams into their
    ``available`` balance, all out of the issuance account's source. Issuing exactly
    the grams spent is what makes the path exclusive: energy is spent once, so it backs
    one credit or one sponsorship, never both (``verify`` checks it per account).
    """
    n = len(account_ids)
    if n == 0:
        raise ValidationError("an issuance needs at least one recipient", code="missing_field")
    if n != len(amounts_g):
        raise ValidationError("recipients and amounts differ in length", code="bad_request")
    if n > BULK_RECIPIENTS_MAX:
        raise ValidationError("too many recipients in one issuance", code="too_many")
    if len(set(account_ids)) != n:
        raise ValidationError("a recipient is listed twice", code="duplicate_recipient")
    total = issued_total(batch, amounts_g)
    ids = array("q", account_ids)
    grams = array("q", amounts_g)
    accounts = array("q", [SystemAccount.ISSUANCE]) + ids + ids + ids
    assets = array("q", [batch.asset_id]) * (n + 1) + array("q", [ENERGY_ASSET]) * (2 * n)
    states = (
        array("q", [int(State.SOURCE)])
        + array("q", [int(State.AVAILABLE)]) * (2 * n)
        + array("q", [int(State.SPENT)]) * n
    )
    deltas = array("q", [-total]) + grams + array("q", (-g for g in grams)) + grams
    payload = batch_payload(batch, total, n)
    payload["path"] = "carbon_inclusive"
    payload["issuance_id"] = why.issuance_id
    payload["rule_set"] = why.rule_set
    payload["methodologies"] = sorted(why.methodologies)
    payload["energy_spent_g"] = total
    postings = Postings(accounts, assets, states, deltas)
    return Plan(InclusiveOp.ISSUE, payload, postings=postings, batch=batch)
