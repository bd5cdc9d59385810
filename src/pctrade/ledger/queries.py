"""Read-side use cases: views of accounts, the journal, certificates, and ``verify``.

Reads run in a snapshot (a read transaction) and never block writers: whatever one
query answers (several accounts, a batch's supply, a page) is as of one journal
position. Lists come a page at a time in key order (``kernel.paging``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pctrade.kernel.errors import Conflict, IntegrityError, NotFound, ValidationError
from pctrade.kernel.limits import INT64_MAX, PAGE_SIZE_MAX, POSITIONS_ACCOUNTS_MAX
from pctrade.kernel.paging import Page, fetch_size, page_of
from pctrade.ledger.certificates import (
    Certificate,
    certificate_id,
    parse_certificate_id,
    token_matches,
)
from pctrade.ledger.extensions import Context, audits_of, replay_for
from pctrade.ledger.invariants import Problem
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import (
    HOLDING_STATES,
    Account,
    AccountId,
    AssetId,
    Batch,
    Seq,
    State,
    asset_names,
)
from pctrade.ledger.operations import OpType, hold_changes
from pctrade.ledger.ports import HoldView, Store, UnitOfWork
from pctrade.ledger.postings import BalanceKey
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


def accounts_page(store: Store, party_id: str, after: AccountId, limit: int) -> Page[Account]:
    """A party's accounts, by id (a party holds one; the registry its system accounts)."""
    n = fetch_size(limit, PAGE_SIZE_MAX)
    rows = [a for a in accounts_of(store, party_id) if a.account_id > after][:n]
    return page_of(rows, limit, lambda a: (a.account_id,))


def journal_page(
    store: Store, after: Seq = 0, limit: int = 100, account_id: AccountId | None = None
) -> Page[Entry]:
    """Entries after ``after`` in seq order (those touching ``account_id``, if given)."""
    n = fetch_size(limit, PAGE_SIZE_MAX)
    with store.reader() as uow:
        rows = uow.entries_page(after, n, account_id)
    return page_of(rows, limit, lambda e: (e.seq,))


def batches_page(store: Store, after: AssetId = 0, limit: int = 100) -> Page[Batch]:
    """Batches in the order they were issued (by asset id), after ``after``."""
    n = fetch_size(limit, PAGE_SIZE_MAX)
    with store.reader() as uow:
        rows = uow.batches_page(after, n)
    return page_of(rows, limit, lambda b: (b.asset_id,))


@dataclass(frozen=True, slots=True)
class JournalHead:
    """The last entry of the journal: where a reader is, and the hash that proves it."""

    seq: Seq
    hash: str
    ts: str


def journal_head(store: Store) -> JournalHead:
    with store.reader() as uow:
        return _head_of(uow)


def _head_of(uow: UnitOfWork, seq: Seq | None = None) -> JournalHead:
    """The entry at ``seq`` (default: the head), read in ``uow``'s snapshot."""
    head = uow.head.last_seq
    if seq is None:
        seq = head
    if seq > head:
        raise Conflict(
            f"the journal ends at entry {head}; entry {seq} is not recorded yet",
            code="beyond_head",
        )
    entry = uow.entry(seq) if seq > 0 else None
    if entry is None:
        raise NotFound("the journal is empty", code="unknown_entry")
    return JournalHead(entry.seq, entry.hash, entry.header.ts)


@dataclass(frozen=True, slots=True)
class Position:
    """An account's holdings and open holds as they stood at one journal position."""

    account: Account
    holdings: list[Holding]
    holds: list[JsonDict]


@dataclass(frozen=True, slots=True)
class Positions:
    """Several accounts read at one journal position: after entry ``at.seq``."""

    at: JournalHead
    accounts: list[Position]


