"""Postings and the balance rules they must keep.

A posting changes one balance — (account, asset, state) — by a signed integer delta.
Every journal entry is a set of postings that sums to zero per asset, so units are
never created or destroyed, only moved (issuance and cash deposits move them out of a
source account, whose ``source`` balance goes negative and records how much exists).

Postings are stored column-wise in ``array('q')`` so that an entry with a million of
them (a bulk issuance or a pool payout) is hashed and written without a Python object
per posting.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pctrade.kernel.errors import InsufficientBalance, TerminalState, ValidationError
from pctrade.ledger.model import (
    SOURCE_ACCOUNTS,
    TERMINAL_STATES,
    AccountId,
    AssetId,
    State,
)

BalanceKey = tuple[AccountId, AssetId, int]


class Posting(NamedTuple):
    account_id: AccountId
    asset_id: AssetId
    state: State
    delta: int


def _le_bytes(column: array[int]) -> bytes:
    if sys.byteorder == "little":
        return column.tobytes()
    swapped = array("q", column)
    swapped.byteswap()
    return swapped.tobytes()


@dataclass(frozen=True, slots=True)
class Postings:
    """Column-wise postings of one entry, in order."""

    accounts: array[int]
    assets: array[int]
    states: array[int]
    deltas: array[int]

    @classmethod
    def of(cls, rows: Iterable[Posting]) -> Postings:
        try:
            return cls._of(rows)
        except OverflowError as exc:
            raise ValidationError(
                "a quantity is beyond the 64-bit range", code="out_of_range"
            ) from exc

    @classmethod
    def _of(cls, rows: Iterable[Posting]) -> Postings:
        cols: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        for account_id, asset_id, state, delta in rows:
            cols[0].append(account_id)
            cols[1].append(asset_id)
            cols[2].append(int(state))
            cols[3].append(delta)
        return cls(*(array("q", c) for c in cols))

    @classmethod
    def fan_out(
        cls,
        asset_id: AssetId,
        source: Posting,
        account_ids: Iterable[AccountId],
        amounts: Iterable[int],
        state: State = State.AVAILABLE,
    ) -> Postings:
        """One posting out of ``source`` and one posting per recipient, in ``state``
        (``available``; green energy is credited ``uncollected``).

        Built straight into columns: this is the shape of bulk issuance and payouts.
        """
        accounts = array("q", [source.account_id])
        accounts.extend(account_ids)
        deltas = array("q", [source.delta])
        deltas.extend(amounts)
        n = len(accounts)
        if len(deltas) != n:
            raise ValidationError("recipients and amounts differ in length", code="bad_request")
        states = array("q", [int(state)]) * n
        states[0] = int(source.state)
        return cls(accounts, array("q", [asset_id]) * n, states, deltas)

    def __len__(self) -> int:
        return len(self.deltas)

    def __iter__(self) -> Iterator[Posting]:
        for a, s, st, d in zip(self.accounts, self.assets, self.states, self.deltas, strict=True):
            yield Posting(a, s, State(st), d)

    def negated(self) -> Postings:
        return Postings(
            array("q", self.accounts),
            array("q", self.assets),
            array("q", self.states),
            array("q", (-d for d in self.deltas)),
        )

    def digest(self) -> str:
        """SHA-256 over the four columns as little-endian int64: cheap for millions."""
        h = hashlib.sha256()
        for column in (self.accounts, self.assets, self.states, self.deltas):
            h.update(_le_bytes(column))
        return h.hexdigest()

    def net_by_key(self) -> dict[BalanceKey, int]:
        net: dict[BalanceKey, int] = {}
        for a, s, st, d in zip(self.accounts, self.assets, self.states, self.deltas, strict=True):
            key = (a, s, st)
            net[key] = net.get(key, 0) + d
        return net


def check_postings(postings: Postings) -> None:
    """What an entry's postings must satisfy on their own, before any state is read.

    Written with ``array`` methods that run in C (``count``, ``index``, ``min``) so that
    a million-posting entry is checked in milliseconds; int64 range is the arrays' own.
    """
    if len(postings) == 0:
        return
    if 0 in postings.deltas:
        raise ValidationError("a posting may not be zero", code="non_positive")
    _check_states(postings)
    _check_balanced(postings)


_VALID_STATES = frozenset(int(s) for s in State)
_TERMINAL = frozenset(int(s) for s in TERMINAL_STATES)


def _positions(column: array[int], value: int) -> list[int]:
    found, start = [], 0
    for _ in range(column.count(value)):
        start = column.index(value, start) + 1
        found.append(start - 1)
    return found


def _check_states(postings: Postings) -> None:
    present = set(postings.states)
    if not present <= _VALID_STATES:
        raise ValidationError(
            f"unknown holding state {min(present - _VALID_STATES)}", code="bad_state"
        )
    for state in present & _TERMINAL:
        if any(postings.deltas[i] < 0 for i in _positions(postings.states, state)):
            raise TerminalState(
                "surrendered, retired, cancelled, spent and expired units never move again"
            )
    source_rows = _positions(postings.states, State.SOURCE)
    source_accounts = sum(postings.accounts.count(a) for a in SOURCE_ACCOUNTS)
    if len(source_rows) != source_accounts or any(
        postings.accounts[i] not in SOURCE_ACCOUNTS for i in source_rows
    ):
        raise ValidationError(
            "only the issuance and cash-gateway accounts hold a source balance",
            code="bad_state",
        )


def _check_balanced(postings: Postings) -> None:
    assets = postings.assets
    if assets.count(assets[0]) == len(assets):  # one asset: the bulk case, no dict needed
        unbalanced = {assets[0]: sum(postings.deltas)}
    else:
        unbalanced = _sums_by_asset(assets, postings.deltas)
    off = {a: n for a, n in unbalanced.items() if n != 0}
    if off:
        raise ValidationError(f"entry does not balance per asset: {off}", code="unbalanced")


# Beyond this many postings, an entry's sums per asset are taken run by run (below).
_RUNS_FROM = 4_096
# ... for at most this many runs; the rest row by row (an entry of many short runs).
_RUNS_MAX = 64


def _sums_by_asset(assets: array[int], deltas: array[int]) -> dict[int, int]:
    """Σ delta per asset, exactly (Python integers). A bulk entry with more than one
    asset keeps each asset's postings together (a pool sale: its cash payouts, then its
    frozen draws), so each such run is found and summed by C-level ``count`` and
    ``sum`` over slices, not a Python step per posting; whatever is not in one run per
    asset is summed row by row."""
    sums: dict[int, int] = {}
    start, n = 0, len(assets)
    if n > _RUNS_FROM:
        for _ in range(_RUNS_MAX):
            if start == n:
                return sums
            asset = assets[start]
            size = assets.count(asset)
            if asset in sums or assets[start : start + size].count(asset) != size:
                break  # this asset's postings are not one run from here
            sums[asset] = sum(deltas[start : start + size])
            start += size
    for asset_id, delta in zip(assets[start:], deltas[start:], strict=True):
        sums[asset_id] = sums.get(asset_id, 0) + delta
    return sums


def apply_to(balances: Mapping[BalanceKey, int], postings: Postings) -> dict[BalanceKey, int]:
    """The new value of every balance the postings touch; refuses any negative result.

    ``balances`` needs only the touched keys; a missing key is zero.
    """
    result: dict[BalanceKey, int] = {}
    for key, delta in postings.net_by_key().items():
        value = balances.get(key, 0) + delta
        if value < 0 and key[2] != State.SOURCE:
            raise InsufficientBalance(
                f"account {key[0]} holds {balances.get(key, 0)} of asset {key[1]} "
                f"in state {State(key[2]).label}; {-delta} needed"
            )
        result[key] = value
    return result
