"""The ledger in memory: the unit-of-work port with no database behind it.

``MemoryStore`` keeps what the SQL store keeps — the journal, postings, balances,
holds, grants, batches, parties and accounts, the journal head — in dictionaries, and
applies a plan the way the SQL store does, with the same refusals: a balance that
would go negative, an idempotency key already used, a hold drawn beyond what is left,
an entry corrected twice. It is the fake of ``ledger.ports``: services' access,
idempotency and refusal rules are unit-tested on it without a database, and
``tests/unit/test_memory_store.py`` holds it to the SQL store hash for hash.

Transactions: one writer at a time (a lock, as SQLite's ``BEGIN IMMEDIATE``). A writer
works on a copy of the committed state and publishes it on ``commit``; a reader keeps
the state that was committed when it began, so it reads a snapshot and never blocks.
Savepoints stack copies. Small tables only: every writer copies the state.

It has no SQL, so a context's ``sql`` module cannot run on it: ``execute`` and the bulk
members refuse with ``NoSqlHere``. Energy statement lines are not kept.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from pctrade.kernel.errors import Conflict, InsufficientBalance, ValidationError
from pctrade.ledger import status
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import (
    GENESIS_HASH,
    Entry,
    EntryHeader,
    JsonDict,
    entry_hash,
    opened_digest,
)
from pctrade.ledger.model import (
    FIRST_HOLDER_ACCOUNT,
    HOLDING_STATES,
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    Batch,
    HolderType,
    Party,
    PartyId,
    Seq,
    Series,
    State,
)
from pctrade.ledger.operations import HOLDS_PACKED, OpType, Plan
from pctrade.ledger.packed import unpack
from pctrade.ledger.ports import ConcurrentKeyUse, Store
from pctrade.ledger.postings import BalanceKey, Postings
from pctrade.ledger.status import Standing


class NoSqlHere(TypeError):
    """A context's SQL was run on the in-memory store, which has none."""


@dataclass(frozen=True, slots=True)
class MemoryHead:
    last_seq: Seq = 0
    last_hash: str = GENESIS_HASH
    next_account_id: AccountId = FIRST_HOLDER_ACCOUNT
    next_asset_id: AssetId = 1


@dataclass(frozen=True, slots=True)
class MemoryHold:
    hold_id: Seq
    account_id: AccountId
    asset_id: AssetId
    reason: str
    reference: str
    amount: int
    remaining: int


@dataclass(slots=True)
class _Tables:
    """Everything the SQL store's tables hold, as the journal has made it."""

    head: MemoryHead = field(default_factory=MemoryHead)
    entries: list[Entry] = field(default_factory=list)
    postings: dict[Seq, Postings] = field(default_factory=dict)
    opened: dict[Seq, tuple[tuple[Party, ...], tuple[Account, ...]]] = field(default_factory=dict)
    keys: dict[tuple[PartyId, str], Seq] = field(default_factory=dict)
    # The request log: writes without an entry, by (actor, key): (hash, result, ts).
    requests: dict[tuple[PartyId, str], tuple[str, str, str]] = field(default_factory=dict)
    corrected: set[Seq] = field(default_factory=set)
    parties: dict[PartyId, Party] = field(default_factory=dict)
    accounts: dict[AccountId, Account] = field(default_factory=dict)
    grants: dict[tuple[AccountId, PartyId], bool] = field(default_factory=dict)
    batches: dict[AssetId, Batch] = field(default_factory=dict)
    batch_ids: dict[str, AssetId] = field(default_factory=dict)
    balances: dict[BalanceKey, int] = field(default_factory=dict)
    holds: dict[Seq, MemoryHold] = field(default_factory=dict)
    standings: dict[AccountId, Standing] = field(default_factory=dict)

    def copy(self) -> _Tables:
        # Entries, postings, parties, accounts and batches are immutable: a shallow copy
        # of each container is a snapshot.
        return _Tables(
            self.head,
            list(self.entries),
            dict(self.postings),
            dict(self.opened),
            dict(self.keys),
            dict(self.requests),
            set(self.corrected),
            dict(self.parties),
            dict(self.accounts),
            dict(self.grants),
            dict(self.batches),
            dict(self.batch_ids),
            dict(self.balances),
            dict(self.holds),
            dict(self.standings),
        )


