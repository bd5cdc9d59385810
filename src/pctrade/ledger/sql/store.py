"""The SQL unit of work: reads registry state and appends planned operations.

A writing unit of work first takes the journal head (``BEGIN IMMEDIATE`` on SQLite,
``SELECT … FOR UPDATE`` on PostgreSQL), so everything it reads is current and nothing
else writes until it commits or rolls back. ``append`` then writes, in one transaction:
the entry with its hash, its postings, the parties, accounts, batch, holds or grant it
opens or changes, and the balances it changes.

Its parts, one module each: ``unit`` (the transaction, savepoints, lean pipelining,
the head and the public port a context's SQL shares it through), ``reads`` (registry
state and the journal for ``verify``), ``bulk`` (postings and balances at any size)
and this module (appending an entry, and the store that opens units of work). Hot-path
SQL is hand-written and run through the driver to skip per-statement compilation.

Round trips are what a small operation costs on PostgreSQL, so its parties, accounts
and batch come from a per-store cache once committed (those rows are never edited). An
entry that opens nothing (a transfer, freeze, retirement, …) is written by one statement
that checks itself (``one_statement``); other small entries send all their writes in
one pipelined round trip, checked after the sync.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from pctrade.kernel.errors import Conflict, InsufficientBalance, ValidationError
from pctrade.ledger import status
from pctrade.ledger.journal import Entry, EntryHeader, entry_hash, opened_digest
from pctrade.ledger.model import AccountId, AccountStatus, PartyId, Seq
from pctrade.ledger.operations import HOLDS_PACKED, Plan, StatusChange
from pctrade.ledger.packed_np import Column, unpack_np
from pctrade.ledger.ports import ConcurrentKeyUse, OptimisticMiss
from pctrade.ledger.sql import one_statement
from pctrade.ledger.sql.bulk import BulkWrites
from pctrade.ledger.sql.columns import drop_temp, load_temp
from pctrade.ledger.sql.reads import Reads
from pctrade.ledger.sql.rows import BULK_THRESHOLD, Head, ImmutableRows, LastHead, _Result
from pctrade.ledger.sql.unit import _InFlight, _refusal_of

__all__ = ["BULK_THRESHOLD", "Head", "SqlStore", "SqlUnitOfWork"]

_INSERT_ENTRY = """
INSERT INTO entries (seq, op_type, actor, idem_key, request_hash, ts, payload, corrects_seq,
                     posting_count, prev_hash, hash)
VALUES (:seq, :op, :actor, :key, :req, :ts, :payload, :corrects, :n, :prev, :hash)
"""
_INSERT_BATCH = """
INSERT INTO batches (asset_id, denomination, instrument, jurisdiction, project, vintage, serial,
                     issued_g, issued_seq, methodology)
VALUES (:asset_id, :denomination, :instrument, :jurisdiction, :project, :vintage, :serial,
        :issued_g, :seq, :methodology)
"""
_INSERT_HOLD = """
INSERT INTO holds (hold_id, account_id, asset_id, reason, reference, amount, remaining)
VALUES (:h, :a, :s, :reason, :reference, :amount, :amount)
"""


_PARAMETER = re.compile(r"%\((\w+)\)s")
_NUMBERED: dict[str, tuple[str, tuple[str, ...]]] = {}


def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """A one-statement entry's SQL with the server's own ``$n`` parameters, and the names
    they stand for, worked out once per shape of entry (``one_statement`` makes a few).

    The driver then sends the text as it is (``RawCursor``). Left to itself, psycopg
    parses a query of more than 50 parameters, such as a settlement's, again at every
    execution (its cache stops there): 0.4 ms of a settlement's time.
    """
    found = _NUMBERED.get(sql)
    if found is None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        found = _NUMBERED[sql] = (_PARAMETER.sub(number, sql), tuple(names))
    return found


def _small(plan: Plan) -> bool:
    """An entry whose writes fit one pipelined round trip (no COPY, no bulk apply)."""
    return len(plan.postings) < BULK_THRESHOLD and len(plan.accounts) < BULK_THRESHOLD


# An entry that draws down more holds than this does it in one grouped statement.
HOLDS_KEYWISE_MAX = 64
# Each hold once per entry (``operations._check_holds``), so the join meets each row once.
_UPDATE_HOLDS_PG = """
UPDATE holds SET remaining = holds.remaining + t.d
FROM unnest(%s::bigint[], %s::bigint[]) AS t(h, d)
WHERE holds.hold_id = t.h AND holds.remaining + t.d >= 0
"""
_UPDATE_HOLDS_FROM_TEMP = """
UPDATE holds SET remaining = holds.remaining + t.d
FROM hold_draws AS t
WHERE holds.hold_id = t.h AND holds.remaining + t.d >= 0
"""
_UPDATE_HOLD_SQLITE = (
    "UPDATE holds SET remaining = remaining + ? WHERE hold_id = ? AND remaining + ? >= 0"
)


# Rows bound through one ``executemany`` (see ``_update_holds_grouped``).
PIECE_ROWS = 1 << 20


@dataclass(frozen=True, slots=True)
class _Counted:
    """The rows several statements changed, read as one cursor's ``rowcount``."""

    rowcount: int


