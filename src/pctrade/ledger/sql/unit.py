"""The SQL unit of work's transaction: connection, savepoints, lean pipelining, head.

``UnitBase`` is what every part of ``SqlUnitOfWork`` builds on: it opens the
transaction (or an autocommit connection), numbers a group's operations by savepoint,
keeps the lean entries in flight and reads their answers (``settle``), runs the
hand-written SQL (``_q``) and gives a context's SQL the same transaction (``execute``,
``dbapi_connection``, ``bulk_insert``: the ledger's public port).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import psycopg
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from pctrade.kernel.errors import Conflict, InsufficientBalance
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import ConcurrentKeyUse, OptimisticMiss
from pctrade.ledger.sql import one_statement
from pctrade.ledger.sql.columns import append_columns, drop_temp, load_temp
from pctrade.ledger.sql.engine import WRITE_OPTION
from pctrade.ledger.sql.rows import (
    _HEAD,
    BULK_THRESHOLD,
    Head,
    ImmutableRows,
    LastHead,
    _head,
    _pg,
    _Result,
)


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
    if status == one_statement.ACCOUNT_STATUS:
        # The careful retry reads the statuses and names the account and its status.
        return OptimisticMiss("an account's status refuses the entry")
    if status == one_statement.ALREADY_CORRECTED:
        corrected = entry_row["corrects"]
        return Conflict(f"entry {corrected} is already corrected", code="already_corrected")
    return RuntimeError(f"unexpected answer {status!r} from the entry statement")


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A lean entry sent in a group's pipeline, its answer not yet read."""

    op: int
    cursor: Any
    head_before: Head
    entry_row: dict[str, Any]
    plan: Plan


class UnitBase:
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

    def __enter__(self) -> Self:
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

    def load_columns(self, table: str, columns: Mapping[str, Any]) -> int:
        """A context's temporary table of integer columns (``columns.load_temp``)."""
        return load_temp(self._driver_connection(), self.is_postgres, table, columns)

    def drop_columns(self, table: str) -> None:
        drop_temp(self._driver_connection(), self.is_postgres, table)

    def append_columns(self, table: str, columns: Mapping[str, Any]) -> None:
        """A context's bulk append of integer columns (``columns.append_columns``)."""
        append_columns(self._driver_connection(), self.is_postgres, table, columns)

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

    def _check_later(self, check: Callable[[], None]) -> None:
        """Run ``check`` now, or after the pipeline's sync when writes are pipelined."""
        if self._checks is None:
            check()
        else:
            self._checks.append(check)

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
