"""The ports the ledger and the contexts need; ``ledger.sql.store`` implements them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import (
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    Batch,
    Party,
    PartyId,
    Seq,
    Series,
    State,
)
from pctrade.ledger.operations import Plan
from pctrade.ledger.postings import BalanceKey, Postings
from pctrade.ledger.status import Standing


class ConcurrentKeyUse(Exception):
    """Another transaction committed the same actor's idempotency key first; retry."""


class OptimisticMiss(Exception):
    """An optimistic write could not be done as it was planned (the journal head moved
    on, or the entry needs more than one statement); nothing was written: retry it
    carefully."""


class HeadView(Protocol):
    @property
    def last_seq(self) -> Seq: ...
    @property
    def last_hash(self) -> str: ...
    @property
    def next_account_id(self) -> AccountId: ...
    @property
    def next_asset_id(self) -> AssetId: ...


class HoldView(Protocol):
    @property
    def hold_id(self) -> Seq: ...
    @property
    def account_id(self) -> AccountId: ...
    @property
    def asset_id(self) -> AssetId: ...
    @property
    def reason(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def remaining(self) -> int: ...


class UnitOfWork(Protocol):
    # The store re-checks the idempotency key and the balances an entry lowers when it
    # writes a small entry, so a planner may skip reading them (PostgreSQL only).
    lean: bool
    # Set by ``start_operation``: this operation's key and balance reads are skipped.
    checks_deferred: bool
    # In a group: operations (numbered by ``savepoint``) whose entries were refused
    # when ``settle`` read their answers; nothing of theirs was written.
    refused_ops: dict[int, Exception]

    # A context's SQL (energy, sinks, carbon-inclusive, …) shares the ledger's
    # transaction through the members below, so its rows commit or roll back with
    # the entry they belong to. They are typed with ``Any`` so that this port does not
    # depend on SQLAlchemy; only ``sql`` modules call them.
    is_postgres: bool

    def execute(self, statement: Any, params: Any = None) -> Any:
        """Run a SQLAlchemy statement in this unit's transaction; its result."""
        ...

    def dbapi_connection(self) -> Any:
        """The DB-API connection of this transaction, for bulk SQL (COPY, executemany)."""
        ...

    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], n: int
    ) -> None:
        """Append ``n`` rows in bulk (COPY on PostgreSQL for big loads)."""
        ...

    def load_columns(self, table: str, columns: Mapping[str, Any]) -> int:
        """A temporary table ``table`` (k, *columns) of int64 numpy columns, loaded
        set-based for one bulk statement (``ledger.sql.columns``); its row count."""
        ...

    def drop_columns(self, table: str) -> None:
        """Drop the temporary table ``load_columns`` made."""
        ...

    def append_columns(self, table: str, columns: Mapping[str, Any]) -> None:
        """Append rows given as int64 numpy columns (a scalar: the same on every row) to
        ``table`` (``ledger.sql.columns.append_columns``)."""
        ...

    def start_operation(self, *, defer_checks: bool) -> None: ...
    def settle(self) -> None: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def savepoint(self) -> None: ...
    def release_savepoint(self) -> None: ...
    def rollback_to_savepoint(self) -> None: ...
    @property
    def head(self) -> HeadView: ...
    def party(self, party_id: PartyId) -> Party | None: ...
    def existing_parties(self, party_ids: Sequence[PartyId]) -> set[PartyId]: ...
    def account(self, account_id: AccountId) -> Account | None: ...
    def accounts_of(self, party_id: PartyId) -> list[Account]: ...
    def account_count(self, account_ids: Sequence[AccountId]) -> int: ...
    def agents(self, account_id: AccountId) -> set[PartyId]: ...
    def batch_named(self, denomination: str) -> Batch | None: ...
    def batches(self) -> list[Batch]: ...
    def batches_page(self, after: AssetId, n: int) -> list[Batch]:
        """Up to ``n`` batches with asset ids above ``after``, in id order."""
        ...

    def last_serial(self, series: Series) -> int:
        """The highest serial issued in ``series`` (0 if none), read in this transaction."""
        ...

    def supply(self, asset_id: AssetId) -> dict[State, int]:
        """What exists of a batch in each holding state (``model.HOLDING_STATES``)."""
        ...

    def supplies(self) -> dict[AssetId, dict[State, int]]:
        """``supply`` of every asset at once, in one pass (cash and energy included)."""
        ...

    def balance(self, account_id: AccountId, asset_id: AssetId, state: State) -> int: ...
    def balances_of(self, account_id: AccountId) -> list[tuple[AssetId, State, int]]: ...
    # Account status (``ledger.status``): the accounts among ``account_ids`` (None: all)
    # that are not open, and one account's standing (open if it never changed).
    def account_statuses(
        self, account_ids: Sequence[AccountId] | None
    ) -> dict[AccountId, AccountStatus]: ...
    def standing(self, account_id: AccountId) -> Standing: ...
    def hold(self, hold_id: Seq) -> HoldView | None: ...
    def holds_of(self, account_id: AccountId) -> Sequence[HoldView]: ...
    # ---- positions at an earlier journal seq (``queries.positions``) -------------------
    def net_postings_after(
        self, account_ids: Sequence[AccountId], seq: Seq
    ) -> list[tuple[AccountId, AssetId, State, int]]:
        """Per (account, asset, state), the sum of the deltas posted after ``seq``."""
        ...

    def holds_opened_by(self, account_ids: Sequence[AccountId], seq: Seq) -> Sequence[HoldView]:
        """The accounts' holds opened at or before ``seq``, drawn down or not."""
        ...

    def entries_posting_after(
        self, account_ids: Sequence[AccountId], seq: Seq, state: State
    ) -> Iterator[Entry]:
        """The entries after ``seq`` that post to one of the accounts in ``state``, in
        order."""
        ...

    # ---- retirement certificates -------------------------------------------------------
    def legacy_certificate_token(self, seq: Seq) -> str | None:
        """The token migration 0013 gave a retirement recorded before entries kept one."""
        ...

    def legacy_certificate_tokens(self) -> Iterator[tuple[Seq, str]]: ...
    def retirements(self) -> Iterator[tuple[Seq, JsonDict]]:
        """Every ``retire`` entry's seq and payload, in order (``verify``'s audit)."""
        ...

    def entry_by_key(self, actor: PartyId, idem_key: str) -> Entry | None: ...
    # The request log (``ledger.write``, ``Journal.execute_recorded``): writes that
    # record no entry, by (actor, key): (fingerprint, result as JSON text, UTC time).
    def request_by_key(self, actor: PartyId, idem_key: str) -> tuple[str, str, str] | None: ...
    def record_request(
        self, actor: PartyId, idem_key: str, req_hash: str, result: str, ts: str
    ) -> None: ...
    def entry(self, seq: Seq) -> Entry | None: ...
    def corrected(self, seq: Seq) -> bool: ...
    def entries_page(
        self, after: Seq, limit: int, account_id: AccountId | None = None
    ) -> list[Entry]: ...
    def postings_of(self, seq: Seq) -> Postings: ...
    def individual_accounts(self, person_ids: Sequence[PartyId]) -> dict[PartyId, AccountId]: ...
    def stream_journal(self) -> Iterator[StoredEntry]: ...
    def stored_balances(self) -> Iterator[tuple[BalanceKey, int]]: ...
    def stored_holds(self) -> Iterator[tuple[Seq, int]]: ...
    def stored_issued(self) -> Iterator[tuple[AssetId, int]]: ...
    def stored_grants(self) -> Iterator[tuple[tuple[AccountId, PartyId], bool]]: ...
    def stored_statuses(self) -> Iterator[tuple[AccountId, int]]: ...
    # ``status_limits``: when checks are deferred, the most restrictive status each
    # account may have for this entry (``ledger.status.limits``); the store refuses the
    # entry if one is beyond it (the careful retry then says which).
    def append(
        self,
        plan: Plan,
        actor: PartyId,
        idem_key: str,
        req_hash: str,
        ts: str,
        *,
        status_limits: Mapping[AccountId, AccountStatus] | None = None,
    ) -> Entry: ...


class Store(Protocol):
    def writer(self, *, lean: bool = False, autocommit: bool = False) -> UnitOfWork: ...
    def reader(self) -> UnitOfWork: ...
