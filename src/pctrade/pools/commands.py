"""The pools' commands: open a pool, publish terms, deposit, withdraw, consent, notice.

A fingerprint is hashed into the journal under the caller's idempotency key, and the
class name is part of it (``ledger.commands.Command``), so the classes keep their names.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.ledger.commands import Command
from pctrade.ledger.write import Request
from pctrade.pools.model import Terms


@dataclass(frozen=True, slots=True)
class OpenPool(Command):
    """A platform opens a pool in a jurisdiction, under terms version 1; the fee is paid
    to ``platform_account`` (the platform's own)."""

    platform_account: int
    jurisdiction: str
    name: str
    terms: Terms


@dataclass(frozen=True, slots=True)
class PublishTerms(Command):
    """A new version of a pool's terms. It binds new deposits; existing ones keep the
    version they accepted unless their contributor consents (``apply_to_existing``
    asks to move them all, which needs every contributor's consent: refused)."""

    pool_id: str
    terms: Terms
    apply_to_existing: bool = False


@dataclass(frozen=True, slots=True)
class DepositToPool(Command):
    """Deposit ``quantity_g`` of batch ``asset`` from ``account_id`` into a pool, under
    ``terms_version`` (the current one if not given: refused if it changed)."""

    pool_id: str
    account_id: int
    asset: str
    quantity_g: int
    terms_version: int | None = None


@dataclass(frozen=True, slots=True)
class WithdrawFromPool(Command):
    """Withdraw ``quantity_g`` of unsold units from the account's deposits in a pool."""

    pool_id: str
    account_id: int
    quantity_g: int


@dataclass(frozen=True, slots=True)
class ConsentToTerms(Command):
    """The contributor moves their deposits in a pool to terms ``version``."""

    pool_id: str
    account_id: int
    version: int


# A notice of withdrawal writes no entry: it is logged under the caller's key
# (``Journal.execute_recorded``), bound to this request. Its name is never renamed.
def notice_request(pool_id: str, account_id: int) -> Request:
    return Request("pool_notice", {"pool_id": pool_id, "account_id": account_id})
