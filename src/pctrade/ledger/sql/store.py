"""The SQL unit of work: reads registry state and appends planned operations.

A writing unit of work first takes the journal head (``BEGIN IMMEDIATE`` on SQLite,
``SELECT … FOR UPDATE`` on PostgreSQL), so everything it reads is current and nothing
else writes until it commits or rolls back. ``append`` then writes, in one transaction:
the entry with its hash, its postings, the parties, accounts, batch, hold or grant it
opens, and the balances it changes.

Balance strategy: the ``balances`` table is kept current inside each operation, from
the operation's own postings. The few balances an entry lowers are updated key by key,
each guarded so it cannot go below zero (an entry that lowers many, such as an energy
expiry for a million people, does the same in one guarded ``UPDATE … FROM``);
everything it raises is applied in one set-based ``INSERT … SELECT`` from the postings
just appended (a plain append for a new batch, an upsert otherwise). A
million-recipient issuance is thus one bulk append of postings plus one set-based
statement — never a Python loop of upserts. Hot-path SQL is
hand-written and run through the driver to skip per-statement compilation.

Round trips are what a small operation costs on PostgreSQL, so its parties, accounts
and batch come from a per-store cache once committed (those rows are never edited). An
entry that opens nothing (a transfer, freeze, retirement, …) is written by one statement
that checks itself (``one_statement``); other small entries send all their writes in
one pipelined round trip, checked after the sync.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import psycopg
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from pctrade.kernel.errors import Conflict, InsufficientBalance
from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import Entry, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import (
    Account,
    AccountId,
    AssetId,
    Batch,
    Denomination,
    HolderType,
    Party,
    PartyId,
    Role,
    Seq,
    State,
)
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import ConcurrentKeyUse, OptimisticMiss
from pctrade.ledger.postings import BalanceKey, Postings
from pctrade.ledger.sql import one_statement
from pctrade.ledger.sql.engine import WRITE_OPTION
from pctrade.ledger.sql.pgcopy import copy_binary, encode_chunks

BULK_THRESHOLD = 2_000
STREAM_CHUNK = 50_000

_HEAD = "SELECT last_seq, last_hash, next_account_id, next_asset_id FROM registry_head WHERE id = 1"
_ENTRY_COLS = (
    "seq, op_type, actor, idem_key, request_hash, ts, payload, posting_count, prev_hash, hash"
)
_INSERT_ENTRY = """
INSERT INTO entries (seq, op_type, actor, idem_key, request_hash, ts, payload, corrects_seq,
                     posting_count, prev_hash, hash)
VALUES (:seq, :op, :actor, :key, :req, :ts, :payload, :corrects, :n, :prev, :hash)
"""
# Debits first, key by key and guarded. They are not folded into the upsert below
# because SQLite checks CHECK constraints on the row it would insert before it sees
# the conflict, so a negative candidate row fails even when the existing row suffices.
_DEBIT = """
UPDATE balances SET amount = amount + :d
WHERE account_id = :a AND asset_id = :s AND state = :st AND amount + :d >= 0
"""
# Many debits in one entry: one guarded, set-based update; the caller compares the
# rowcount with the number of debited keys, so a short balance fails the whole entry.
_DEBIT_GROUPED = """
UPDATE balances SET amount = balances.amount + g.d
FROM (SELECT account_id, asset_id, state, SUM(delta) AS d FROM postings
      WHERE seq = :seq AND state <> 9
      GROUP BY account_id, asset_id, state HAVING SUM(delta) < 0) AS g
WHERE balances.account_id = g.account_id AND balances.asset_id = g.asset_id
  AND balances.state = g.state AND balances.amount + g.d >= 0
"""
DEBITS_KEYWISE_MAX = 64
_ENERGY_LINE_COLS = (
    "day, account_id, person_id, family, methodology, behaviour, base_unit, events_n,"
    " quantity, factor_ug_per_unit, avoided_ug, cap_forfeit_ug, remainder_ug, credited_g,"
    " cap_flag"
)
_CREDIT_GROUPED = """
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, SUM(delta) FROM postings WHERE seq = :seq
GROUP BY account_id, asset_id, state HAVING SUM(delta) > 0 OR state = 9
ORDER BY account_id, asset_id, state
ON CONFLICT (account_id, asset_id, state) DO UPDATE SET amount = balances.amount + excluded.amount
"""
# When every posting of an entry has its own balance key there is nothing to group.
_CREDIT_DISTINCT = """
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, delta FROM postings
WHERE seq = :seq AND (delta > 0 OR state = 9)
ON CONFLICT (account_id, asset_id, state) DO UPDATE SET amount = balances.amount + excluded.amount
"""
# A new batch has no balance rows yet: its issuance is a plain append.
_CREDIT_NEW_ASSET = """
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, delta FROM postings WHERE seq = :seq
"""
_INSERT_BATCH = """
INSERT INTO batches (asset_id, denomination, instrument, jurisdiction, project, vintage, serial,
                     issued_g, issued_seq)
VALUES (:asset_id, :denomination, :instrument, :jurisdiction, :project, :vintage, :serial,
        :issued_g, :seq)
