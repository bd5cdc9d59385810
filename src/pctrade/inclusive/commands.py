"""The carbon-inclusive context's commands: open, decide on and issue a request.

A fingerprint is hashed into the journal under the caller's idempotency key, and the
class name is part of it (``ledger.commands.Command``), so the class keeps its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pctrade.ledger.commands import Command
from pctrade.ledger.write import Request


@dataclass(frozen=True, slots=True)
class IssueInclusive(Command):
    """Issue a carbon-inclusive batch for a verified request.

    Who gets how much is not part of the command: the registry computes it inside the
    entry's transaction from the energy ledger, and the verified claim's digest pins it.
    """

    issuance_id: int
    denomination: str
    rule_set: str
    methodologies: tuple[str, ...]


# Opening and deciding write no entry: each is logged in the ledger's request log under
# the caller's key (``Journal.execute_recorded``), bound to the request built here. A
# logged fingerprint outlives the code: the names and fields are never renamed.
def open_request(
    jurisdiction: str,
    period_start: str,
    period_end: str,
    methodologies: Sequence[str],
    affiliates: Sequence[str],
) -> Request:
    fields = {
        "jurisdiction": jurisdiction,
        "period_start": period_start,
        "period_end": period_end,
        "methodologies": list(methodologies),
        "affiliates": list(affiliates),
    }
    return Request("inclusive_open", fields)


def decision_request(issuance_id: int, approve: bool, reason: str) -> Request:
    fields = {"issuance_id": issuance_id, "approve": approve, "reason": reason}
    return Request("inclusive_decision", fields)
