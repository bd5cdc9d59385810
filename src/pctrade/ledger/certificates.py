"""Retirement certificates (自愿注销证明): what a retirement proves, and what of it is public.

A certificate is derived from its ``retire`` entry, so it reads the same however often
it is read. Its id is ``RC-{seq}-{token}``: the entry's seq, and a random token the
entry records (``operations.plan_retire``; retirements recorded before entries kept a
token got one from migration 0013, in ``certificate_tokens``). Whoever holds the id
may read the certificate — that is what it is for — but nobody can list certificates
by counting: without the token, a seq is not an id.

Two views, one rule each:

- **full** — the retiring account's holder, its agents and the authorities (and the
  retiring party, in the answer to its request): everything the entry says;
- **public** — anyone with the id: the beneficiary's name only if the retiring party
  chose to publish it (``publish_beneficiary``; retirements recorded before the choice
  existed are treated as not published), and never an individual's account number
  (PIPL art. 25: no personal information made public without separate consent).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pctrade.kernel.entropy import TOKEN_LEN, TOKEN_RE
from pctrade.kernel.errors import NotFound
from pctrade.ledger.invariants import Problem
from pctrade.ledger.model import HolderType, Seq

if TYPE_CHECKING:  # a type only: the audit runs on whatever store ``verify`` reads
    from pctrade.ledger.ports import UnitOfWork

CERTIFICATE_ID_LEN_MAX = 3 + 19 + 1 + TOKEN_LEN  # RC-, an int64 seq, -, the token
CERTIFICATE_ID_PATTERN = rf"^RC-[1-9][0-9]{{0,18}}-[a-z2-7]{{{TOKEN_LEN}}}$"
_ID_RE = re.compile(rf"^RC-([1-9][0-9]{{0,18}})-([a-z2-7]{{{TOKEN_LEN}}})$")


def certificate_id(seq: Seq, token: str) -> str:
    return f"RC-{seq}-{token}"


def parse_certificate_id(text: str) -> tuple[Seq, str]:
    """The seq and token an id names; an id of another shape names no certificate."""
    match = _ID_RE.match(text)
    if match is None:
        raise NotFound(
            f"no certificate {text[:CERTIFICATE_ID_LEN_MAX]}", code="unknown_certificate"
        )
    return int(match[1]), match[2]


def token_matches(given: str, recorded: str) -> bool:
    """Compared in constant time: the answer's timing tells nothing of the token."""
    return hmac.compare_digest(given.encode(), recorded.encode())


@dataclass(frozen=True, slots=True)
class Certificate:
    certificate_id: str
    batch: str
    quantity_g: int
    # None in the public view unless the retiring party chose to publish it.
    beneficiary: str | None
    beneficiary_published: bool
    reason: str
    jurisdiction: str
    consumption_period: str
    holder_type: str
    # The retiring account's number; None in the public view for an individual's.
    retired_by: str | None
    retired_at: str
    journal_seq: Seq
    entry_hash: str

    def public(self) -> Certificate:
        """What anyone holding the id may read (see the module)."""
        return replace(
            self,
            beneficiary=self.beneficiary if self.beneficiary_published else None,
            retired_by=None if self.holder_type == HolderType.INDIVIDUAL else self.retired_by,
        )


def audit_certificate_tokens(uow: UnitOfWork) -> Iterator[Problem]:
    """``verify``'s check that every retirement has exactly one well-formed token: in its
    entry's hashed payload, or (recorded before entries kept one) in
    ``certificate_tokens``, where no other row may be."""
    legacy = dict(uow.legacy_certificate_tokens())
    for seq, payload in uow.retirements():
        recorded = payload.get("certificate_token")
        given = legacy.pop(seq, None)
        if recorded is None and given is None:
            yield Problem("certificate_token_missing", f"retirement {seq} has no token", seq)
        elif recorded is not None and given is not None:
            yield Problem("certificate_token_twice", f"retirement {seq} has two tokens", seq)
        token = recorded if recorded is not None else given
        if token is not None and not TOKEN_RE.match(str(token)):
            yield Problem("bad_certificate_token", f"retirement {seq}: token {token!r}", seq)
    for seq in legacy:
        yield Problem(
            "certificate_token_orphan", f"a certificate token names entry {seq}, no retirement", seq
        )
