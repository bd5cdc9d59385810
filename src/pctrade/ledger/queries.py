"""Read-side use cases: views of accounts, the journal, certificates, and ``verify``.

Reads run in a snapshot (a read transaction) and never block writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pctrade.kernel.errors import NotFound
from pctrade.kernel.limits import PAGE_SIZE_MAX
from pctrade.ledger.extensions import Context, audits_of, replay_for
from pctrade.ledger.invariants import Problem
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import (
    Account,
    AccountId,
    Seq,
    State,
    asset_names,
)
from pctrade.ledger.operations import OpType
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.status import Standing


@dataclass(frozen=True, slots=True)
class Holding:
    asset: str
    state: str
    amount: int


@dataclass(frozen=True, slots=True)
class AccountView:
    account: Account
    holdings: list[Holding]
    holds: list[JsonDict]
    agents: list[str]
    standing: Standing = field(default_factory=Standing)


def _asset_names(uow: UnitOfWork) -> dict[int, str]:
    return asset_names(uow.batches())


def account_view(store: Store, account_id: AccountId) -> AccountView:
    with store.reader() as uow:
        account = uow.account(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        names = _asset_names(uow)
        holdings = [
            Holding(names.get(a, str(a)), s.label, n) for a, s, n in uow.balances_of(account_id)
        ]
        holds = [
            {
                "hold_id": h.hold_id,
                "asset": names.get(h.asset_id, str(h.asset_id)),
                "reason": h.reason,
                "reference": h.reference,
                "amount": h.amount,
                "remaining": h.remaining,
            }
            for h in uow.holds_of(account_id)
        ]
        agents = sorted(uow.agents(account_id))
        return AccountView(account, holdings, holds, agents, uow.standing(account_id))


def accounts_of(store: Store, party_id: str) -> list[Account]:
    with store.reader() as uow:
        return uow.accounts_of(party_id)


def journal_page(
    store: Store, after: Seq = 0, limit: int = 100, account_id: AccountId | None = None
) -> list[Entry]:
    with store.reader() as uow:
        return uow.entries_page(after, max(1, min(limit, PAGE_SIZE_MAX)), account_id)


def entry_detail(store: Store, seq: Seq, postings_max: int = 1_000) -> tuple[Entry, JsonDict]:
    """An entry with (up to ``postings_max`` of) its postings, assets named."""
    with store.reader() as uow:
        entry = uow.entry(seq)
        if entry is None:
            raise NotFound(f"no entry {seq}", code="unknown_entry")
        names = _asset_names(uow)
        rows = [
            {
                "account_id": p.account_id,
                "asset": names.get(p.asset_id, str(p.asset_id)),
                "state": State(p.state).label,
                "delta": p.delta,
            }
            for _, p in zip(range(postings_max), uow.postings_of(seq), strict=False)
        ]
        return entry, {"postings": rows, "posting_count": entry.posting_count}


def certificate(store: Store, seq: Seq) -> JsonDict:
    """The retirement certificate of a ``retire`` entry, derived from the journal."""
    with store.reader() as uow:
        entry = uow.entry(seq)
        if entry is None or entry.header.op_type != OpType.RETIRE:
            raise NotFound(f"entry {seq} is not a retirement", code="unknown_certificate")
        p = entry.header.payload
        account = uow.account(int(p["account"]))
        names = _asset_names(uow)
    return {
        "certificate_id": f"RC-{seq:012d}",
        "batch": names.get(int(p["asset_id"]), str(p["asset_id"])),
        "quantity_g": int(p["quantity"]),
        "beneficiary": p["beneficiary"],
        "reason": p["reason"],
        "jurisdiction": p.get("jurisdiction", ""),
        "consumption_period": p.get("consumption_period", ""),
        "retired_by": account.number if account else str(p["account"]),
        "retired_at": entry.header.ts,
        "journal_seq": seq,
        "entry_hash": entry.hash,
    }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    entries: int
    postings: int
    balances: int
    head_seq: Seq
    head_hash: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: Store, contexts: Sequence[Context]) -> VerifyReport:
    """Replay the journal alone and compare every derived table with it.

    ``contexts`` are what the app registered (``pctrade.bootstrap.contexts``): their op
    types' checks and trackers run in the replay, their audits of the tables beside the
    journal (sink rows, released behaviour events) in the same snapshot after it.
    """
    replay = replay_for(contexts)
    with store.reader() as uow:
        for stored in uow.stream_journal():
            replay.feed(stored)
        replay.finish(
            uow.stored_balances(),
            uow.stored_holds(),
            uow.stored_issued(),
            uow.stored_grants(),
            uow.stored_statuses(),
        )
        for audit in audits_of(contexts):
            for problem in audit(uow):
                replay.flag(problem.code, problem.message, problem.seq)
        head = uow.head
    if (head.last_seq, head.last_hash) != (replay.last_seq, replay.last_hash):
        replay.flag(
            "head_mismatch", f"head says {head.last_seq}, journal ends at {replay.last_seq}"
        )
    return VerifyReport(
        replay.entries,
        replay.postings,
        len(replay.balances),
        replay.last_seq,
        replay.last_hash,
        list(replay.problems),
    )
