"""Rows the SQL store reads, the caches it keeps across units of work, its cursors.

Parties, accounts and batches are never edited once committed, so a store keeps them
in a bounded cache (``ImmutableRows``), and the newest journal head it saw committed
(``LastHead``) for writers that chain to it optimistically. ``_Result`` and ``_Cursor``
are the few shapes the hand-written SQL is read in.
"""

from __future__ import annotations

import json
import re
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pctrade.ledger.journal import Entry, EntryHeader
from pctrade.ledger.model import (
    Account,
    AccountId,
    AssetId,
    Batch,
    Denomination,
    HolderType,
    Party,
    Role,
    Seq,
)
from pctrade.ledger.postings import Postings

BULK_THRESHOLD = 2_000

STREAM_CHUNK = 50_000

_HEAD = "SELECT last_seq, last_hash, next_account_id, next_asset_id FROM registry_head WHERE id = 1"

_ENTRY_COLS = (
    "seq, op_type, actor, idem_key, request_hash, ts, payload, posting_count, prev_hash, hash"
)

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
    """From (asset_id, denomination, issued_g, issued_seq, methodology)."""
    return Batch(row[0], Denomination.parse(row[1]), row[2], row[3], row[4])


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
