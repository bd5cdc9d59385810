"""An entry's postings and balance changes, at any size.

Balance strategy: the ``balances`` table is kept current inside each operation, from
the operation's own postings. The few balances an entry lowers are updated key by key,
each guarded so it cannot go below zero (an entry that lowers many, such as an energy
expiry for a million people, does the same in one guarded ``UPDATE … FROM``);
everything it raises is applied in one set-based ``INSERT … SELECT`` from the postings
just appended (a plain append for a new batch, an upsert otherwise). A
million-recipient issuance is thus one bulk append of postings (COPY on PostgreSQL,
JSON arrays unpacked in C on SQLite) plus one set-based statement — never a Python
loop of upserts.
"""

from __future__ import annotations

import itertools
import json
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from pctrade.kernel.errors import InsufficientBalance
from pctrade.ledger.model import (
    AccountId,
    AssetId,
    Seq,
    State,
)
from pctrade.ledger.packed_np import Column
from pctrade.ledger.postings import BalanceKey, Postings
from pctrade.ledger.sql.pgcopy import copy_binary, encode_chunks
from pctrade.ledger.sql.rows import BULK_THRESHOLD, _Result
from pctrade.ledger.sql.unit import UnitBase

# Debits first, key by key and guarded. They are not folded into the upsert below
# because SQLite checks CHECK constraints on the row it would insert before it sees
# the conflict, so a negative candidate row fails even when the existing row suffices.
_DEBIT = """
UPDATE balances SET amount = amount + :d
WHERE account_id = :a AND asset_id = :s AND state = :st AND amount + :d >= 0
"""

# The source state's code, written into the statements below from the enum: balances
# in it may be negative.
_SOURCE = int(State.SOURCE)
# Many debits in one entry: one guarded, set-based update; the caller compares the
# rowcount with the number of debited keys, so a short balance fails the whole entry.
_DEBIT_GROUPED = f"""
UPDATE balances SET amount = balances.amount + g.d
FROM (SELECT account_id, asset_id, state, SUM(delta) AS d FROM postings
      WHERE seq = :seq AND state <> {_SOURCE}
      GROUP BY account_id, asset_id, state HAVING SUM(delta) < 0) AS g
WHERE balances.account_id = g.account_id AND balances.asset_id = g.asset_id
  AND balances.state = g.state AND balances.amount + g.d >= 0
"""

# The same when every balance key of the entry is its own (``_keys_distinct``).
_DEBIT_DISTINCT = f"""
UPDATE balances SET amount = balances.amount + p.delta
FROM (SELECT account_id, asset_id, state, delta FROM postings
      WHERE seq = :seq AND state <> {_SOURCE} AND delta < 0) AS p
WHERE balances.account_id = p.account_id AND balances.asset_id = p.asset_id
  AND balances.state = p.state AND balances.amount + p.delta >= 0
"""

DEBITS_KEYWISE_MAX = 64

_CREDIT_GROUPED = f"""
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, SUM(delta) FROM postings WHERE seq = :seq
GROUP BY account_id, asset_id, state HAVING SUM(delta) > 0 OR state = {_SOURCE}
ORDER BY account_id, asset_id, state
ON CONFLICT (account_id, asset_id, state) DO UPDATE SET amount = balances.amount + excluded.amount
"""

# When every posting of an entry has its own balance key there is nothing to group.
_CREDIT_DISTINCT = f"""
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, delta FROM postings
WHERE seq = :seq AND (delta > 0 OR state = {_SOURCE})
ON CONFLICT (account_id, asset_id, state) DO UPDATE SET amount = balances.amount + excluded.amount
"""

# A new batch has no balance rows yet: its issuance is a plain append.
_CREDIT_NEW_ASSET = """
INSERT INTO balances (account_id, asset_id, state, amount)
SELECT account_id, asset_id, state, delta FROM postings WHERE seq = :seq
"""

_POSTING_KEYS = ("seq", "idx", "a", "s", "st", "d")

_INSERT_POSTING = """
INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)
VALUES (:seq, :idx, :a, :s, :st, :d)
"""

# SQLite, a run of postings of one asset and state: deltas keyed by their 0-based index
# in the array (a rowid lookup), then one INSERT … SELECT over the account array;
# posting idx = the run's first idx + array index.
_FAN_OUT_DELTAS_TABLE = "CREATE TEMP TABLE fan_out_deltas (k INTEGER PRIMARY KEY, v INTEGER)"

_FAN_OUT_DELTAS = "INSERT INTO temp.fan_out_deltas (k, v) SELECT key, value FROM json_each(?)"

_FAN_OUT_POSTINGS = """
INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)
SELECT ?1, ?2 + a.key, a.value, ?3, ?4, d.v
FROM json_each(?5) AS a JOIN temp.fan_out_deltas AS d ON d.k = a.key
"""


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


def _debit_count(postings: Postings) -> int:
    deltas = np.frombuffer(postings.deltas, dtype=np.int64)
    states = np.frombuffer(postings.states, dtype=np.int64)
    return int(np.count_nonzero((deltas < 0) & (states != State.SOURCE)))


def _run_starts(assets: Column, states: Column) -> Column:
    """Where a new run of one (asset, state) begins, after the first."""
    return np.flatnonzero((assets[1:] != assets[:-1]) | (states[1:] != states[:-1])) + 1


