"""The energy context's commands: credit a day, release a held event, collect, spend, expire.

Commands and their fingerprints follow ``ledger.commands`` (the base ``Command``): a
fingerprint is hashed into the journal under the caller's idempotency key, and the
class name is part of it, so these classes keep their names wherever they live.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.energy.credit_columns import EnergyCreditColumns
from pctrade.energy.model import EnergyCredit
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict, request_hash


@dataclass(frozen=True, slots=True)
class CreditEnergy(Command):
    """Credit one day's green energy; the lines are fingerprinted by their digest, and
    the kept files it was computed from by theirs. The lines as ``EnergyLine``s or as
    columns (``credit_columns``) have the same digest, so the same fingerprint."""

    credit: EnergyCredit | EnergyCreditColumns

    def fingerprint(self) -> str:
        c = self.credit
        request: JsonDict = {
            "command": "CreditEnergy",
            "day": c.day,
            "methodologies": sorted(c.methodologies),
            "as_of_ms": c.as_of_ms,
            "lines_digest": c.digest,
        }
        if c.kept:  # so that a credit without files keeps the fingerprint it always had
            request["kept"] = [f.facts() for f in c.kept]
        return request_hash(request)


@dataclass(frozen=True, slots=True)
class ReleaseHeld(Command):
    """Release one held behaviour event after review: credit it under the caps."""

    partner_id: str
    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SpendEnergy(Command):
    account_id: int
    quantity_g: int
    purpose: str
    reference: str


@dataclass(frozen=True, slots=True)
class ExpireEnergy(Command):
    cutoff: str
    expiry_s: int
    rule_set: str = ""  # the version the expiry period was taken from, if any


@dataclass(frozen=True, slots=True)
class CollectEnergy(Command):
    """Collect an account's valid uncollected energy (the rest lapses).

    The cutoff is the registry's now less the expiry period, so it is not part of the
    request: a retry under the same key is the same request, and answers the entry.
    """

    account_id: int
