"""The carbon-inclusive context's command: issue a verified request.

A fingerprint is hashed into the journal under the caller's idempotency key, and the
class name is part of it (``ledger.commands.Command``), so the class keeps its name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.ledger.commands import Command


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