def _keys_distinct(postings: Postings) -> bool:
    """Whether no (account, asset, state) repeats, without sorting millions of keys
    where the postings come in ascending runs (a fan-out, a pool sale's payouts and
    draws): per (asset, state), the longest run's accounts ascending, and the others'
    few accounts neither repeated nor in it."""
    if _all_distinct(postings.accounts, sort=False):
        return True
    accounts, assets, states = (
        np.frombuffer(c, dtype=np.int64)
        for c in (postings.accounts, postings.assets, postings.states)
    )
    bounds = [0, *_run_starts(assets, states).tolist(), len(accounts)]
    by_key: dict[tuple[int, int], list[Column]] = {}
    for start, end in itertools.pairwise(bounds):
        by_key.setdefault((int(assets[start]), int(states[start])), []).append(accounts[start:end])
    for runs in by_key.values():
        main = max(runs, key=len)
        rest = np.concatenate([r for r in runs if r is not main] or [main[:0]])
        if len(main) > 1 and not bool(np.all(main[1:] > main[:-1])):
            return _all_distinct(postings.accounts)  # not in runs: the general check
        if len(np.unique(rest)) != len(rest):
            return False
        at = np.searchsorted(main, rest).clip(0, max(len(main) - 1, 0))
        if len(rest) and len(main) and bool(np.any(main[at] == rest)):
            return False
    return True


def _all_distinct(accounts: array[int], *, sort: bool = True) -> bool:
    """Whether no account repeats; bulk recipients usually come sorted, checked in C."""
    ids = np.frombuffer(accounts, dtype=np.int64)
    rest = ids[1:]
    if len(rest) > 1 and bool(np.all(rest[1:] > rest[:-1])):
        # Sorted after the first posting (a fan-out's source): only the first can repeat.
        at = int(np.searchsorted(rest, ids[0]))
        return not (at < len(rest) and int(rest[at]) == int(ids[0]))
    return sort and len(np.unique(ids)) == len(ids)


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


class BulkWrites(UnitBase):
    """Postings and balances: COPY, SQLite's JSON fan-out, guarded set-based debits."""

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
        if not self.is_postgres and n >= BULK_THRESHOLD and self._write_runs_sqlite(seq, postings):
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

    def _write_runs_sqlite(self, seq: Seq, postings: Postings) -> bool:
        """Append a bulk entry's postings run by run (a run: postings of one asset and
        state, such as a fan-out's recipients, or a pool sale's payouts and draws).

        Binding a million six-column rows through ``executemany`` costs more than the
        B-tree insert itself, so in a long run the two columns that vary travel as JSON
        arrays that SQLite unpacks in C (``json_each``); SQLite parses JSON integers
        exactly as 64-bit integers. The short runs between them go through
        ``executemany``. An entry without a long run returns False: the general path.
        """
        accounts, assets, states, deltas = (
            np.frombuffer(c, dtype=np.int64)
            for c in (postings.accounts, postings.assets, postings.states, postings.deltas)
        )
        n = len(deltas)
        bounds = [0, *_run_starts(assets, states).tolist(), n]
        runs = list(itertools.pairwise(bounds))
        if not any(end - start >= BULK_THRESHOLD for start, end in runs):
            return False
        short: list[tuple[int, ...]] = []
        driver: Any = self.conn.connection.driver_connection
        for start, end in runs:
            if end - start < BULK_THRESHOLD:
                short.extend(
                    (seq, i, int(accounts[i]), int(assets[i]), int(states[i]), int(deltas[i]))
                    for i in range(start, end)
                )
                continue
            driver.execute(_FAN_OUT_DELTAS_TABLE)
            try:
                driver.execute(_FAN_OUT_DELTAS, (json.dumps(deltas[start:end].tolist()),))
                run = (seq, start, int(assets[start]), int(states[start]))
                params = (*run, json.dumps(accounts[start:end].tolist()))
                driver.execute(_FAN_OUT_POSTINGS, params)
            finally:
                driver.execute("DROP TABLE temp.fan_out_deltas")
        if short:
            driver.executemany(
                "INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                short,
            )
        return True

    def _apply_balances(self, seq: Seq, postings: Postings, *, new_asset: bool) -> None:
        n = len(postings)
        if n == 0:
            return
        distinct = n > 64 and _keys_distinct(postings)
        debited = _debit_count(postings) if distinct else 0
        if debited > DEBITS_KEYWISE_MAX:
            # Every debit its own key: no grouping, and no Python tuple per debit.
            self._debit_grouped(seq, debited, _DEBIT_DISTINCT)
        else:
            debits = _debits(postings, distinct)
            if len(debits) > DEBITS_KEYWISE_MAX:
                self._debit_grouped(seq, len(debits))
            else:
                self._debit_keywise(debits)
        # A new batch's issuance to distinct accounts: every posting is a new balance.
        appended = new_asset and distinct and _all_distinct(postings.accounts)
        if appended and self.is_postgres and n >= BULK_THRESHOLD:
            # Every key is new and the rows are the postings themselves: COPY them from
            # the arrays rather than have the server read the postings back.
            self._copy_new_balances(postings)
            return
        credit = _CREDIT_GROUPED
        if distinct:
            credit = _CREDIT_NEW_ASSET if appended else _CREDIT_DISTINCT
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

    def _debit_grouped(self, seq: Seq, keys: int, sql: str = _DEBIT_GROUPED) -> None:
        done = self._q(sql, {"seq": seq})

        def check() -> None:
            if done.rowcount != keys:
                raise InsufficientBalance(
                    f"{keys - done.rowcount} of {keys} balances hold less than the entry takes"
                )

        self._check_later(check)