class MemoryStore:
    """Opens units of work on state kept in memory (see the module)."""

    is_postgres = False

    def __init__(self) -> None:
        self._committed = _Tables()
        self._writer = threading.Lock()

    def writer(self, *, lean: bool = False, autocommit: bool = False) -> MemoryUnitOfWork:
        # Checks are never deferred here: every operation runs the careful way.
        return MemoryUnitOfWork(self, write=True)

    def reader(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self, write=False)

    def _publish(self, tables: _Tables) -> None:
        self._committed = tables


class MemoryUnitOfWork:
    lean = False
    checks_deferred = False
    is_postgres = False

    def __init__(self, store: MemoryStore, *, write: bool) -> None:
        self._store = store
        self._write = write
        self._t = store._committed
        self._savepoints: list[_Tables] = []
        self.refused_ops: dict[int, Exception] = {}

    # ---- transaction ----------------------------------------------------------------
    def __enter__(self) -> MemoryUnitOfWork:
        if self._write:
            self._store._writer.acquire()
            self._t = self._store._committed.copy()
        else:
            self._t = self._store._committed
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._write:
            self._store._writer.release()

    def commit(self) -> None:
        if self._write:
            self._store._publish(self._t)
            self._t = self._t.copy()

    def start_operation(self, *, defer_checks: bool) -> None:
        self.checks_deferred = False

    def settle(self) -> None:
        """Nothing is in flight: every write here is applied when it is made."""

    def savepoint(self) -> None:
        self._savepoints.append(self._t.copy())

    def release_savepoint(self) -> None:
        self._savepoints.pop()

    def rollback_to_savepoint(self) -> None:
        self._t = self._savepoints.pop()

    # ---- the SQL port: none here ----------------------------------------------------
    def execute(self, statement: Any, params: Any = None) -> Any:
        raise NoSqlHere("the in-memory ledger has no SQL; use SqlStore for this context")

    def dbapi_connection(self) -> Any:
        raise NoSqlHere("the in-memory ledger has no database connection")

    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], n: int
    ) -> None:
        raise NoSqlHere(f"the in-memory ledger has no table {table!r}")

    def load_columns(self, table: str, columns: Mapping[str, Any]) -> int:
        raise NoSqlHere(f"the in-memory ledger has no table {table!r}")

    def drop_columns(self, table: str) -> None:
        raise NoSqlHere(f"the in-memory ledger has no table {table!r}")

    def append_columns(self, table: str, columns: Mapping[str, Any]) -> None:
        raise NoSqlHere(f"the in-memory ledger has no table {table!r}")

    # ---- reads ----------------------------------------------------------------------
    @property
    def head(self) -> MemoryHead:
        return self._t.head

    def party(self, party_id: PartyId) -> Party | None:
        return self._t.parties.get(party_id)

    def existing_parties(self, party_ids: Sequence[PartyId]) -> set[PartyId]:
        return {p for p in party_ids if p in self._t.parties}

    def account(self, account_id: AccountId) -> Account | None:
        return self._t.accounts.get(account_id)

    def accounts_of(self, party_id: PartyId) -> list[Account]:
        found = (a for a in self._t.accounts.values() if a.owner == party_id)
        return sorted(found, key=lambda a: a.account_id)

    def account_count(self, account_ids: Sequence[AccountId]) -> int:
        return sum(1 for a in set(account_ids) if a in self._t.accounts)

    def agents(self, account_id: AccountId) -> set[PartyId]:
        return {agent for (a, agent), on in self._t.grants.items() if a == account_id and on}

    def batch_named(self, denomination: str) -> Batch | None:
        asset_id = self._t.batch_ids.get(denomination)
        return None if asset_id is None else self._t.batches[asset_id]

    def batches(self) -> list[Batch]:
        return [self._t.batches[a] for a in sorted(self._t.batches)]

    def batches_page(self, after: AssetId, n: int) -> list[Batch]:
        return [self._t.batches[a] for a in sorted(self._t.batches) if a > after][:n]

    def last_serial(self, series: Series) -> int:
        same = (b for b in self._t.batches.values() if b.denomination.series == series)
        return max((b.denomination.serial for b in same), default=0)

    def supply(self, asset_id: AssetId) -> dict[State, int]:
        found: dict[State, int] = {}
        for (_, asset, state), amount in self._t.balances.items():
            if asset == asset_id and State(state) in HOLDING_STATES:
                found[State(state)] = found.get(State(state), 0) + amount
        return {s: v for s, v in found.items() if v}

    def supplies(self) -> dict[AssetId, dict[State, int]]:
        found: dict[AssetId, dict[State, int]] = {}
        for (_, asset, state), amount in self._t.balances.items():
            if State(state) in HOLDING_STATES and amount:
                sums = found.setdefault(asset, {})
                sums[State(state)] = sums.get(State(state), 0) + amount
        return found

    def balance(self, account_id: AccountId, asset_id: AssetId, state: State) -> int:
        return self._t.balances.get((account_id, asset_id, int(state)), 0)

    def balances_of(self, account_id: AccountId) -> list[tuple[AssetId, State, int]]:
        rows = [
            (asset, State(state), amount)
            for (account, asset, state), amount in self._t.balances.items()
            if account == account_id and amount != 0
        ]
        return sorted(rows, key=lambda r: (r[0], int(r[1])))

    def account_statuses(
        self, account_ids: Sequence[AccountId] | None
    ) -> dict[AccountId, AccountStatus]:
        wanted = self._t.standings.keys() if account_ids is None else account_ids
        found = {a: self._t.standings[a].status for a in wanted if a in self._t.standings}
        return {a: s for a, s in found.items() if s != AccountStatus.OPEN}

    def standing(self, account_id: AccountId) -> Standing:
        return self._t.standings.get(account_id, Standing())

    def hold(self, hold_id: Seq) -> MemoryHold | None:
        return self._t.holds.get(hold_id)

    def holds_of(self, account_id: AccountId) -> list[MemoryHold]:
        found = (h for h in self._t.holds.values() if h.account_id == account_id)
        return sorted((h for h in found if h.remaining > 0), key=lambda h: h.hold_id)

    def net_postings_after(
        self, account_ids: Sequence[AccountId], seq: Seq
    ) -> list[tuple[AccountId, AssetId, State, int]]:
        wanted = set(account_ids)
        net: dict[BalanceKey, int] = {}
        for entry in self._t.entries[max(seq, 0) :]:
            for key, delta in self._t.postings[entry.seq].net_by_key().items():
                if key[0] in wanted:
                    net[key] = net.get(key, 0) + delta
        return [(a, s, State(st), d) for (a, s, st), d in sorted(net.items())]

    def holds_opened_by(self, account_ids: Sequence[AccountId], seq: Seq) -> list[MemoryHold]:
        wanted = set(account_ids)
        found = (h for h in self._t.holds.values() if h.account_id in wanted)
        return sorted((h for h in found if h.hold_id <= seq), key=lambda h: h.hold_id)

    def entries_posting_after(
        self, account_ids: Sequence[AccountId], seq: Seq, state: State
    ) -> Iterator[Entry]:
        wanted = set(account_ids)
        for entry in self._t.entries[max(seq, 0) :]:
            postings = self._t.postings[entry.seq]
            if any(p.account_id in wanted and p.state == state for p in postings):
                yield entry

    def legacy_certificate_token(self, seq: Seq) -> str | None:
        return None  # the in-memory store was never migrated: it has no legacy rows

    def legacy_certificate_tokens(self) -> Iterator[tuple[Seq, str]]:
        yield from ()

    def retirements(self) -> Iterator[tuple[Seq, JsonDict]]:
        for entry in self._t.entries:
            if entry.header.op_type == OpType.RETIRE:
                yield entry.seq, entry.header.payload

    def entry_by_key(self, actor: PartyId, idem_key: str) -> Entry | None:
        seq = self._t.keys.get((actor, idem_key))
        return None if seq is None else self._t.entries[seq - 1]

    def request_by_key(self, actor: PartyId, idem_key: str) -> tuple[str, str, str] | None:
        return self._t.requests.get((actor, idem_key))

    def entry(self, seq: Seq) -> Entry | None:
        return self._t.entries[seq - 1] if 0 < seq <= len(self._t.entries) else None

    def corrected(self, seq: Seq) -> bool:
        return seq in self._t.corrected

    def entries_page(
        self, after: Seq, limit: int, account_id: AccountId | None = None
    ) -> list[Entry]:
        page = []
        for entry in self._t.entries[max(after, 0) :]:
            if account_id is None or account_id in self._t.postings[entry.seq].accounts:
                page.append(entry)
                if len(page) == limit:
                    break
        return page

    def postings_of(self, seq: Seq) -> Postings:
        return self._t.postings[seq] if seq in self._t.postings else Postings.of(())

    def individual_accounts(self, person_ids: Sequence[PartyId]) -> dict[PartyId, AccountId]:
        wanted = set(person_ids)
        found: dict[PartyId, AccountId] = {}
        for account in sorted(self._t.accounts.values(), key=lambda a: a.account_id):
            if account.holder_type != HolderType.INDIVIDUAL or account.owner not in wanted:
                continue
            if self.standing(account.account_id).status != AccountStatus.CLOSED:
                found.setdefault(account.owner, account.account_id)  # closed: never again
        return found

    # ---- journal replay -------------------------------------------------------------
    def stream_journal(self) -> Iterator[StoredEntry]:
        for entry in self._t.entries:
            parties, accounts = self._t.opened.get(entry.seq, ((), ()))
            yield StoredEntry(
                entry.header,
                entry.prev_hash,
                entry.hash,
                self._t.postings[entry.seq],
                parties,
                accounts,
            )

    def stored_balances(self) -> Iterator[tuple[BalanceKey, int]]:
        yield from self._t.balances.items()

    def stored_holds(self) -> Iterator[tuple[Seq, int]]:
        for hold in self._t.holds.values():
            yield hold.hold_id, hold.remaining

    def stored_issued(self) -> Iterator[tuple[AssetId, int]]:
        for batch in self._t.batches.values():
            yield batch.asset_id, batch.issued_g

    def stored_grants(self) -> Iterator[tuple[tuple[AccountId, PartyId], bool]]:
        yield from self._t.grants.items()

    def stored_statuses(self) -> Iterator[tuple[AccountId, int]]:
        for account_id, standing in self._t.standings.items():
            yield account_id, int(standing.status)

    # ---- writes ---------------------------------------------------------------------
    def record_request(
        self, actor: PartyId, idem_key: str, req_hash: str, result: str, ts: str
    ) -> None:
        """Log a write that records no entry; a key already logged is another's."""
        if not self._write:
            raise TypeError("a reader cannot write")
        if (actor, idem_key) in self._t.requests:
            raise ConcurrentKeyUse(idem_key)
        self._t.requests[actor, idem_key] = (req_hash, result, ts)

    def append(
        self,
        plan: Plan,
        actor: PartyId,
        idem_key: str,
        req_hash: str,
        ts: str,
        *,
        status_limits: Mapping[AccountId, AccountStatus] | None = None,
    ) -> Entry:
        """Record ``plan`` as the next entry, all of it or (refusing) nothing."""
        if not self._write:
            raise TypeError("a reader cannot append")
        t = self._t
        if (actor, idem_key) in t.keys:
            raise ConcurrentKeyUse(idem_key)
        if status_limits:
            found = status.refusal(status_limits, self.account_statuses(list(status_limits)))
            if found is not None:
                raise found
        if plan.corrects is not None and plan.corrects in t.corrected:
            raise Conflict(f"entry {plan.corrects} is already corrected", code="already_corrected")
        balances = self._balances_after(plan.postings)
        holds = self._holds_after(plan, t.head.last_seq + 1)
        head = t.head
        seq = head.last_seq + 1
        header = EntryHeader(seq, str(plan.op_type), actor, idem_key, req_hash, ts, plan.payload)
        opened = opened_digest(plan.parties, plan.accounts)
        new_hash = entry_hash(head.last_hash, header, plan.postings.digest(), opened)
        entry = Entry(header, head.last_hash, new_hash, len(plan.postings))
        # Everything is checked: from here on nothing refuses.
        t.entries.append(entry)
        t.postings[seq] = plan.postings
        t.keys[actor, idem_key] = seq
        if plan.corrects is not None:
            t.corrected.add(plan.corrects)
        t.balances.update(balances)
        t.holds.update(holds)
        self._apply_opened(seq, plan)
        t.head = MemoryHead(seq, new_hash, *self._next_ids(plan))
        return entry

    def _balances_after(self, postings: Postings) -> dict[BalanceKey, int]:
        after: dict[BalanceKey, int] = {}
        for key, delta in postings.net_by_key().items():
            value = self._t.balances.get(key, 0) + delta
            if value < 0 and key[2] != State.SOURCE:
                account_id, asset_id, state = key
                raise InsufficientBalance(
                    f"account {account_id} holds less than {-delta} of asset {asset_id} "
                    f"in state {State(state).label}"
                )
            after[key] = value
        return after

    def _holds_after(self, plan: Plan, seq: Seq) -> dict[Seq, MemoryHold]:
        after: dict[Seq, MemoryHold] = {}
        for change in plan.holds:
            if change.hold_id is None:
                after[seq] = MemoryHold(
                    seq,
                    change.account_id,
                    change.asset_id,
                    change.reason,
                    change.reference,
                    change.delta,
                    change.delta,
                )
                continue
            hold = after.get(change.hold_id) or self._t.holds.get(change.hold_id)
            if hold is None or hold.remaining + change.delta < 0:
                raise Conflict(
                    f"hold {change.hold_id} has less left than released", code="exceeds_hold"
                )
            after[change.hold_id] = replace(hold, remaining=hold.remaining + change.delta)
        if HOLDS_PACKED in plan.payload:
            self._packed_holds_after(plan.payload[HOLDS_PACKED], after)
        return after

    def _packed_holds_after(self, packed: JsonDict, after: dict[Seq, MemoryHold]) -> None:
        """The draw-downs an entry records packed (``operations.HOLDS_PACKED``), under
        the same rules as the SQL store's: each a draw, each hold once, none beyond it."""
        drawn = unpack(packed, ("hold_id", "delta"))
        ids = drawn["hold_id"]
        if any(b <= a for a, b in itertools.pairwise(ids)) or any(d >= 0 for d in drawn["delta"]):
            raise ValidationError(
                "packed hold draws are negative, by strictly ascending hold id",
                code="bad_request",
            )
        for hold_id, delta in zip(ids, drawn["delta"], strict=True):
            if hold_id in after:
                raise ValidationError("a hold is changed twice in one entry", code="bad_request")
            hold = self._t.holds.get(hold_id)
            if hold is None or hold.remaining + delta < 0:
                raise Conflict(f"hold {hold_id} has less left than taken", code="exceeds_hold")
            after[hold_id] = replace(hold, remaining=hold.remaining + delta)

    def _apply_opened(self, seq: Seq, plan: Plan) -> None:
        t = self._t
        if plan.parties or plan.accounts:
            t.opened[seq] = (tuple(plan.parties), tuple(plan.accounts))
        t.parties.update((p.party_id, p) for p in plan.parties)
        t.accounts.update((a.account_id, a) for a in plan.accounts)
        if plan.batch is not None:
            batch = replace(plan.batch, issued_seq=seq)
            t.batches[batch.asset_id] = batch
            t.batch_ids[batch.name] = batch.asset_id
        if plan.grant is not None:
            t.grants[plan.grant.account_id, plan.grant.agent] = plan.grant.active
        if plan.status is not None:
            change = plan.status
            t.standings[change.account_id] = Standing(change.status, change.reason, seq)

    def _next_ids(self, plan: Plan) -> tuple[AccountId, AssetId]:
        head = self._t.head
        next_account = head.next_account_id
        if plan.accounts:
            next_account = max(next_account, max(a.account_id for a in plan.accounts) + 1)
        next_asset = head.next_asset_id
        if plan.batch is not None:
            next_asset = max(next_asset, plan.batch.asset_id + 1)
        return next_account, next_asset


def as_store(store: MemoryStore) -> Store:
    """The store as the port it fakes; ``mypy --strict`` checks here that it conforms."""
    return store
