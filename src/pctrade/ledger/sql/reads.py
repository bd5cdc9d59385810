"""The SQL unit of work's reads: parties, accounts, batches, balances, holds, entries.

Parties, accounts and batches come from the store's cache once committed (they are
never edited); everything else is read in the unit's transaction, so a writer reads
what is current. ``stream_journal`` and the ``stored_*`` streams are ``verify``'s: the
journal in order with its rows, and the derived tables to compare with its replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pctrade.ledger.invariants import StoredEntry
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import (
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
from pctrade.ledger.operations import OpType
from pctrade.ledger.postings import BalanceKey, Postings
from pctrade.ledger.sql.rows import (
    _ENTRY_COLS,
    STREAM_CHUNK,
    HoldRow,
    _account,
    _batch,
    _columns,
    _Cursor,
    _entry,
    _hold,
    _party,
)
from pctrade.ledger.sql.unit import UnitBase
from pctrade.ledger.status import Standing


def _letters(i: int) -> str:
    """0 → a, 25 → z, 26 → aa, …"""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("a") + r) + out
    return out


# The states whose sums are a batch's supply (green energy, not a batch, has its own).
_SUPPLY = HOLDING_STATES


class Reads(UnitBase):
    """Registry state as a unit of work reads it: cached rows, balances, the journal."""

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

    def batches_page(self, after: AssetId, n: int) -> list[Batch]:
        sql = (
            "SELECT asset_id, denomination, issued_g, issued_seq FROM batches"
            " WHERE asset_id > :after ORDER BY asset_id LIMIT :n"
        )
        return [_batch(r) for r in self._q(sql, {"after": after, "n": n})]

    def last_serial(self, series: Series) -> int:
        # Not from the cache: the caller holds the journal head, and reads what the last
        # holder committed (READ COMMITTED takes a snapshot per statement).
        sql = (
            "SELECT MAX(serial) FROM batches WHERE instrument = :i AND jurisdiction = :j"
            " AND project = :p AND vintage = :v"
        )
        params = {
            "i": str(series.instrument),
            "j": series.jurisdiction,
            "p": series.project,
            "v": series.vintage,
        }
        return int(self._q(sql, params).scalar_one() or 0)

    def supply(self, asset_id: AssetId) -> dict[State, int]:
        # One pass over the balances: there is no index by asset (every bulk issue would
        # pay for it), and one sum per state needs no sort, as a GROUP BY would.
        sums = ", ".join(
            f"COALESCE(SUM(CASE WHEN state = {int(s)} THEN amount END), 0)" for s in _SUPPLY
        )
        row = self._q(f"SELECT {sums} FROM balances WHERE asset_id = :s", {"s": asset_id}).one()
        return {s: int(v) for s, v in zip(_SUPPLY, row, strict=True) if v}

    def supplies(self) -> dict[AssetId, dict[State, int]]:
        # One GROUP BY over the balances, for a page of every batch's totals.
        states = ", ".join(str(int(s)) for s in _SUPPLY)
        sql = (
            "SELECT asset_id, state, SUM(amount) FROM balances"
            f" WHERE state IN ({states}) GROUP BY asset_id, state"
        )
        found: dict[AssetId, dict[State, int]] = {}
        for asset_id, state, total in self._q(sql):
            if total:
                found.setdefault(int(asset_id), {})[State(state)] = int(total)
        return found

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

    # ---- account status ------------------------------------------------------------
    def account_statuses(
        self, account_ids: Sequence[AccountId] | None
    ) -> dict[AccountId, AccountStatus]:
        """The accounts among ``account_ids`` (None: all) that are not open.

        Read in the unit's transaction, never cached: a status changes.
        """
        open_ = int(AccountStatus.OPEN)
        sql = f"SELECT account_id, status FROM account_status WHERE status <> {open_}"
        params: dict[str, Any] = {}
        if account_ids is not None:
            if not account_ids:
                return {}
            # Named by letters: the PostgreSQL spelling of ``:name`` takes no digits.
            params = {f"id{_letters(i)}": a for i, a in enumerate(account_ids)}
            sql += f" AND account_id IN ({', '.join(':' + name for name in params)})"
        return {int(r[0]): AccountStatus(r[1]) for r in self._q(sql, params)}

    def standing(self, account_id: AccountId) -> Standing:
        row = self._q(
            "SELECT status, reason, seq FROM account_status WHERE account_id = :a",
            {"a": account_id},
        ).one_or_none()
        return Standing() if row is None else Standing(AccountStatus(row[0]), row[1], row[2])

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

    # ---- positions at an earlier seq ---------------------------------------------------
    def net_postings_after(
        self, account_ids: Sequence[AccountId], seq: Seq
    ) -> list[tuple[AccountId, AssetId, State, int]]:
        sql = (
            "SELECT account_id, asset_id, state, SUM(delta) FROM postings"
            f" WHERE account_id IN ({self._id_list('ids', 'bigint')}) AND seq > :seq"
            " GROUP BY account_id, asset_id, state"
        )
        rows = self._q(sql, {"ids": self._list_param(account_ids), "seq": seq})
        return [(int(r[0]), int(r[1]), State(r[2]), int(r[3])) for r in rows]

    def holds_opened_by(self, account_ids: Sequence[AccountId], seq: Seq) -> list[HoldRow]:
        sql = (
            "SELECT hold_id, account_id, asset_id, reason, reference, amount, remaining"
            f" FROM holds WHERE account_id IN ({self._id_list('ids', 'bigint')})"
            " AND hold_id <= :seq ORDER BY hold_id"
        )
        return [_hold(r) for r in self._q(sql, {"ids": self._list_param(account_ids), "seq": seq})]

    def entries_posting_after(
        self, account_ids: Sequence[AccountId], seq: Seq, state: State
    ) -> Iterator[Entry]:
        sql = (
            f"SELECT {_ENTRY_COLS} FROM entries WHERE seq IN (SELECT seq FROM postings"
            f" WHERE account_id IN ({self._id_list('ids', 'bigint')}) AND seq > :seq"
            " AND state = :st) ORDER BY seq"
        )
        params = {"ids": self._list_param(account_ids), "seq": seq, "st": int(state)}
        for row in self._q(sql, params):
            yield _entry(row)

    # ---- retirement certificates ---------------------------------------------------------
    def legacy_certificate_token(self, seq: Seq) -> str | None:
        sql = "SELECT token FROM certificate_tokens WHERE seq = :s"
        value = self._q(sql, {"s": seq}).scalar_one_or_none()
        return None if value is None else str(value)

    def legacy_certificate_tokens(self) -> Iterator[tuple[Seq, str]]:
        for r in self._stream("SELECT seq, token FROM certificate_tokens ORDER BY seq"):
            yield int(r[0]), str(r[1])

    def retirements(self) -> Iterator[tuple[Seq, JsonDict]]:
        sql = f"SELECT seq, payload FROM entries WHERE op_type = '{OpType.RETIRE}' ORDER BY seq"
        for r in self._stream(sql):
            yield int(r[0]), json.loads(r[1])

    def entry_by_key(self, actor: PartyId, idem_key: str) -> Entry | None:
        row = self._q(
            f"SELECT {_ENTRY_COLS} FROM entries WHERE actor = :a AND idem_key = :k",
            {"a": actor, "k": idem_key},
        ).one_or_none()
        return None if row is None else _entry(row)

    def request_by_key(self, actor: PartyId, idem_key: str) -> tuple[str, str, str] | None:
        sql = "SELECT request_hash, result, ts FROM requests WHERE actor = :a AND idem_key = :k"
        row = self._q(sql, {"a": actor, "k": idem_key}).one_or_none()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]))

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
        """Each listed person's individual account (the first, if there were several),
        closed accounts left out: nothing is credited to one again (``ledger.status``)."""
        sql = (
            "SELECT owner, MIN(account_id) FROM accounts"
            f" WHERE holder_type = '{HolderType.INDIVIDUAL}'"
            f" AND owner IN ({self._id_list('ids', 'text')})"
            " AND account_id NOT IN (SELECT account_id FROM account_status"
            f" WHERE status = {int(AccountStatus.CLOSED)}) GROUP BY owner"
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

    def stored_statuses(self) -> Iterator[tuple[AccountId, int]]:
        for r in self._stream("SELECT account_id, status FROM account_status"):
            yield r[0], r[1]
