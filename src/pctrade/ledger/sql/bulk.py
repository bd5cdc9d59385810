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

# SQLite fan-out: deltas keyed by their 0-based index in the array (a rowid lookup),
# then one INSERT … SELECT over the account array; posting idx = array index + 1.
_FAN_OUT_DELTAS_TABLE = "CREATE TEMP TABLE fan_out_deltas (k INTEGER PRIMARY KEY, v INTEGER)"

_FAN_OUT_DELTAS = "INSERT INTO temp.fan_out_deltas (k, v) SELECT key, value FROM json_each(?)"

_FAN_OUT_POSTINGS = """
INSERT INTO postings (seq, idx, account_id, asset_id, state, delta)
SELECT ?1, a.key + 1, a.value, ?2, ?3, d.v
FROM json_each(?4) AS a JOIN temp.fan_out_deltas AS d ON d.k = a.key
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


def _all_distinct(accounts: array[int]) -> bool:
    """Whether no account repeats; bulk recipients usually come sorted, checked in C."""
    ids = np.frombuffer(accounts, dtype=np.int64)
    rest = ids[1:]
    if len(rest) > 1 and bool(np.all(rest[1:] > rest[:-1])):
        # Sorted after the first posting (a fan-out's source): only the first can repeat.
        at = int(np.searchsorted(rest, ids[0]))
        return not (at < len(rest) and int(rest[at]) == int(ids[0]))
    return len(np.unique(ids)) == len(ids)


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
