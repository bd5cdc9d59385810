"""The journal: an append-only, hash-chained sequence of registry operations.

Ownership changes take legal effect when recorded here (登记要件主义), so an entry is
never edited: a mistake is answered with a compensating ``correct`` entry. Each entry's
hash covers its predecessor's hash, its header (sequence number, type, actor,
idempotency key, request hash, UTC time, payload), the digest of its postings and the
digest of any parties and accounts it opened. Changing any stored byte of an entry, a
posting or an opened account breaks the chain at that entry, which ``verify`` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pctrade.ledger.model import Account, Party, PartyId, Seq

GENESIS_HASH = "0" * 64
JsonDict = dict[str, Any]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_hash(body: Any) -> str:
    """Fingerprint of a request, to tell a replay from a reuse of its idempotency key."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def format_ts(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("journal timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


PartyRow = tuple[str, str, str]
AccountRow = tuple[int, str, str, str]


def party_row(p: Party | PartyRow) -> PartyRow:
    return p if isinstance(p, tuple) else (p.party_id, str(p.role), p.name)


def account_row(a: Account | AccountRow) -> AccountRow:
    return a if isinstance(a, tuple) else (a.account_id, str(a.holder_type), a.owner, a.label)


def opened_digest(
    parties: Iterable[Party | PartyRow], accounts: Iterable[Account | AccountRow]
) -> str:
    """Digest of the parties and accounts an entry opens, in key order.

    Takes the objects or their plain rows, so that ``verify`` can hash a million stored
    rows without building an object for each.
    """
    h = hashlib.sha256()
    rows = "".join(
        f"P\x1f{pid}\x1f{role}\x1f{name}\n" for pid, role, name in sorted(map(party_row, parties))
    )
    rows += "".join(
        f"A\x1f{aid}\x1f{kind}\x1f{owner}\x1f{label}\n"
        for aid, kind, owner, label in sorted(map(account_row, accounts))
    )
    h.update(rows.encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class EntryHeader:
    seq: Seq
    op_type: str
    actor: PartyId
    idem_key: str
    request_hash: str
    ts: str
    payload: JsonDict = field(default_factory=dict)

    def canonical(self) -> str:
        return canonical_json(
            {
                "seq": self.seq,
                "op": self.op_type,
                "actor": self.actor,
                "key": self.idem_key,
                "request": self.request_hash,
                "ts": self.ts,
                "payload": self.payload,
            }
        )


def entry_hash(prev_hash: str, header: EntryHeader, postings_digest: str, opened: str) -> str:
    h = hashlib.sha256()
    for part in (prev_hash, header.canonical(), postings_digest, opened):
        h.update(part.encode())
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """A recorded operation, as read back from the journal."""

    header: EntryHeader
    prev_hash: str
    hash: str
    posting_count: int

    @property
    def seq(self) -> Seq:
        return self.header.seq
