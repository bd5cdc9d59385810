"""Identity's commands: what a caller asks, and what its idempotency key is bound to.

Creating a login, recording facts and managing API keys move no holdings, so each is
logged in the ledger's request log under the caller's key (``Journal.execute_recorded``);
onboarding opens a party and its account, so it is a journal entry (``open_account``)
whose fingerprint is the whole onboarding request. A fingerprint never covers a
password: it is stored, and a fast hash of a password is a password given away. The
same request under the same key is a replay whatever password it carries. Passwords
are kept out of ``repr`` too, so that no log line shows one.

Fingerprints outlive the code: a request's name and fields are never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pctrade.identity.model import Facts
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import request_hash
from pctrade.ledger.model import PartyId, Role
from pctrade.ledger.write import Request


@dataclass(frozen=True, slots=True)
class CreateLogin:
    username: str
    party_id: PartyId
    password: str = field(repr=False)

    def request(self) -> Request:
        return Request("create_login", {"username": self.username, "party_id": self.party_id})


@dataclass(frozen=True, slots=True)
class Onboard(Command):
    """A platform (or the operator) signs a person or an institution up: their party and
    account, their login and their real-name facts, in one journal entry."""

    party_id: PartyId
    role: Role
    name: str
    username: str
    password: str = field(repr=False)
    facts: Facts = field(default_factory=Facts)
    label: str = ""

    def fingerprint(self) -> str:
        return request_hash(
            {
                "command": "Onboard",
                "party_id": self.party_id,
                "role": str(self.role),
                "name": self.name,
                "label": self.label,
                "username": self.username,
                "facts": self.facts.as_json(),
            }
        )


@dataclass(frozen=True, slots=True)
class RecordFacts:
    party_id: PartyId
    facts: Facts

    def request(self) -> Request:
        return Request("record_facts", {"party_id": self.party_id, **self.facts.as_json()})


@dataclass(frozen=True, slots=True)
class CreateApiKey:
    party_id: PartyId
    label: str = ""

    def request(self) -> Request:
        return Request("create_api_key", {"party_id": self.party_id, "label": self.label})


@dataclass(frozen=True, slots=True)
class RotateApiKey:
    party_id: PartyId
    key_id: int

    def request(self) -> Request:
        return Request("rotate_api_key", {"party_id": self.party_id, "key_id": self.key_id})


@dataclass(frozen=True, slots=True)
class RevokeApiKey:
    party_id: PartyId
    key_id: int

    def request(self) -> Request:
        return Request("revoke_api_key", {"party_id": self.party_id, "key_id": self.key_id})