def positions(store: Store, account_ids: Sequence[AccountId], as_of: Seq | None) -> Positions:
    """The accounts' balances and holds as they were right after entry ``as_of``.

    One read snapshot answers it all, so the accounts agree with each other and with
    the journal head even while writers append. Without ``as_of`` the position is the
    head of that snapshot; with it, the journal is wound back from the head: the
    postings after ``as_of`` are taken off the current balances, and the hold
    draw-downs after it are given back to their holds (a hold opened after it did not
    exist yet). The cost is the accounts' activity since ``as_of``, read by the
    postings' (account, seq) index. Any position at or below the head can be asked
    again later and answers the same: the journal before it never changes.
    """
    check_positions_size(account_ids)
    ids = sorted(set(account_ids))
    with store.reader() as uow:
        at = _head_of(uow, as_of)
        accounts = [_account(uow, a) for a in ids]
        balances = _balances_at(uow, ids, at.seq)
        holds = _holds_at(uow, ids, at.seq)
        names = _asset_names(uow)
    return Positions(
        at,
        [
            Position(
                account,
                [
                    Holding(names.get(asset, str(asset)), State(state).label, amount)
                    for (a, asset, state), amount in sorted(balances.items())
                    if a == account.account_id and amount != 0
                ],
                [
                    _hold_json(h, names, left)
                    for h, left in holds
                    if h.account_id == account.account_id
                ],
            )
            for account in accounts
        ],
    )


def check_positions_size(account_ids: Sequence[AccountId]) -> None:
    if not 0 < len(account_ids) <= POSITIONS_ACCOUNTS_MAX:
        raise ValidationError(
            f"read 1 to {POSITIONS_ACCOUNTS_MAX} accounts at a time", code="bad_limit"
        )


def _account(uow: UnitOfWork, account_id: AccountId) -> Account:
    found = uow.account(account_id) if 0 < account_id <= INT64_MAX else None
    if found is None:
        raise NotFound(f"no account {account_id}", code="unknown_account")
    return found


def _balances_at(uow: UnitOfWork, ids: Sequence[AccountId], seq: Seq) -> dict[BalanceKey, int]:
    balances: dict[BalanceKey, int] = {
        (a, asset, int(state)): amount for a in ids for asset, state, amount in uow.balances_of(a)
    }
    if seq < uow.head.last_seq:
        for a, asset, state, delta in uow.net_postings_after(ids, seq):
            key = (a, asset, int(state))
            balances[key] = balances.get(key, 0) - delta
    return balances


def _holds_at(uow: UnitOfWork, ids: Sequence[AccountId], seq: Seq) -> list[tuple[HoldView, int]]:
    """The holds open right after entry ``seq``, each with what was left of it then."""
    drawn: dict[Seq, int] = {}
    if seq < uow.head.last_seq:
        # A hold is units set aside in ``frozen``: every change to one posts to its
        # account's frozen balance, so only those entries need reading back.
        for entry in uow.entries_posting_after(ids, seq, State.FROZEN):
            for hold_id, delta in hold_changes(entry.header):
                if hold_id <= seq:  # a hold opened later did not exist yet
                    drawn[hold_id] = drawn.get(hold_id, 0) - delta
    found = []
    for h in uow.holds_opened_by(ids, seq):
        left = h.remaining + drawn.get(h.hold_id, 0)
        if left > 0:
            found.append((h, left))
    return found


def _hold_json(h: HoldView, names: dict[int, str], remaining: int) -> JsonDict:
    return {
        "hold_id": h.hold_id,
        "asset": names.get(h.asset_id, str(h.asset_id)),
        "reason": h.reason,
        "reference": h.reference,
        "amount": h.amount,
        "remaining": remaining,
    }


@dataclass(frozen=True, slots=True)
class Supply:
    """What exists of a batch in each state, read in one snapshot at ``at``.

    The states sum to ``issued_g`` (``reconciles``): every gram issued is available,
    frozen, surrendered, retired or cancelled, and ``verify`` proves it from the journal.
    """

    batch: Batch
    by_state: dict[State, int]
    at: JournalHead

    def amount(self, state: State) -> int:
        return self.by_state.get(state, 0)

    @property
    def reconciles(self) -> bool:
        return sum(self.amount(s) for s in HOLDING_STATES) == self.batch.issued_g


def supply(store: Store, denomination: str) -> Supply:
    with store.reader() as uow:
        batch = uow.batch_named(denomination)
        if batch is None:
            raise NotFound(f"no batch {denomination}", code="unknown_batch")
        return Supply(batch, uow.supply(batch.asset_id), _head_of(uow))


@dataclass(frozen=True, slots=True)
class SupplyTotal:
    """What exists of one instrument in one jurisdiction, over all its batches."""

    instrument: str
    jurisdiction: str
    batches: int
    issued_g: int
    by_state: dict[State, int]

    def amount(self, state: State) -> int:
        return self.by_state.get(state, 0)