"""
_INSERT_HOLD = """
INSERT INTO holds (hold_id, account_id, asset_id, reason, reference, amount, remaining)
VALUES (:h, :a, :s, :reason, :reference, :amount, :amount)
"""

_POSTING_KEYS = ("seq", "idx", "a", "s", "st", "d")
_INSERT_POSTING = """
INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)
VALUES (:seq, :idx, :a, :s, :st, :d)
"""
# SQLite fan-out: deltas keyed by their 0-based index in the array (a rowid lookup),
# then one INSERT … SELECT over the account array; posting idx = array index + 1.
_FAN_OUT_DELTAS_TABLE = "CREATE TEMP TABLE fan_out_deltas (k INTEGER PRIMARY KEY, v INTEGER)"
_FAN_OUT_DELTAS = "INSERT INTO temp.fan_out_deltas (k, v) SELECT key, value FROM json_each(?)"
_FAN_OUT_POSTINGS = """
INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)
SELECT ?1, a.key + 1, a.value, ?2, ?3, d.v
FROM json_each(?4) AS a JOIN temp.fan_out_deltas AS d ON d.k = a.key
"""

_NAMED_PARAM = re.compile(r"(?<![:\w]):([a-z_]+)")
_PG_SQL: dict[str, str] = {}


def _pg(sql: str) -> str:
    """``:name`` parameters (sqlite3's style) as psycopg's ``%(name)s``."""
    converted = _PG_SQL.get(sql)
    if converted is None:
        converted = _PG_SQL[sql] = _NAMED_PARAM.sub(r"%(\1)s", sql)
    return converted


@dataclass(frozen=True, slots=True)
class Head:
    last_seq: Seq
    last_hash: str
    next_account_id: AccountId
    next_asset_id: AssetId


@dataclass(frozen=True, slots=True)
class HoldRow:
    hold_id: Seq
    account_id: AccountId
    asset_id: AssetId
    reason: str
    reference: str
    amount: int
    remaining: int


def _head(row: Any) -> Head:
    return Head(int(row[0]), str(row[1]), int(row[2]), int(row[3]))


def _hold(row: Any) -> HoldRow:
    return HoldRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6])


def _party(row: Any) -> Party:
    """From (party_id, role, name)."""
    return Party(row[0], Role(row[1]), row[2])


def _account(row: Any) -> Account:
    """From (account_id, holder_type, owner, label)."""
    return Account(row[0], HolderType(row[1]), row[2], row[3])


def _batch(row: Any) -> Batch:
    """From (asset_id, denomination, issued_g, issued_seq)."""
    return Batch(row[0], Denomination.parse(row[1]), row[2], row[3])


def _entry(row: Any) -> Entry:
    """From the columns of ``_ENTRY_COLS``, in order."""
    seq, op_type, actor, key, req, ts, payload, count, prev_hash, hash_ = row
    header = EntryHeader(seq, op_type, actor, key, req, ts, json.loads(payload))
    return Entry(header, prev_hash, hash_, count)


def _columns(rows: Iterable[Sequence[int]]) -> Postings:
    cols: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for a, s, st, d in rows:
        cols[0].append(a)
        cols[1].append(s)
        cols[2].append(st)
        cols[3].append(d)
    return Postings(*(array("q", c) for c in cols))


def _debits(postings: Postings, distinct: bool) -> list[tuple[BalanceKey, int]]:
    """The balances an entry lowers (sources aside), netted per key."""
    if distinct:  # a bulk entry: find its few debits without a Python loop
        deltas = np.frombuffer(postings.deltas, dtype=np.int64)
        states = np.frombuffer(postings.states, dtype=np.int64)
        rows = np.flatnonzero((deltas < 0) & (states != State.SOURCE)).tolist()
        return [
            ((postings.accounts[i], postings.assets[i], postings.states[i]), postings.deltas[i])
            for i in rows
        ]
    return [(k, d) for k, d in postings.net_by_key().items() if d < 0 and k[2] != State.SOURCE]


class ImmutableRows:
    """Parties, accounts and batches never change once committed: a bounded cache.

    Every operation looks up its actor, accounts and batch; on PostgreSQL each look-up
    is a round trip. A unit of work publishes what it read only once that is known to
    be committed (a reader at its end, a writer at its commit), so a row written by a
    transaction that rolled back is never served.
    """

    MAX_ROWS = 200_000

    def __init__(self) -> None:
        self._rows: dict[tuple[str, object], object] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, key: object) -> Any:
        return self._rows.get((kind, key))

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def publish(self, rows: dict[tuple[str, object], object]) -> None:
        if not rows:
            return
        with self._lock:
            if len(self._rows) + len(rows) > self.MAX_ROWS:
                self._rows.clear()  # crude, but bounded; the hot rows come back at once
            self._rows.update(rows)


def _refusal_of(status: str, entry_row: dict[str, Any], plan: Plan) -> Exception:
    """What a one-statement entry's answer other than ``ok`` means to the caller."""
    if status == one_statement.STALE_HEAD:
        return OptimisticMiss("the journal head moved on")
    if status == one_statement.KEY_USED:
        return ConcurrentKeyUse(entry_row["key"])
    if status == one_statement.INSUFFICIENT:
        return InsufficientBalance("the operation would make a holding negative")
    if status == one_statement.EXCEEDS_HOLD:
        drawn = [h.hold_id for h in plan.holds if h.hold_id is not None]
        if len(drawn) == 1:
            return Conflict(f"hold {drawn[0]} has less left than released", code="exceeds_hold")
        held = ", ".join(map(str, drawn))
        return Conflict(f"one of holds {held} has less left than taken", code="exceeds_hold")
    if status == one_statement.ALREADY_CORRECTED:
        corrected = entry_row["corrects"]
        return Conflict(f"entry {corrected} is already corrected", code="already_corrected")
    return RuntimeError(f"unexpected answer {status!r} from the entry statement")


class LastHead:
    """The newest journal head this store has seen committed, for optimistic writers.

    A writer that chains its entry to this head skips reading the head; the statement
    that writes the entry refuses it if the head has moved on (``one_statement``), so a
    stale value costs a retry, never a fork of the chain.
    """

    def __init__(self) -> None:
        self._head: Head | None = None
        self._lock = threading.Lock()

    def get(self) -> Head | None:
        return self._head

    def offer(self, head: Head) -> None:
        with self._lock:
            if self._head is None or head.last_seq > self._head.last_seq:
                self._head = head

    def forget(self) -> None:
        with self._lock:
            self._head = None


def _all_distinct(accounts: array[int]) -> bool:
    """Whether no account repeats; bulk recipients usually come sorted, checked in C."""
    ids = np.frombuffer(accounts, dtype=np.int64)
    rest = ids[1:]
    if len(rest) > 1 and bool(np.all(rest[1:] > rest[:-1])):
        # Sorted after the first posting (a fan-out's source): only the first can repeat.
        at = int(np.searchsorted(rest, ids[0]))
        return not (at < len(rest) and int(rest[at]) == int(ids[0]))
    return len(np.unique(ids)) == len(ids)


def _small(plan: Plan) -> bool:
    """An entry whose writes fit one pipelined round trip (no COPY, no bulk apply)."""
    return len(plan.postings) < BULK_THRESHOLD and len(plan.accounts) < BULK_THRESHOLD


def _debited(
    done: _Result, account_id: AccountId, asset_id: AssetId, state: int, delta: int
) -> Callable[[], None]:
    def check() -> None:
        if done.rowcount != 1:
            raise InsufficientBalance(
                f"account {account_id} holds less than {-delta} of asset {asset_id} "
                f"in state {State(state).label}"
            )

    return check


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A lean entry sent in a group's pipeline, its answer not yet read."""

    op: int
    cursor: Any
    head_before: Head
    entry_row: dict[str, Any]
    plan: Plan


class SqlUnitOfWork:
    """One transaction. Rolls back on exit unless ``commit`` was called.

    Two lighter kinds of writer exist for PostgreSQL, where round trips are the cost:

    - ``lean``: the caller may skip reading what the store checks again when it writes
      a small entry (the idempotency key, the balances it lowers): ``one_statement``
      writes such an entry only if those hold, and says which failed;
    - ``autocommit`` (implies lean): the entry chains to the last head the store saw
      committed instead of reading and locking it, and its one statement is its own
      transaction: one round trip. An entry that needs more than that statement, or a
      head that moved on, raises ``OptimisticMiss``, and the caller retries carefully.

    In a group (``savepoint`` numbers its operations), a lean operation's statement is
    not waited for: it goes into a pipeline and the next operation is planned while the
    server works. ``settle`` reads the answers (before anything that needs the true
    head, and before the group commits) and notes each refused operation in
    ``refused_ops``; the ones after a refusal chained to it, so they are refused as
    stale and retried.

    On SQLite both are ignored: the writer holds the database from its first statement
    and reads cost no round trip.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        cache: ImmutableRows | None = None,
        last_head: LastHead | None = None,
        lean: bool = False,
        autocommit: bool = False,
    ) -> None:
        self._engine = engine
        self._cache = cache or ImmutableRows()
        self._last_head = last_head or LastHead()
        self.is_postgres = engine.dialect.name == "postgresql"
        self._autocommit = write and autocommit and self.is_postgres
        self.lean = write and (lean or autocommit) and self.is_postgres
        # Set per operation (``start_operation``): its key and balance checks are left
        # to the one-statement write (only ever true on a lean unit of work).
        self.checks_deferred = False
        self._savepoint_pending = False
        self._op = -1  # the operation within a group, counted by ``savepoint``
        self._pipeline: Any = None
        self._in_flight: list[_InFlight] = []
        self.refused_ops: dict[int, Exception] = {}
        self._seen: dict[tuple[str, object], object] = {}
        self._seen_at_savepoint: dict[tuple[str, object], object] = {}
        self._checks: list[Callable[[], None]] | None = None
        self._write = write
        self._conn: Connection | None = None
        self._raw: Any = None  # an autocommit writer's pooled driver connection
        self._head: Head | None = None
        self._saved_head: Head | None = None
        self._savepoint_sent = False
        self._cursors = 0
        self._driver: Any = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._autocommit:
            # Straight from the pool: an autocommit writer only sends its own SQL, and
            # SQLAlchemy's connection (and its isolation switch) costs more than that.
            self._raw = self._engine.raw_connection()
            self._driver = self._raw.driver_connection
            self._driver.autocommit = True
            return self
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(**{WRITE_OPTION: True})
        elif self.is_postgres:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._conn = conn
        conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._write or self._autocommit:
            self._cache.publish(self._seen)  # it only ever saw committed rows
        if self._raw is not None:
            self._driver.autocommit = False
            self._raw.close()
            self._raw = self._driver = None
            return
        if self._pipeline is not None:  # left in flight by an error: leave pipeline mode
            pipeline, self._pipeline = self._pipeline, None
            with contextlib.suppress(Exception):  # the rollback below undoes it all
                pipeline.__exit__(None, None, None)
        conn = self._open()
        if conn.in_transaction():
            conn.rollback()
        conn.close()
        self._conn = None
        self._driver = None

    def _open(self) -> Connection:
        if self._conn is None:
            if self._raw is not None:  # asked for more than one statement can do
                raise OptimisticMiss("the operation needs a transaction of its own")
            raise RuntimeError("unit of work is not open")
        return self._conn

    @property
    def conn(self) -> Connection:
        """The connection, for adapters that write beside the registry in its transaction."""
        self.settle()
        self._send_savepoint()
        return self._open()

    def start_operation(self, *, defer_checks: bool) -> None:
        """An operation begins; ``defer_checks``: it may be lean (see the class)."""
        self.checks_deferred = self.lean and defer_checks
        if not self.checks_deferred:
            self.settle()  # a careful operation plans on the true head

    def settle(self) -> None:
        """Read the answers of the lean entries in flight; note the refused ones.

        The first refused entry wrote nothing, and every later one chained to it, so
        they wrote nothing either (their statements found the head not as they
        expected): the head goes back to before the first.
        """
        if self._pipeline is None:
            return
        pipeline, self._pipeline = self._pipeline, None
        in_flight, self._in_flight = self._in_flight, []
        pipeline.__exit__(None, None, None)  # raises if a statement broke the transaction
        first_refused: Head | None = None
        for f in in_flight:
            status = f.cursor.fetchone()[0]
            if status == one_statement.OK:
                continue
            if first_refused is None:
                first_refused = f.head_before
            self.refused_ops[f.op] = _refusal_of(status, f.entry_row, f.plan)
        if first_refused is not None:
            self._head = self._saved_head = first_refused

    def commit(self) -> None:
        self.settle()
        if self._raw is None:  # an autocommit writer's statement committed itself
            self._open().commit()
        self._cache.publish(self._seen)
        self._seen = {}
        if self._head is not None:
            self._last_head.offer(self._head)

    # Savepoints let a group of operations share one transaction (group commit) while
    # each stays atomic. The cached head is part of what a rollback must undo; on
    # PostgreSQL a head lock taken after the savepoint is released by it too.
    # On PostgreSQL the SAVEPOINT is only sent before the operation's first write, and
    # not at all for a lean operation: its one-statement entry never half-applies and
    # nothing is written beside it, so it costs one round trip instead of three. A read
    # that fails before then breaks the whole group's transaction, and the group runs
    # its operations again one by one (``group_commit``).
    def savepoint(self) -> None:
        self._op += 1
        if self.is_postgres:
            self._savepoint_pending = True
            self._savepoint_sent = False
        else:
            self._q("SAVEPOINT registry_op")
            self._savepoint_sent = True
        self._saved_head = self._head
        self._seen_at_savepoint = dict(self._seen)

    def _send_savepoint(self) -> None:
        if self._savepoint_pending:
            self._savepoint_pending = False
            self._q("SAVEPOINT registry_op")
            self._savepoint_sent = True

    def release_savepoint(self) -> None:
        self._savepoint_pending = False
        if self._savepoint_sent:
            self._q("RELEASE SAVEPOINT registry_op")
            self._savepoint_sent = False

    def rollback_to_savepoint(self) -> None:
        self.settle()
        self._savepoint_pending = False
        if self._savepoint_sent:
            self._q("ROLLBACK TO SAVEPOINT registry_op")
            self._q("RELEASE SAVEPOINT registry_op")
            self._savepoint_sent = False
        elif self.is_postgres and self._failed():
            # Only a one-statement entry ran unguarded by a savepoint; it failed in a
            # way it should not, and took the whole transaction with it.
            raise RuntimeError("the transaction failed outside any savepoint")
        self._head = self._saved_head
        self._seen = self._seen_at_savepoint

    def _failed(self) -> bool:
        status = self._driver_connection().info.transaction_status
        return bool(status == psycopg.pq.TransactionStatus.INERROR)

    def _driver_connection(self) -> Any:
        if self._driver is None:  # looked up once: SQLAlchemy's proxies cost per call
            self._driver = self._open().connection.driver_connection
        return self._driver

    def _q(self, sql: str, params: dict[str, Any] | None = None) -> _Result:
        """Run hand-written SQL on the driver's cursor, inside this unit's transaction.

        The hot path skips SQLAlchemy's statement and result machinery, which cost more
        than the SQL itself for a two-posting transfer. It sends no pending savepoint:
        writes other than a one-statement entry go through ``append`` or ``conn``, which do.
        """
        cursor = self._driver_connection().cursor()
        cursor.execute(_pg(sql) if self.is_postgres else sql, params or {})
        return _Result(cursor)

    def execute(self, statement: sa.Executable, params: Any = None) -> sa.CursorResult[Any]:
        """For a context's SQL (and authentication), in this unit's transaction."""
        return self.conn.execute(statement, params)

    def dbapi_connection(self) -> Any:
        """The driver's connection of this transaction, for a context's bulk SQL."""
        return self.conn.connection.driver_connection

    def bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], n: int
    ) -> None:
        """A context's bulk append, in this unit's transaction."""
        self._bulk_insert(table, columns, rows, n)

    # ---- reads -------------------------------------------------------------------
    @property
    def head(self) -> Head:
        """The journal head; a writer takes it here, and holds it until it ends.

        On SQLite the writer already holds the database (BEGIN IMMEDIATE). On PostgreSQL
        the row lock is taken on first use, so a transfer reads and plans without it and
        holds it only while it appends: what it read may be stale by then, which the
        guarded debits and the unique keys catch. An autocommit writer takes the last
        head the store saw committed, and reads it only when it has none; its write
        checks it (``one_statement``).
        """
        if self._head is None and self._autocommit:
            self._head = self._last_head.get() or _head(self._q(_HEAD).one())
        if self._head is None:
            lock = " FOR UPDATE" if self._write and self.is_postgres else ""
            head = _head(self._q(_HEAD + lock).one())
            if not self._write:
                return head
            self._head = head
        return self._head

    def _remembered(self, kind: str, key: object, load: Callable[[], Any]) -> Any:
        """A party, account or batch: from the cache, else loaded and noted for it."""
        found = self._cache.get(kind, key)
        if found is None:
            found = load()
            if found is not None:
                self._seen[kind, key] = found
        return found

    def party(self, party_id: PartyId) -> Party | None:
        def load() -> Party | None:
            row = self._q(
                "SELECT party_id, role, name FROM parties WHERE party_id = :p", {"p": party_id}
            ).one_or_none()
            return None if row is None else _party(row)

        found: Party | None = self._remembered("party", party_id, load)
        return found

    def existing_parties(self, party_ids: Sequence[PartyId]) -> set[PartyId]:
        sql = f"SELECT party_id FROM parties WHERE party_id IN ({self._id_list('ids', 'text')})"
        return {r[0] for r in self._q(sql, {"ids": self._list_param(party_ids)})}

    def _id_list(self, name: str, pg_type: str) -> str:
        """A whole list as one parameter: a JSON array on SQLite, an array on PostgreSQL.

        One statement for a million ids, instead of chunks of bound parameters that
        SQLAlchemy would have to compile one by one.
        """
        if self.is_postgres:
            return f"SELECT unnest(CAST(:{name} AS {pg_type}[]))"
        return f"SELECT value FROM json_each(:{name})"

    def _list_param(self, values: Sequence[int] | Sequence[str]) -> str:
        if not self.is_postgres:
            return json.dumps(list(values))
        if values and isinstance(values[0], str):
            quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
            return "{" + ",".join(quoted) + "}"
        return "{" + ",".join(map(str, values)) + "}"

    def account(self, account_id: AccountId) -> Account | None:
        def load() -> Account | None:
            row = self._q(
                "SELECT account_id, holder_type, owner, label FROM accounts WHERE account_id = :a",
                {"a": account_id},
            ).one_or_none()
            return None if row is None else _account(row)

        found: Account | None = self._remembered("account", account_id, load)
        return found

    def accounts_of(self, party_id: PartyId) -> list[Account]:
        rows = self._q(
            "SELECT account_id, holder_type, owner, label FROM accounts WHERE owner = :p"
            " ORDER BY account_id",
            {"p": party_id},
        )
        return [_account(r) for r in rows]

    def account_count(self, account_ids: Sequence[AccountId]) -> int:
        """How many of these (distinct) ids are open accounts; set-based for bulk."""
        if not account_ids:
            return 0
        lo, hi = min(account_ids), max(account_ids)
        if hi - lo + 1 == len(account_ids):  # a contiguous range: one range count
            sql = "SELECT COUNT(*) FROM accounts WHERE account_id BETWEEN :lo AND :hi"
            return int(self._q(sql, {"lo": lo, "hi": hi}).scalar_one())
        sql = (
            f"SELECT COUNT(*) FROM accounts WHERE account_id IN ({self._id_list('ids', 'bigint')})"
        )
        return int(self._q(sql, {"ids": self._list_param(account_ids)}).scalar_one())

    def agents(self, account_id: AccountId) -> set[PartyId]:
        sql = "SELECT agent FROM grants WHERE account_id = :a AND active"
        return {r[0] for r in self._q(sql, {"a": account_id})}

    def batch_named(self, denomination: str) -> Batch | None:
        def load() -> Batch | None:
            row = self._q(
                "SELECT asset_id, denomination, issued_g, issued_seq FROM batches"
                " WHERE denomination = :d",
                {"d": denomination},
            ).one_or_none()
            return None if row is None else _batch(row)

        found: Batch | None = self._remembered("batch", denomination, load)
        return found

    def batches(self) -> list[Batch]:
        sql = "SELECT asset_id, denomination, issued_g, issued_seq FROM batches ORDER BY asset_id"
        return [_batch(r) for r in self._q(sql)]

    def balance(self, account_id: AccountId, asset_id: AssetId, state: State) -> int:
        value = self._q(
            "SELECT amount FROM balances WHERE account_id = :a AND asset_id = :s AND state = :st",
            {"a": account_id, "s": asset_id, "st": int(state)},
        ).scalar_one_or_none()
        return int(value or 0)

    def balances_of(self, account_id: AccountId) -> list[tuple[AssetId, State, int]]:
        rows = self._q(
            "SELECT asset_id, state, amount FROM balances WHERE account_id = :a AND amount <> 0"
            " ORDER BY asset_id, state",
            {"a": account_id},
        )
        return [(r[0], State(r[1]), r[2]) for r in rows]

    def hold(self, hold_id: Seq) -> HoldRow | None:
        row = self._q(
            "SELECT hold_id, account_id, asset_id, reason, reference, amount, remaining"
            " FROM holds WHERE hold_id = :h",
            {"h": hold_id},
        ).one_or_none()
        return None if row is None else _hold(row)

    def holds_of(self, account_id: AccountId) -> list[HoldRow]:
        rows = self._q(
            "SELECT hold_id, account_id, asset_id, reason, reference, amount, remaining"
            " FROM holds WHERE account_id = :a AND remaining > 0 ORDER BY hold_id",
            {"a": account_id},
        )
        return [_hold(r) for r in rows]

    def entry_by_key(self, actor: PartyId, idem_key: str) -> Entry | None:
        row = self._q(
            f"SELECT {_ENTRY_COLS} FROM entries WHERE actor = :a AND idem_key = :k",
            {"a": actor, "k": idem_key},
        ).one_or_none()
        return None if row is None else _entry(row)

    def entry(self, seq: Seq) -> Entry | None:
        sql = f"SELECT {_ENTRY_COLS} FROM entries WHERE seq = :s"
        row = self._q(sql, {"s": seq}).one_or_none()
        return None if row is None else _entry(row)

    def corrected(self, seq: Seq) -> bool:
        sql = "SELECT 1 FROM entries WHERE corrects_seq = :s"
        return self._q(sql, {"s": seq}).first() is not None

    def entries_page(
        self, after: Seq, limit: int, account_id: AccountId | None = None
    ) -> list[Entry]:
        params: dict[str, Any] = {"after": after, "limit": limit}
        where = "seq > :after"
        if account_id is not None:
            where += " AND seq IN (SELECT seq FROM postings WHERE account_id = :a AND seq > :after)"
            params["a"] = account_id
        sql = f"SELECT {_ENTRY_COLS} FROM entries WHERE {where} ORDER BY seq LIMIT :limit"
        return [_entry(r) for r in self._q(sql, params)]

    def postings_of(self, seq: Seq) -> Postings:
        sql = "SELECT account_id, asset_id, state, delta FROM postings WHERE seq = :s ORDER BY idx"
        return _columns(self._q(sql, {"s": seq}))

    # ---- accounts by owner ---------------------------------------------------------
    def individual_accounts(self, person_ids: Sequence[PartyId]) -> dict[PartyId, AccountId]:
        """Each listed person's individual account (the first, if there were several)."""
        sql = (
            "SELECT owner, MIN(account_id) FROM accounts WHERE holder_type = 'individual'"
            f" AND owner IN ({self._id_list('ids', 'text')}) GROUP BY owner"
        )
        rows = self._q(sql, {"ids": self._list_param(person_ids)})
        return {r[0]: int(r[1]) for r in rows}

    # ---- journal replay ------------------------------------------------------------
    def stream_journal(self) -> Iterator[StoredEntry]:
        """Every entry in order with its postings and opened rows, streamed."""
        postings = _Cursor(
            self._stream(
                "SELECT seq, account_id, asset_id, state, delta FROM postings ORDER BY seq, idx"
            )
        )
        parties = _Cursor(
            self._stream("SELECT opened_seq, party_id, role, name FROM parties ORDER BY opened_seq")
        )
        accounts = _Cursor(
            self._stream(
                "SELECT opened_seq, account_id, holder_type, owner, label FROM accounts"
                " ORDER BY opened_seq, account_id"
            )
        )
        lines = _Cursor(
            self._stream(f"SELECT seq, {_ENERGY_LINE_COLS} FROM energy_lines ORDER BY seq, idx")
        )
        for row in self._stream(f"SELECT {_ENTRY_COLS} FROM entries ORDER BY seq"):
            entry = _entry(row)
            seq = entry.seq
            yield StoredEntry(
                entry.header,
                entry.prev_hash,
                entry.hash,
                _columns(r[1:] for r in postings.take(seq)),
                tuple(r[1:] for r in parties.take(seq)),
                tuple(r[1:] for r in accounts.take(seq)),
                tuple(tuple(r[1:]) for r in lines.take(seq)),
            )

    def _stream(self, sql: str) -> Iterator[Any]:
        """Rows in chunks on the driver's cursor (server-side on PostgreSQL)."""
        driver: Any = self.conn.connection.driver_connection
        if self.is_postgres:
            self._cursors += 1
            cursor = driver.cursor(name=f"pctrade_stream_{self._cursors}")
            cursor.itersize = STREAM_CHUNK
        else:
            cursor = driver.cursor()
        cursor.execute(sql)
        while rows := cursor.fetchmany(STREAM_CHUNK):
            yield from rows
        cursor.close()

    def stored_balances(self) -> Iterator[tuple[BalanceKey, int]]:
        for r in self._stream("SELECT account_id, asset_id, state, amount FROM balances"):
            yield (r[0], r[1], r[2]), r[3]

    def stored_holds(self) -> Iterator[tuple[Seq, int]]:
        for r in self._stream("SELECT hold_id, remaining FROM holds"):
            yield r[0], r[1]

    def stored_issued(self) -> Iterator[tuple[AssetId, int]]:
        for r in self._stream("SELECT asset_id, issued_g FROM batches"):
            yield r[0], r[1]

    def stored_grants(self) -> Iterator[tuple[tuple[AccountId, PartyId], bool]]:
        for r in self._stream("SELECT account_id, agent, active FROM grants"):
            yield (r[0], r[1]), bool(r[2])

    # ---- writes --------------------------------------------------------------------
    def append(self, plan: Plan, actor: PartyId, idem_key: str, req_hash: str, ts: str) -> Entry:
        if not self.checks_deferred:
            self.settle()
        head = self.head
        seq = head.last_seq + 1
        header = EntryHeader(seq, plan.op_type, actor, idem_key, req_hash, ts, plan.payload)
        opened = opened_digest(plan.parties, plan.accounts)
        new_hash = entry_hash(head.last_hash, header, plan.postings.digest(), opened)
        entry_row = {
            "seq": seq,
            "op": str(plan.op_type),
            "actor": actor,
            "key": idem_key,
            "req": req_hash,
            "ts": ts,
            "payload": json.dumps(plan.payload, ensure_ascii=False),
            "corrects": plan.corrects,
            "n": len(plan.postings),
            "prev": head.last_hash,
            "hash": new_hash,
        }
        one = self.is_postgres and one_statement.fits(plan)
        if not (one and self.checks_deferred):
            # A lean operation writes nothing beside its entry, and a one-statement
            # entry never half-applies; anything else must be able to roll back.
            self._send_savepoint()
        if one:
            self._write_one_statement(plan, entry_row, head)
        elif self._autocommit:
            raise OptimisticMiss("the entry needs a transaction of its own")
        elif self.is_postgres and _small(plan):
            self._write_pipelined(seq, new_hash, plan, entry_row)
        else:
            self._write_all(seq, new_hash, plan, entry_row)
        return Entry(header, head.last_hash, new_hash, len(plan.postings))

    def _write_one_statement(self, plan: Plan, entry_row: dict[str, Any], head: Head) -> None:
        """Write the entry with ``one_statement``, or raise what its answer means.

        A lean operation in a group does not wait for the answer (see ``settle``).
        """
        sql, params = one_statement.prepare(plan, entry_row, head.last_seq)
        after = Head(entry_row["seq"], entry_row["hash"], head.next_account_id, head.next_asset_id)
        if self.checks_deferred and self._op >= 0 and not self._autocommit:
            if self._pipeline is None:
                self._pipeline = self._driver_connection().pipeline()
                self._pipeline.__enter__()
            cursor = self._driver_connection().cursor()
            cursor.execute(_pg(sql), params)
            self._in_flight.append(_InFlight(self._op, cursor, head, entry_row, plan))
            self._head = after
            return
        status = self._q(sql, params).scalar_one()
        if status != one_statement.OK:
            if status == one_statement.STALE_HEAD:
                self._head = None
                self._last_head.forget()
            raise _refusal_of(status, entry_row, plan)
        self._head = after
        if self._autocommit:  # the statement was the transaction: it is committed
            self._last_head.offer(after)

    def _write_all(self, seq: Seq, new_hash: str, plan: Plan, entry_row: dict[str, Any]) -> None:
        self._insert_entry(entry_row)
        self._write_opened(seq, plan)
        self._write_postings(seq, plan.postings)
        self._write_side_effects(seq, plan)
        self._apply_balances(seq, plan.postings, new_asset=plan.batch is not None)
        self._advance_head(seq, new_hash, plan)

    def _write_pipelined(
        self, seq: Seq, new_hash: str, plan: Plan, entry_row: dict[str, Any]
    ) -> None:
        """All of a small entry's writes in one PostgreSQL round trip (pipeline mode).

        The statements are sent together and their results read at the one sync, so
        the checks that need a result (a guarded debit's row count) run after it, and
        constraint errors surface at the sync; either way the entry is refused whole.
        """
        self._checks = []
        try:
            with self._driver_connection().pipeline():
                self._write_all(seq, new_hash, plan, entry_row)
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
            refusal = self._refusal(exc, entry_row)
            if refusal is None:
                raise
            raise refusal from exc
        finally:
            checks, self._checks = self._checks, None
        for check in checks:
            check()

    def _check_later(self, check: Callable[[], None]) -> None:
        """Run ``check`` now, or after the pipeline's sync when writes are pipelined."""
        if self._checks is None:
            check()
        else:
            self._checks.append(check)

    def _insert_entry(self, params: dict[str, Any]) -> None:
        try:
            self._q(_INSERT_ENTRY, params)
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:
            if self._checks is not None:  # pipelined: mapped once, at the sync
                raise
            refusal = self._refusal(exc, params)
            if refusal is None:
                raise
            raise refusal from exc

    def _refusal(self, exc: Exception, entry_row: dict[str, Any]) -> Exception | None:
        """What a constraint error on appending an entry means to the caller, if known."""
        text = str(exc)
        if "uq_entries_actor_key" in text or "entries.actor, entries.idem_key" in text:
            return ConcurrentKeyUse(entry_row["key"])
        if "corrects_seq" in text:
            return Conflict(
                f"entry {entry_row['corrects']} is already corrected", code="already_corrected"
            )
        if "ck_balances_non_negative" in text or "ck_holds_non_negative" in text:
            return InsufficientBalance("the operation would make a holding negative")
        return None

    def _write_opened(self, seq: Seq, plan: Plan) -> None:
        self._bulk_insert(
            "parties",
            ("party_id", "role", "name", "opened_seq"),
            [(p.party_id, str(p.role), p.name, seq) for p in plan.parties],
            len(plan.parties),
        )
        self._bulk_insert(
            "accounts",
            ("account_id", "holder_type", "owner", "label", "opened_seq"),
            [(a.account_id, str(a.holder_type), a.owner, a.label, seq) for a in plan.accounts],
            len(plan.accounts),
        )

    def _write_postings(self, seq: Seq, postings: Postings) -> None:
        n = len(postings)
        if n == 0:
            return
        if self.is_postgres and n >= BULK_THRESHOLD:
            chunks = encode_chunks(
                [
                    ("int8", seq),
                    ("int8", np.arange(n, dtype=np.int64)),
                    ("int8", np.frombuffer(postings.accounts, dtype=np.int64)),
                    ("int8", np.frombuffer(postings.assets, dtype=np.int64)),
                    ("int2", np.frombuffer(postings.states, dtype=np.int64)),
                    ("int8", np.frombuffer(postings.deltas, dtype=np.int64)),
                ]
            )
            names = ("seq", "idx", "account_id", "asset_id", "state", "delta")
            copy_binary(self.conn.connection.driver_connection, "postings", names, chunks)
            return
        if (
            not self.is_postgres
            and n >= BULK_THRESHOLD
            and self._write_fan_out_sqlite(seq, postings)
        ):
            return
        rows = zip(
            [seq] * n,
            range(n),
            postings.accounts,
            postings.assets,
            postings.states,
            postings.deltas,
            strict=True,
        )
        cols = ("seq", "idx", "account_id", "asset_id", "state", "delta")
        self._bulk_insert("postings", cols, rows, n)

    def _write_fan_out_sqlite(self, seq: Seq, postings: Postings) -> bool:
        """Append a fan-out (one source, then many postings of one asset and state).

        Binding a million six-column rows through ``executemany`` costs more than the
        B-tree insert itself, so the two columns that vary travel as JSON arrays that
        SQLite unpacks in C (``json_each``); SQLite parses JSON integers exactly as
        64-bit integers. Anything that is not a fan-out returns False and takes the
        general path.
        """
        assets = np.frombuffer(postings.assets, dtype=np.int64)
        states = np.frombuffer(postings.states, dtype=np.int64)
        asset, state = int(assets[1]), int(states[1])
        if not (np.all(assets[1:] == asset) and np.all(states[1:] == state)):
            return False
        accounts = np.frombuffer(postings.accounts, dtype=np.int64)
        deltas = np.frombuffer(postings.deltas, dtype=np.int64)
        first = (seq, 0, int(accounts[0]), int(assets[0]), int(states[0]), int(deltas[0]))
        self._q(_INSERT_POSTING, dict(zip(_POSTING_KEYS, first, strict=True)))
        driver: Any = self.conn.connection.driver_connection
        driver.execute(_FAN_OUT_DELTAS_TABLE)
        try:
            driver.execute(_FAN_OUT_DELTAS, (json.dumps(deltas[1:].tolist()),))
            params = (seq, asset, state, json.dumps(accounts[1:].tolist()))
            driver.execute(_FAN_OUT_POSTINGS, params)
        finally:
            driver.execute("DROP TABLE temp.fan_out_deltas")
        return True

    def _write_side_effects(self, seq: Seq, plan: Plan) -> None:
        if plan.batch is not None:
            d = plan.batch.denomination
            self._q(
                _INSERT_BATCH,
                {
                    "asset_id": plan.batch.asset_id,
                    "denomination": str(d),
                    "instrument": str(d.instrument),
                    "jurisdiction": d.jurisdiction,
                    "project": d.project,
                    "vintage": d.vintage,
                    "serial": d.serial,
                    "issued_g": plan.batch.issued_g,
                    "seq": seq,
                },
            )
        for hold in plan.holds:
            if hold.hold_id is None:
                self._q(
                    _INSERT_HOLD,
                    {
                        "h": seq,
                        "a": hold.account_id,
                        "s": hold.asset_id,
                        "reason": hold.reason,
                        "reference": hold.reference,
                        "amount": hold.delta,
                    },
                )
            else:
                self._update_hold(hold.hold_id, hold.delta)
        if plan.grant is not None:
            g = plan.grant
            key = {"a": g.account_id, "agent": g.agent}
            self._q("DELETE FROM grants WHERE account_id = :a AND agent = :agent", key)
            self._q(
                "INSERT INTO grants (account_id, agent, active, seq)"
                " VALUES (:a, :agent, :active, :seq)",
                {**key, "active": g.active, "seq": seq},
            )

    def _update_hold(self, hold_id: Seq, delta: int) -> None:
        done = self._q(
            "UPDATE holds SET remaining = remaining + :d WHERE hold_id = :h"
            " AND remaining + :d >= 0",
            {"d": delta, "h": hold_id},
        )

        def check() -> None:
            if done.rowcount != 1:
                raise Conflict(f"hold {hold_id} has less left than released", code="exceeds_hold")

        self._check_later(check)

    def _apply_balances(self, seq: Seq, postings: Postings, *, new_asset: bool) -> None:
        n = len(postings)
        if n == 0:
            return
        distinct = n > 64 and _all_distinct(postings.accounts)
        debits = _debits(postings, distinct)
        if len(debits) > DEBITS_KEYWISE_MAX:
            self._debit_grouped(seq, len(debits))
        else:
            self._debit_keywise(debits)
        if new_asset and distinct and self.is_postgres and n >= BULK_THRESHOLD:
            # Every key is new and the rows are the postings themselves: COPY them from
            # the arrays rather than have the server read the postings back.
            self._copy_new_balances(postings)
            return
        credit = _CREDIT_GROUPED
        if distinct:
            credit = _CREDIT_NEW_ASSET if new_asset else _CREDIT_DISTINCT
        try:
            self._q(credit, {"seq": seq})
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:  # a check above erred
            if self._checks is not None:  # pipelined: an earlier statement's error, maybe
                raise
            raise InsufficientBalance("the operation would make a holding negative") from exc

    def _copy_new_balances(self, postings: Postings) -> None:
        chunks = encode_chunks(
            [
                ("int8", np.frombuffer(postings.accounts, dtype=np.int64)),
                ("int8", np.frombuffer(postings.assets, dtype=np.int64)),
                ("int2", np.frombuffer(postings.states, dtype=np.int64)),
                ("int8", np.frombuffer(postings.deltas, dtype=np.int64)),
            ]
        )
        names = ("account_id", "asset_id", "state", "amount")
        try:
            copy_binary(self.conn.connection.driver_connection, "balances", names, chunks)
        except self.conn.dialect.loaded_dbapi.IntegrityError as exc:  # a check above erred
            raise InsufficientBalance("the operation would make a holding negative") from exc

    def _debit_keywise(self, debits: list[tuple[BalanceKey, int]]) -> None:
        for (account_id, asset_id, state), delta in debits:
            done = self._q(_DEBIT, {"d": delta, "a": account_id, "s": asset_id, "st": state})
            self._check_later(_debited(done, account_id, asset_id, state, delta))

    def _debit_grouped(self, seq: Seq, keys: int) -> None:
        done = self._q(_DEBIT_GROUPED, {"seq": seq})

        def check() -> None:
            if done.rowcount != keys:
                raise InsufficientBalance(
                    f"{keys - done.rowcount} of {keys} balances hold less than the entry takes"
                )

        self._check_later(check)

    def _advance_head(self, seq: Seq, new_hash: str, plan: Plan) -> None:
        head = self.head
        next_account = head.next_account_id
        if plan.accounts:
            next_account = max(next_account, max(a.account_id for a in plan.accounts) + 1)
        next_asset = head.next_asset_id
        if plan.batch is not None:
            next_asset = max(next_asset, plan.batch.asset_id + 1)
        self._q(
            "UPDATE registry_head SET last_seq = :seq, last_hash = :h, next_account_id = :na,"
            " next_asset_id = :ns WHERE id = 1",
            {"seq": seq, "h": new_hash, "na": next_account, "ns": next_asset},
        )
        self._head = Head(seq, new_hash, next_account, next_asset)

    def _bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], n: int
    ) -> None:
        """Append rows through the driver: executemany, or COPY for big PostgreSQL loads."""
        if n == 0:
            return
        driver: Any = self.conn.connection.driver_connection
        names = ", ".join(columns)
        if self.is_postgres and n < BULK_THRESHOLD:  # COPY costs extra round trips
            marks = ", ".join("%s" for _ in columns)
            with driver.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        if self.is_postgres:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["?"] * len(columns))
        driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


