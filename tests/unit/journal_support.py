"""Hand-built journals for the replay tests: plans hash-chained as the store would.

``history`` is a small honest journal (genesis, two people, a CCER batch, a transfer,
a freeze and a partial unfreeze); ``chain`` stores any plans after it, ``replay`` feeds
them to ``Replay`` and ``codes`` names what it found.
"""

from __future__ import annotations

from collections.abc import Sequence

from pctrade.ledger.invariants import Replay, StoredEntry
from pctrade.ledger.journal import GENESIS_HASH, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import Account, Batch, Denomination, HolderType, Party, Role
from pctrade.ledger.operations import (
    FreezeReason,
    Plan,
    plan_freeze,
    plan_genesis,
    plan_issue,
    plan_open_accounts,
    plan_transfer,
    plan_unfreeze,
)
from pctrade.ledger.postings import BalanceKey

CREDIT = 1
ALICE = Account(1000, HolderType.INDIVIDUAL, "alice")
BOB = Account(1001, HolderType.INDIVIDUAL, "bob")
TS = "2026-01-01T00:00:00.000000Z"


def chain(plans: Sequence[Plan], keys: Sequence[str] | None = None) -> list[StoredEntry]:
    """Hash-chain plans into stored entries exactly as the store would."""
    out: list[StoredEntry] = []
    prev = GENESIS_HASH
    for i, plan in enumerate(plans, start=1):
        key = keys[i - 1] if keys else f"k{i}"
        header = EntryHeader(i, plan.op_type, "registry", key, "r", TS, plan.payload)
        h = entry_hash(
            prev, header, plan.postings.digest(), opened_digest(plan.parties, plan.accounts)
        )
        out.append(StoredEntry(header, prev, h, plan.postings, plan.parties, plan.accounts))
        prev = h
    return out


def history() -> list[Plan]:
    batch = Batch(CREDIT, Denomination.parse("CCER-CN-AFF0007-2026Q3-001"), 100, 0)
    parties = [Party("alice", Role.INDIVIDUAL, "A"), Party("bob", Role.INDIVIDUAL, "B")]
    return [
        plan_genesis(),
        plan_open_accounts(parties, 1000),
        plan_issue(batch, [(1000, 100)]),
        plan_transfer(ALICE, BOB, CREDIT, 30),
        plan_freeze(BOB, CREDIT, 10, FreezeReason.ORDER, "o1"),
        plan_unfreeze(5, 1001, CREDIT, 10, 4),
    ]


def replay(
    entries: Sequence[StoredEntry],
    balances: dict[BalanceKey, int] | None = None,
    holds: dict[int, int] | None = None,
    issued: dict[int, int] | None = None,
) -> Replay:
    r = Replay()
    for e in entries:
        r.feed(e)
    r.finish(
        (balances if balances is not None else dict(r.balances)).items(),
        (holds if holds is not None else dict(r.holds)).items(),
        (issued if issued is not None else dict(r.issued)).items(),
    )
    return r


def codes(r: Replay) -> list[tuple[str, int | None]]:
    return [(p.code, p.seq) for p in r.problems]