@dataclass(frozen=True, slots=True)
class SupplyTotals:
    """Every instrument's totals per jurisdiction, in one snapshot at ``at`` (the public
    transparency page's: aggregates only, no holder)."""

    totals: list[SupplyTotal]
    at: JournalHead


def supply_totals(store: Store) -> SupplyTotals:
    """Issued, available, frozen, surrendered, retired and cancelled grams of every
    credit instrument per jurisdiction: one pass over the balances, whatever the number
    of batches, grouped here by the batches' denominations."""
    with store.reader() as uow:
        batches = uow.batches()
        held = uow.supplies()
        head = _head_of(uow)
    groups: dict[tuple[str, str], tuple[int, int, dict[State, int]]] = {}
    for batch in batches:
        key = (str(batch.denomination.instrument), batch.denomination.jurisdiction)
        count, issued_g, by_state = groups.get(key, (0, 0, {}))
        for state, amount in held.get(batch.asset_id, {}).items():
            by_state[state] = by_state.get(state, 0) + amount
        groups[key] = (count + 1, issued_g + batch.issued_g, by_state)
    totals = [
        SupplyTotal(instrument, jurisdiction, count, issued_g, by_state)
        for (instrument, jurisdiction), (count, issued_g, by_state) in sorted(groups.items())
    ]
    return SupplyTotals(totals, head)


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


def certificate(store: Store, seq: Seq) -> Certificate:
    """The full retirement certificate of the ``retire`` entry ``seq`` (see
    ``ledger.certificates``: for the retiring account's readers)."""
    with store.reader() as uow:
        return _certificate(uow, seq)


def public_certificate(store: Store, certificate_id: str) -> Certificate:
    """The public view of the certificate ``certificate_id`` (``RC-{seq}-{token}``).

    A wrong token answers as an unknown seq does: an id is either whole or nothing.
    """
    seq, given = parse_certificate_id(certificate_id)
    with store.reader() as uow:
        found = _certificate(uow, seq) if seq <= INT64_MAX else None
    recorded = "" if found is None else found.certificate_id.rsplit("-", 1)[1]
    if found is None or not token_matches(given, recorded):
        raise NotFound(f"no certificate {certificate_id}", code="unknown_certificate")
    return found.public()


# An account's retirements a wallet lists, newest first; older ones stay readable by seq.
RETIREMENTS_SHOWN_MAX = 100


def retirements_of(
    store: Store, account_id: AccountId, limit: int = RETIREMENTS_SHOWN_MAX
) -> list[Certificate]:
    """The full certificates of ``account_id``'s retirements, newest first, at most
    ``limit`` (for the account's readers: ``reads.retirements_of`` checks)."""
    limit = max(1, min(limit, RETIREMENTS_SHOWN_MAX))
    with store.reader() as uow:
        # The entries that posted to the account's retired units (its postings' index).
        found = uow.entries_posting_after([account_id], 0, State.RETIRED)
        seqs = [e.seq for e in found if e.header.op_type == OpType.RETIRE]
        return [_certificate(uow, seq) for seq in reversed(seqs[-limit:])]


def _certificate(uow: UnitOfWork, seq: Seq) -> Certificate:
    entry = uow.entry(seq)
    if entry is None or entry.header.op_type != OpType.RETIRE:
        raise NotFound(f"entry {seq} is not a retirement", code="unknown_certificate")
    p = entry.header.payload
    token = p.get("certificate_token") or uow.legacy_certificate_token(seq)
    if token is None:
        raise IntegrityError(f"retirement {seq} has no certificate token (run verify)")
    account = uow.account(int(p["account"]))
    names = _asset_names(uow)
    return Certificate(
        certificate_id=certificate_id(seq, str(token)),
        batch=names.get(int(p["asset_id"]), str(p["asset_id"])),
        quantity_g=int(p["quantity"]),
        beneficiary=str(p["beneficiary"]),
        beneficiary_published=bool(p.get("publish_beneficiary", False)),
        reason=str(p["reason"]),
        jurisdiction=str(p.get("jurisdiction", "")),
        consumption_period=str(p.get("consumption_period", "")),
        holder_type=str(account.holder_type) if account else "",
        retired_by=account.number if account else str(p["account"]),
        retired_at=entry.header.ts,
        journal_seq=seq,
        entry_hash=entry.hash,
    )


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
