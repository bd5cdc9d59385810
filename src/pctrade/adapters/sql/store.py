"""The SQL unit of work: reads registry state and appends planned operations.

A writing unit of work first takes the journal head (``BEGIN IMMEDIATE`` on SQLite,
``SELECT … FOR UPDATE`` on PostgreSQL), so everything it reads is current and nothing
else writes until it commits or rolls back. ``append`` then writes, in one transaction:
the entry with its hash, its postings (bulk-inserted: COPY on PostgreSQL), the parties,
accounts, batch, hold or grant it opens, and the balances it changes, applied from the
postings in one set-based ``INSERT … SELECT … ON CONFLICT`` statement.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError as SqlIntegrityError

from pctrade.adapters.sql import schema as t
from pctrade.adapters.sql.engine import WRITE_OPTION
from pctrade.domain.errors import Conflict, InsufficientBalance
from pctrade.domain.invariants import StoredEntry
from pctrade.domain.journal import Entry, EntryHeader, entry_hash, opened_digest
from pctrade.domain.ledger import BalanceKey, Postings
from pctrade.domain.model import (
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
from pctrade.domain.operations import Plan

COPY_THRESHOLD = 2_000
STREAM_CHUNK = 50_000

# Credits to balances (positive net, or any source movement) are applied set-based in one
# upsert. Debits are applied first, key by key (an entry has only a few), each guarded so
# that it can never take a holding below zero; the CHECK constraint is the backstop.
# Debits are not part of the upsert because SQLite checks CHECK constraints on the row it
# would insert before it sees the conflict.
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
_DEBIT = """
UPDATE balances SET amount = amount + :delta
WHERE account_id = :account_id AND asset_id = :asset_id AND state = :state
AND amount + :delta >= 0
"""


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


def _party(row: Any) -> Party:
    return Party(row.party_id, Role(row.role), row.name)


def _account(row: Any) -> Account:
    return Account(row.account_id, HolderType(row.holder_type), row.owner, row.label)


def _batch(row: Any) -> Batch:
    return Batch(row.asset_id, Denomination.parse(row.denomination), row.issued_g, row.issued_seq)


def _header(row: Any) -> EntryHeader:
    return EntryHeader(
        row.seq,
        row.op_type,
        row.actor,
        row.idem_key,
        row.request_hash,
        row.ts,
        json.loads(row.payload),
    )


def _entry(row: Any) -> Entry:
    return Entry(_header(row), row.prev_hash, row.hash, row.posting_count)


class SqlUnitOfWork:
    """One transaction. Rolls back on exit unless ``commit`` was called."""

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._conn: Connection | None = None
        self._head: Head | None = None
        self.is_postgres = engine.dialect.name == "postgresql"

    def __enter__(self) -> SqlUnitOfWork:
        conn = self._engine.connect()
        if self._write:
            conn = conn.execution_options(**{WRITE_OPTION: True})
        elif self.is_postgres:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        self._conn = conn
        conn.begin()
        if self._write:
            self._head = self._lock_head()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        if conn.in_transaction():
            conn.rollback()
        conn.close()
        self._conn = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work is not open")
        return self._conn

    def commit(self) -> None:
        self.conn.commit()

    # ---- reads -------------------------------------------------------------------
    def _lock_head(self) -> Head:
        query = sa.select(t.registry_head).where(t.registry_head.c.id == 1)
        if self.is_postgres:
            query = query.with_for_update()
        row = self.conn.execute(query).one()
        return Head(row.last_seq, row.last_hash, row.next_account_id, row.next_asset_id)

    @property
    def head(self) -> Head:
        if self._head is None:
            row = self.conn.execute(sa.select(t.registry_head)).one()
            return Head(row.last_seq, row.last_hash, row.next_account_id, row.next_asset_id)
        return self._head

    def party(self, party_id: PartyId) -> Party | None:
        row = self.conn.execute(
            sa.select(t.parties).where(t.parties.c.party_id == party_id)
        ).one_or_none()
        return None if row is None else _party(row)

    def existing_parties(self, party_ids: Sequence[PartyId]) -> set[PartyId]:
        found: set[PartyId] = set()
        for start in range(0, len(party_ids), STREAM_CHUNK):
            chunk = party_ids[start : start + STREAM_CHUNK]
            rows = self.conn.execute(
                sa.select(t.parties.c.party_id).where(t.parties.c.party_id.in_(chunk))
            )
            found.update(r[0] for r in rows)
        return found

    def account(self, account_id: AccountId) -> Account | None:
        row = self.conn.execute(
            sa.select(t.accounts).where(t.accounts.c.account_id == account_id)
        ).one_or_none()
        return None if row is None else _account(row)

    def accounts_of(self, party_id: PartyId) -> list[Account]:
        rows = self.conn.execute(
            sa.select(t.accounts)
            .where(t.accounts.c.owner == party_id)
            .order_by(t.accounts.c.account_id)
        )
        return [_account(r) for r in rows]

    def account_count(self, account_ids: Sequence[AccountId]) -> int:
        """How many of these (distinct) ids are open accounts; set-based for bulk."""
        if not account_ids:
            return 0
        lo, hi = min(account_ids), max(account_ids)
        if hi - lo + 1 == len(account_ids):  # a contiguous range: one range count
            query = sa.select(sa.func.count()).where(t.accounts.c.account_id.between(lo, hi))
            return int(self.conn.execute(query).scalar_one())
        count = 0
        for start in range(0, len(account_ids), STREAM_CHUNK):
            chunk = account_ids[start : start + STREAM_CHUNK]
            query = sa.select(sa.func.count()).where(t.accounts.c.account_id.in_(chunk))
            count += int(self.conn.execute(query).scalar_one())
        return count

    def agents(self, account_id: AccountId) -> set[PartyId]:
        rows = self.conn.execute(
            sa.select(t.grants.c.agent).where(
                (t.grants.c.account_id == account_id) & t.grants.c.active
            )
        )
        return {r[0] for r in rows}

    def batch_named(self, denomination: str) -> Batch | None:
        row = self.conn.execute(
            sa.select(t.batches).where(t.batches.c.denomination == denomination)
        ).one_or_none()
        return None if row is None else _batch(row)

    def batches(self) -> list[Batch]:
        return [_batch(r) for r in self.conn.execute(sa.select(t.batches).order_by("asset_id"))]

    def balance(self, account_id: AccountId, asset_id: AssetId, state: State) -> int:
        b = t.balances.c
        value = self.conn.execute(
            sa.select(b.amount).where(
                (b.account_id == account_id) & (b.asset_id == asset_id) & (b.state == int(state))
            )
        ).scalar_one_or_none()
        return int(value or 0)

    def balances_of(self, account_id: AccountId) -> list[tuple[AssetId, State, int]]:
        b = t.balances.c
        rows = self.conn.execute(
            sa.select(b.asset_id, b.state, b.amount)
            .where((b.account_id == account_id) & (b.amount != 0))
            .order_by(b.asset_id, b.state)
        )
        return [(r.asset_id, State(r.state), r.amount) for r in rows]

    def hold(self, hold_id: Seq) -> HoldRow | None:
        row = self.conn.execute(
            sa.select(t.holds).where(t.holds.c.hold_id == hold_id)
        ).one_or_none()
        return None if row is None else HoldRow(*row)

    def holds_of(self, account_id: AccountId) -> list[HoldRow]:
        rows = self.conn.execute(
            sa.select(t.holds)
            .where((t.holds.c.account_id == account_id) & (t.holds.c.remaining > 0))
            .order_by(t.holds.c.hold_id)
        )
        return [HoldRow(*r) for r in rows]

    def entry_by_key(self, actor: PartyId, idem_key: str) -> Entry | None:
        e = t.entries.c
        row = self.conn.execute(
            sa.select(t.entries).where((e.actor == actor) & (e.idem_key == idem_key))
        ).one_or_none()
        return None if row is None else _entry(row)

    def entry(self, seq: Seq) -> Entry | None:
        row = self.conn.execute(sa.select(t.entries).where(t.entries.c.seq == seq)).one_or_none()
        return None if row is None else _entry(row)

    def corrected(self, seq: Seq) -> bool:
        query = sa.select(t.entries.c.seq).where(t.entries.c.corrects_seq == seq)
        return self.conn.execute(query).first() is not None

    def entries_page(
        self, after: Seq, limit: int, account_id: AccountId | None = None
    ) -> list[Entry]:
        query = sa.select(t.entries).where(t.entries.c.seq > after)
        if account_id is not None:
            touched = sa.select(t.postings.c.seq).where(t.postings.c.account_id == account_id)
            query = query.where(t.entries.c.seq.in_(touched))
        rows = self.conn.execute(query.order_by(t.entries.c.seq).limit(limit))
        return [_entry(r) for r in rows]

    def postings_of(self, seq: Seq) -> Postings:
        p = t.postings.c
        rows = self.conn.execute(
            sa.select(p.account_id, p.asset_id, p.state, p.delta)
            .where(p.seq == seq)
            .order_by(p.idx)
        ).all()
        return _columns(rows)

    # ---- journal replay ------------------------------------------------------------
    def stream_journal(self) -> Iterator[StoredEntry]:
        """Every entry in order with its postings and opened rows, streamed."""
        entries = self._stream(sa.select(t.entries).order_by(t.entries.c.seq))
        p = t.postings.c
        postings = _Cursor(
            self._stream(
                sa.select(p.seq, p.account_id, p.asset_id, p.state, p.delta).order_by(p.seq, p.idx)
            )
        )
        parties = _Cursor(self._stream(sa.select(t.parties).order_by(t.parties.c.opened_seq)))
        accounts = _Cursor(
            self._stream(
                sa.select(t.accounts).order_by(t.accounts.c.opened_seq, t.accounts.c.account_id)
            )
        )
        for row in entries:
            seq = row.seq
            rows = postings.take(seq)
            yield StoredEntry(
                _header(row),
                row.prev_hash,
                row.hash,
                _columns([(r.account_id, r.asset_id, r.state, r.delta) for r in rows]),
                tuple(_party(r) for r in parties.take(seq)),
                tuple(_account(r) for r in accounts.take(seq)),
            )

    def _stream(self, query: sa.Select[Any]) -> Iterator[Any]:
        # A fresh connection per stream: on PostgreSQL each is a server-side cursor.
        result = self.conn.execution_options(yield_per=STREAM_CHUNK).execute(query)
        yield from result

    def stored_balances(self) -> Iterator[tuple[BalanceKey, int]]:
        b = t.balances.c
        for r in self._stream(sa.select(b.account_id, b.asset_id, b.state, b.amount)):
            yield (r.account_id, r.asset_id, r.state), r.amount

    def stored_holds(self) -> Iterator[tuple[Seq, int]]:
        for r in self._stream(sa.select(t.holds.c.hold_id, t.holds.c.remaining)):
            yield r.hold_id, r.remaining

    def stored_issued(self) -> Iterator[tuple[AssetId, int]]:
        for r in self._stream(sa.select(t.batches.c.asset_id, t.batches.c.issued_g)):
            yield r.asset_id, r.issued_g

    # ---- writes --------------------------------------------------------------------
    def append(self, plan: Plan, actor: PartyId, idem_key: str, req_hash: str, ts: str) -> Entry:
        head = self.head
        seq = head.last_seq + 1
        header = EntryHeader(seq, plan.op_type, actor, idem_key, req_hash, ts, plan.payload)
        digest = plan.postings.digest()
        opened = opened_digest(plan.parties, plan.accounts)
        new_hash = entry_hash(head.last_hash, header, digest, opened)
        entry = Entry(header, head.last_hash, new_hash, len(plan.postings))
        self.conn.execute(
            sa.insert(t.entries).values(
                seq=seq,
                op_type=str(plan.op_type),
                actor=actor,
                idem_key=idem_key,
                request_hash=req_hash,
                ts=ts,
                payload=json.dumps(plan.payload, ensure_ascii=False),
                corrects_seq=plan.corrects,
                posting_count=len(plan.postings),
                prev_hash=head.last_hash,
                hash=new_hash,
            )
        )
        self._write_opened(seq, plan)
        self._write_postings(seq, plan.postings)
        self._write_side_effects(seq, plan)
        self._apply_balances(seq, plan.postings)
        self._advance_head(seq, new_hash, plan)
        return entry

    def _write_opened(self, seq: Seq, plan: Plan) -> None:
        self._bulk_insert(
            "parties",
            ("party_id", "role", "name", "opened_seq"),
            ((p.party_id, str(p.role), p.name, seq) for p in plan.parties),
            len(plan.parties),
        )
        self._bulk_insert(
            "accounts",
            ("account_id", "holder_type", "owner", "label", "opened_seq"),
            ((a.account_id, str(a.holder_type), a.owner, a.label, seq) for a in plan.accounts),
            len(plan.accounts),
        )

    def _write_postings(self, seq: Seq, postings: Postings) -> None:
        n = len(postings)
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

    def _write_side_effects(self, seq: Seq, plan: Plan) -> None:
        if plan.batch is not None:
            d = plan.batch.denomination
            self.conn.execute(
                sa.insert(t.batches).values(
                    asset_id=plan.batch.asset_id,
                    denomination=str(d),
                    instrument=str(d.instrument),
                    jurisdiction=d.jurisdiction,
                    project=d.project,
                    vintage=d.vintage,
                    serial=d.serial,
                    issued_g=plan.batch.issued_g,
                    issued_seq=seq,
                )
            )
        hold = plan.hold
        if hold is not None and hold.hold_id is None:
            self.conn.execute(
                sa.insert(t.holds).values(
                    hold_id=seq,
                    account_id=hold.account_id,
                    asset_id=hold.asset_id,
                    reason=hold.reason,
                    reference=hold.reference,
                    amount=hold.delta,
                    remaining=hold.delta,
                )
            )
        elif hold is not None:
            self._update_hold(hold.hold_id, hold.delta)
        if plan.grant is not None:
            g = plan.grant
            self.conn.execute(
                sa.delete(t.grants).where(
                    (t.grants.c.account_id == g.account_id) & (t.grants.c.agent == g.agent)
                )
            )
            self.conn.execute(
                sa.insert(t.grants).values(
                    account_id=g.account_id, agent=g.agent, active=g.active, seq=seq
                )
            )

    def _update_hold(self, hold_id: Seq | None, delta: int) -> None:
        h = t.holds.c
        done = self.conn.execute(
            sa.update(t.holds)
            .where((h.hold_id == hold_id) & (h.remaining + delta >= 0))
            .values(remaining=h.remaining + delta)
        )
        if done.rowcount != 1:
            raise Conflict(f"hold {hold_id} has less left than released", code="exceeds_hold")

    def _apply_balances(self, seq: Seq, postings: Postings) -> None:
        n = len(postings)
        if n == 0:
            return
        distinct = n > 64 and len(set(postings.accounts)) == n
        if distinct:
            debits = [
                ((a, s, st), d)
                for a, s, st, d in zip(
                    postings.accounts,
                    postings.assets,
                    postings.states,
                    postings.deltas,
                    strict=True,
                )
                if d < 0 and st != State.SOURCE
            ]
        else:
            debits = [
                (k, d) for k, d in postings.net_by_key().items() if d < 0 and k[2] != State.SOURCE
            ]
        for (account_id, asset_id, state), delta in debits:
            done = self.conn.execute(
                sa.text(_DEBIT),
                {
                    "delta": delta,
                    "account_id": account_id,
                    "asset_id": asset_id,
                    "state": state,
                },
            )
            if done.rowcount != 1:
                raise InsufficientBalance(
                    f"account {account_id} holds less than {-delta} of asset {asset_id} "
                    f"in state {State(state).label}"
                )
        try:
            self.conn.execute(
                sa.text(_CREDIT_DISTINCT if distinct else _CREDIT_GROUPED), {"seq": seq}
            )
        except SqlIntegrityError as exc:  # only reachable if a check above was wrong
            raise InsufficientBalance("the operation would make a holding negative") from exc

    def _advance_head(self, seq: Seq, new_hash: str, plan: Plan) -> None:
        head = self.head
        new_accounts = [a.account_id for a in plan.accounts]
        next_account = max([head.next_account_id - 1, *new_accounts]) + 1
        next_asset = head.next_asset_id
        if plan.batch is not None:
            next_asset = max(next_asset, plan.batch.asset_id + 1)
        self.conn.execute(
            sa.update(t.registry_head)
            .where(t.registry_head.c.id == 1)
            .values(
                last_seq=seq,
                last_hash=new_hash,
                next_account_id=next_account,
                next_asset_id=next_asset,
            )
        )
        self._head = Head(seq, new_hash, next_account, next_asset)

    def _bulk_insert(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], n: int
    ) -> None:
        """Append rows through the driver: executemany, or COPY for big PostgreSQL loads."""
        if n == 0:
            return
        driver = self.conn.connection.driver_connection
        names = ", ".join(columns)
        if self.is_postgres:
            cursor = driver.cursor()  # type: ignore[union-attr]
            if n >= COPY_THRESHOLD:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return
        marks = ", ".join(["?"] * len(columns))
        driver.executemany(  # type: ignore[union-attr]
            f"INSERT INTO {table} ({names}) VALUES ({marks})", rows
        )

    # ---- authentication (not journaled) -------------------------------------------------
    def execute(self, statement: sa.Executable, params: Any = None) -> sa.CursorResult[Any]:
        return self.conn.execute(statement, params)


class _Cursor:
    """Walks a seq-ordered stream alongside the entries, one entry's rows at a time."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)

    def take(self, seq: Seq) -> list[Any]:
        out = []
        key = (
            "opened_seq" if self._next is not None and hasattr(self._next, "opened_seq") else "seq"
        )
        while self._next is not None and getattr(self._next, key) <= seq:
            out.append(self._next)
            self._next = next(self._rows, None)
        return out


def _columns(rows: Sequence[Sequence[int]]) -> Postings:
    cols: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    for a, s, st, d in rows:
        cols[0].append(a)
        cols[1].append(s)
        cols[2].append(st)
        cols[3].append(d)
    return Postings(*(array("q", c) for c in cols))


class SqlStore:
    """Opens units of work on one database; migrates its schema on first use."""

    def __init__(self, url: str | None = None, *, migrate_schema: bool = True) -> None:
        from pctrade.adapters.sql.engine import database_url, make_engine, migrate

        self.url = database_url(url)
        self.engine = make_engine(self.url)
        if migrate_schema:
            migrate(self.engine)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def writer(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=True)

    def reader(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, write=False)

    def dispose(self) -> None:
        self.engine.dispose()