class _Result:
    """The few result shapes the store reads, over a DB-API cursor."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor.fetchall())

    def all(self) -> list[Any]:
        return list(self._cursor.fetchall())

    def first(self) -> Any:
        return self._cursor.fetchone()

    def one_or_none(self) -> Any:
        rows = self._cursor.fetchmany(2)
        if len(rows) > 1:
            raise RuntimeError("expected at most one row")
        return rows[0] if rows else None

    def one(self) -> Any:
        row = self.one_or_none()
        if row is None:
            raise RuntimeError("expected one row")
        return row

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class _Cursor:
    """Walks a seq-ordered stream alongside the entries, one entry's rows at a time."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)

    def take(self, seq: Seq) -> list[Any]:
        out = []
        while self._next is not None and self._next[0] <= seq:
            out.append(self._next)
            self._next = next(self._rows, None)
        return out


class SqlStore:
    """Opens units of work on one database; migrates its schema on first use."""

    def __init__(self, url: str | None = None, *, migrate_schema: bool = True) -> None:
        from pctrade.ledger.sql.engine import database_url, make_engine, migrate

        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self._rows = ImmutableRows()
        self._last_head = LastHead()
        if migrate_schema:
            migrate(self.engine)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def writer(self, *, lean: bool = False, autocommit: bool = False) -> SqlUnitOfWork:
        """A writing unit of work; ``lean`` and ``autocommit``: see ``SqlUnitOfWork``."""
        return SqlUnitOfWork(
            self.engine,
            write=True,
            cache=self._rows,
            last_head=self._last_head,
            lean=lean,
            autocommit=autocommit,
        )

    def reader(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=False, cache=self._rows)

    def forget_cached_rows(self) -> None:
        """After the database was emptied under this store (tests, ``demo --reset``).

        The registry itself never deletes a party, account or batch; only a wholesale
        reset does, and whoever resets must call this.
        """
        self._rows.clear()
        self._last_head.forget()

    def dispose(self) -> None:
        self.engine.dispose()