class SqlUnitOfWork(Reads, BulkWrites):
    """One transaction that reads registry state and appends planned entries.

    Rolls back on exit unless ``commit`` was called; the transaction, lean and
    autocommit writers and group pipelining are ``UnitBase``'s (``unit``).
    """

    # ---- writes --------------------------------------------------------------------
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
        one = self.is_postgres and one_statement.fits(plan)
        if not self.checks_deferred:
            self.settle()
        elif status_limits and not one and not self._autocommit:
            # Deferred, but more than the one statement that would check them: check
            # the statuses here, on the true head.
            self.settle()
            self._require_statuses(status_limits)
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
        if not (one and self.checks_deferred):
            # A lean operation writes nothing beside its entry, and a one-statement
            # entry never half-applies; anything else must be able to roll back.
            self._send_savepoint()
        if one:
            self._write_one_statement(plan, entry_row, head, status_limits)
        elif self._autocommit:
            raise OptimisticMiss("the entry needs a transaction of its own")
        elif self.is_postgres and _small(plan):
            self._write_pipelined(seq, new_hash, plan, entry_row)
        else:
            self._write_all(seq, new_hash, plan, entry_row)
        return Entry(header, head.last_hash, new_hash, len(plan.postings))

    def _require_statuses(self, limits: Mapping[AccountId, AccountStatus]) -> None:
        found = status.refusal(limits, self.account_statuses(sorted(limits)))
        if found is not None:
            raise found

    def _write_one_statement(
        self,
        plan: Plan,
        entry_row: dict[str, Any],
        head: Head,
        status_limits: Mapping[AccountId, AccountStatus] | None,
    ) -> None:
        """Write the entry with ``one_statement``, or raise what its answer means.

        A lean operation in a group does not wait for the answer (see ``settle``).
        """
        sql, params = one_statement.prepare(plan, entry_row, head.last_seq, status_limits)
        after = Head(entry_row["seq"], entry_row["hash"], head.next_account_id, head.next_asset_id)
        numbered, names = _numbered(sql)
        values = [params[name] for name in names]
        cursor = psycopg.RawCursor(self._driver_connection())
        if self.checks_deferred and self._op >= 0 and not self._autocommit:
            if self._pipeline is None:
                self._pipeline = self._driver_connection().pipeline()
                self._pipeline.__enter__()
            cursor.execute(numbered, values)
            self._in_flight.append(_InFlight(self._op, cursor, head, entry_row, plan))
            self._head = after
            return
        status = _Result(cursor.execute(numbered, values)).scalar_one()
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

    def record_request(
        self, actor: PartyId, idem_key: str, req_hash: str, result: str, ts: str
    ) -> None:
        """Log a write that records no entry (the caller holds the journal head)."""
        sql = (
            "INSERT INTO requests (actor, idem_key, request_hash, result, ts)"
            " VALUES (:a, :k, :h, :r, :t)"
        )
        self._q(sql, {"a": actor, "k": idem_key, "h": req_hash, "r": result, "t": ts})

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
                    "methodology": plan.batch.methodology,
                },
            )
        drawn = [h for h in plan.holds if h.hold_id is not None]
        if HOLDS_PACKED in plan.payload:
            listed = {h.hold_id for h in drawn if h.hold_id is not None}
            self._draw_packed_holds(plan.payload[HOLDS_PACKED], listed)
        if len(drawn) > HOLDS_KEYWISE_MAX:
            ids = np.array([h.hold_id for h in drawn], dtype=np.int64)
            self._update_holds_grouped(ids, np.array([h.delta for h in drawn], dtype=np.int64))
        for hold in plan.holds:
            if hold.hold_id is not None and len(drawn) > HOLDS_KEYWISE_MAX:
                continue
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
        if plan.status is not None:
            self._write_status(seq, plan.status)
        if plan.grant is not None:
            g = plan.grant
            key = {"a": g.account_id, "agent": g.agent}
            self._q("DELETE FROM grants WHERE account_id = :a AND agent = :agent", key)
            self._q(
                "INSERT INTO grants (account_id, agent, active, seq)"
                " VALUES (:a, :agent, :active, :seq)",
                {**key, "active": g.active, "seq": seq},
            )

    def _write_status(self, seq: Seq, change: StatusChange) -> None:
        """The account's row in ``account_status``: its status as this entry leaves it."""
        self._q("DELETE FROM account_status WHERE account_id = :a", {"a": change.account_id})
        self._q(
            "INSERT INTO account_status (account_id, status, reason, seq)"
            " VALUES (:a, :status, :reason, :seq)",
            {
                "a": change.account_id,
                "status": int(change.status),
                "reason": change.reason,
                "seq": seq,
            },
        )

    def _draw_packed_holds(self, packed: Any, listed: set[Seq]) -> None:
        """The draw-downs an entry records as packed columns (``HOLDS_PACKED``), checked
        as the ledger's rule says (each a draw, each hold once) and written set-based."""
        drawn = unpack_np(packed, ("hold_id", "delta"))
        ids, deltas = drawn["hold_id"], drawn["delta"]
        if len(ids) and (bool(np.any(deltas >= 0)) or bool(np.any(ids[1:] <= ids[:-1]))):
            raise ValidationError(
                "packed hold draws are negative, by strictly ascending hold id",
                code="bad_request",
            )
        if listed and bool(np.isin(ids, np.array(sorted(listed), dtype=np.int64)).any()):
            raise ValidationError("a hold is changed twice in one entry", code="bad_request")
        if len(ids):
            self._update_holds_grouped(ids, deltas)

    def _update_holds_grouped(self, ids: Column, deltas: Column) -> None:
        """Draw many holds down at once (a pool sale to millions of contributors): one
        guarded statement on PostgreSQL, over the changes as two arrays (up to
        ``BULK_THRESHOLD``) or a temporary table (``columns.load_temp``, beyond), the
        driver's ``executemany`` on SQLite; either way the rows changed must be
        all of them, or some hold had less left than the entry takes, and the entry
        fails whole."""
        n = len(ids)
        driver = self._driver_connection()
        if self.is_postgres and n >= BULK_THRESHOLD:
            load_temp(driver, True, "hold_draws", {"h": ids, "d": deltas})
            cursor = driver.execute(_UPDATE_HOLDS_FROM_TEMP)
            drop_temp(driver, True, "hold_draws")
        elif self.is_postgres:
            cursor = driver.cursor()
            cursor.execute(_UPDATE_HOLDS_PG, (ids.tolist(), deltas.tolist()))
        else:
            # SQLite binds rows from C faster than it joins a temporary table of them;
            # in pieces, so that the rows' Python integers stay few at a time.
            done = 0
            for start in range(0, n, PIECE_ROWS):
                d = deltas[start : start + PIECE_ROWS].tolist()
                h = ids[start : start + PIECE_ROWS].tolist()
                piece = driver.executemany(_UPDATE_HOLD_SQLITE, zip(d, h, d, strict=True))
                done += piece.rowcount
            cursor = _Counted(done)

        def check() -> None:  # after the pipeline's sync, when writes are pipelined
            done = cursor.rowcount
            if done != n:
                raise Conflict(
                    f"{n - done} of {n} holds have less left than taken", code="exceeds_hold"
                )

        self._check_later(check)

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


class SqlStore:
    """Opens units of work on one database, with a cache of committed rows.

    Building a store touches nothing: migrating the schema is the explicit start-up
    step (``pctrade.bootstrap.prepare``). The app that is built over a store owns it
    and its cache: it starts the cache afresh, and forgets it when it resets the
    database (``pctrade.bootstrap.App``).
    """

    def __init__(self, url: str | None = None) -> None:
        from pctrade.ledger.sql.engine import database_url, make_engine

        self.url = database_url(url)
        self.engine = make_engine(self.url)
        self._rows = ImmutableRows()
        self._last_head = LastHead()

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
        """Start the cache afresh: the app calls it when it is built and when it resets.

        The registry itself never deletes a party, account or batch; only a wholesale
        reset does (``pctrade.bootstrap.App.reset``).
        """
        self._rows.clear()
        self._last_head.forget()

    def dispose(self) -> None:
        self.engine.dispose()
