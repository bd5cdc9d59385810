"""Commands: what a caller asks the registry to do, before it is checked or planned.

A command's fingerprint is stored with the journal entry under the caller's
idempotency key, so a replay of the same command returns the original result and a
different command under the same key is refused.

Every quantity names its unit: ``_g`` is grams CO2e (credits, green energy), ``_fen``
is fen (cash). A command whose asset may be either — a transfer, a freeze, a
distribution — counts in the asset's smallest unit, ``_units``: grams for a batch or
green energy, fen for cash (``model.is_cash`` decides which).

Fingerprints are hashed into the journal, so they outlive the field names: a field
renamed after entries were written keeps its old name in the fingerprint through the
class's ``JOURNAL_NAMES`` (new name → frozen journal name). Replaying an old request
then still matches its entry. Never edit the right-hand side of such a mapping.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import ClassVar

from pctrade.kernel.errors import ValidationError
from pctrade.ledger.journal import request_hash
from pctrade.ledger.model import Role
from pctrade.ledger.operations import FreezeReason, Retirement


@dataclass(frozen=True, slots=True)
class Command:
    # Field name → the name its value is fingerprinted under (see the module docstring).
    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {}

    def fingerprint(self) -> str:
        # Field by field rather than ``asdict``, whose deep copy costs more than the hash.
        names = self.JOURNAL_NAMES
        body = {names.get(f.name, f.name): _plain(getattr(self, f.name)) for f in fields(self)}
        return request_hash({"command": type(self).__name__, **body})


def _plain(value: object) -> object:
    """Nested dataclasses (a retirement's details) as dicts; the rest as it is."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value


@dataclass(frozen=True, slots=True)
class OpenAccount(Command):
    party_id: str
    role: Role
    name: str = ""
    label: str = ""


@dataclass(frozen=True, slots=True)
class OpenAccounts(Command):
    """Bulk registration of many parties of one role (e.g. a platform's users)."""

    role: Role
    party_ids: Sequence[str]
    names: Sequence[str] | None = None

    def fingerprint(self) -> str:
        # JSON keeps the lists unambiguous whatever characters the names contain.
        body = [
            str(self.role),
            list(self.party_ids),
            None if self.names is None else list(self.names),
        ]
        return hashlib.sha256(("OpenAccounts" + json.dumps(body)).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Authorize(Command):
    account_id: int
    agent: str
    active: bool = True


def columns_fingerprint(head: str, account_ids: Sequence[int], amounts: Sequence[int]) -> str:
    """A bulk command's fingerprint: its scalar fields, then its columns as raw int64."""
    h = hashlib.sha256(f"{head}\n".encode())
    try:
        h.update(array("q", account_ids).tobytes())
        h.update(array("q", amounts).tobytes())
    except (OverflowError, TypeError) as exc:
        raise ValidationError(
            "recipients and amounts must be 64-bit integers", code="out_of_range"
        ) from exc
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Issue(Command):
    """Issue a new batch to one or many accounts; columns keep a million cheap."""

    denomination: str
    account_ids: Sequence[int]
    amounts_g: Sequence[int]
    methodology: str | None = None  # what the units were credited under, if stated

    def fingerprint(self) -> str:
        # Without a methodology the fingerprint is what it always was (stored keys match).
        stated = "" if self.methodology is None else f"\x1f{self.methodology}"
        return columns_fingerprint(
            f"Issue\x1f{self.denomination}{stated}", self.account_ids, self.amounts_g
        )


@dataclass(frozen=True, slots=True)
class Distribute(Command):
    """One payer to many recipients in one entry (a pool paying out its contributors).

    ``amounts_units`` are in the asset's smallest unit (fen for cash, else grams); the
    fingerprint hashes the columns, not their names, so the rename changed nothing.
    """

    from_account: int
    asset: str
    account_ids: Sequence[int]
    amounts_units: Sequence[int]
    reference: str

    def fingerprint(self) -> str:
        head = f"Distribute\x1f{self.from_account}\x1f{self.asset}\x1f{self.reference}"
        return columns_fingerprint(head, self.account_ids, self.amounts_units)


@dataclass(frozen=True, slots=True)
class Transfer(Command):
    """Move ``quantity_units`` of an asset (fen for cash, else grams) between accounts."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_units": "quantity"}

    from_account: int
    to_account: int
    asset: str
    quantity_units: int


@dataclass(frozen=True, slots=True)
class Freeze(Command):
    """Hold ``quantity_units`` of an asset (fen for cash, else grams) for a reason."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_units": "quantity"}

    account_id: int
    asset: str
    quantity_units: int
    reason: FreezeReason
    reference: str


@dataclass(frozen=True, slots=True)
class Unfreeze(Command):
    """Release a hold, whole or ``quantity_units`` of it (the hold's asset's unit)."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_units": "quantity"}

    hold_id: int
    quantity_units: int | None = None


@dataclass(frozen=True, slots=True)
class Surrender(Command):
    """Surrender credits for a compliance period; only credits, so grams."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_g": "quantity"}

    account_id: int
    asset: str
    quantity_g: int
    period: str


@dataclass(frozen=True, slots=True)
class Retire(Command):
    """Retire credits for good (an offset claim); only credits, so grams."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_g": "quantity"}

    account_id: int
    asset: str
    quantity_g: int
    retirement: Retirement = field(default_factory=lambda: Retirement("", ""))

    def fingerprint(self) -> str:
        # ``publish_beneficiary`` came later (issue 12): left at its default it is not
        # fingerprinted, so a request recorded before it still replays its entry.
        names = self.JOURNAL_NAMES
        body = {names.get(f.name, f.name): _plain(getattr(self, f.name)) for f in fields(self)}
        details = body["retirement"]
        if isinstance(details, dict) and not details["publish_beneficiary"]:
            del details["publish_beneficiary"]
        return request_hash({"command": type(self).__name__, **body})


@dataclass(frozen=True, slots=True)
class Cancel(Command):
    """Cancel credits (an authority's act); only credits, so grams."""

    JOURNAL_NAMES: ClassVar[Mapping[str, str]] = {"quantity_g": "quantity"}

    account_id: int
    asset: str
    quantity_g: int
    reason: str


@dataclass(frozen=True, slots=True)
class Deposit(Command):
    account_id: int
    amount_fen: int
    reference: str


@dataclass(frozen=True, slots=True)
class Withdraw(Command):
    account_id: int
    amount_fen: int
    reference: str


@dataclass(frozen=True, slots=True)
class Correct(Command):
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class SetAccountStatus(Command):
    """Block, suspend, close or reopen an account (``status``: its label), for a reason."""

    account_id: int
    status: str
    reason: str
