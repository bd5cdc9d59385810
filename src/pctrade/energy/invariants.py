"""What ``verify`` checks of green energy: statement lines, collections and lapses.

An ``energy_credit`` entry's payload records the SHA-256 digest of its statement lines
(``energy.model``), so the entry's hash covers them; the lines themselves are
stored beside the journal, in the energy context's own table. The energy context
audits them (``energy.sql.lines.audit_lines``, registered in ``energy.context``): per
entry, in journal order, it recomputes the digest from the stored lines, so a line
edited after the fact no longer matches. Lines stored beside any other entry are stray.
The ledger's replay never reads them: it checks the chain, which covers the digest.

Collection (``energy.model``) is checked from the journal alone. Each
``energy_collect`` entry must move exactly its payload's grams of one holder's energy,
``uncollected`` → ``available`` and ``expired``, and nothing else
(``check_collection``); and, following every credit, collection and expiry in order
(``CollectionTracker``), what it collected must be exactly the valid part of the
holder's uncollected energy at its cutoff, as must what an expiry run lapsed be exactly
the old part: energy older than the expiry period is never collected, and valid energy
never lapsed. Whether each credit was made under the rule in force at its seq (before
``energy_collecting_since``: to available; after it: uncollected) is an audit of the
context's tables (``energy.sql.collections``).

Problems (codes are stable):

    energy_lines_mismatch        a credit's stored lines hash to another digest than its payload's
    stray_energy_lines           lines stored beside an entry that is not an energy credit
    energy_collection_mismatch   a collection's postings differ from its payload, or it
                                 collected other than the valid uncollected energy
    energy_lapse_mismatch        an expiry run lapsed other than the old uncollected energy
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pctrade.energy.model import EnergyOp, lines_digest, uncollected_split
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.model import ENERGY_ASSET, AccountId, Seq, State


def check_lines(
    seq: Seq, payload: Mapping[str, object] | None, lines: Sequence[Iterable[object]]
) -> Iterator[Problem]:
    """The problems of the lines stored under entry ``seq``, in stored order.

    ``payload``: the entry's payload when it is an energy credit, None when it is an
    entry of another type (or no entry at all).
    """
    if payload is None:
        if lines:
            yield Problem("stray_energy_lines", "lines stored beside a non-credit", seq)
        return
    if lines_digest(lines) != payload.get("lines_digest"):
        yield Problem("energy_lines_mismatch", "stored energy lines were altered", seq)


def check_collection(entry: StoredEntry) -> Iterator[Problem]:
    """An ``energy_collect`` entry moves its payload's grams of one holder, and no more."""
    p = entry.header.payload
    seq = entry.header.seq
    try:
        account = int(p["account"])
        collected, lapsed = int(p["collected_g"]), int(p["lapsed_g"])
    except (KeyError, TypeError, ValueError):
        yield Problem("energy_collection_mismatch", "a collection without its amounts", seq)
        return
    want = {
        (account, ENERGY_ASSET, int(State.UNCOLLECTED)): -(collected + lapsed),
        (account, ENERGY_ASSET, int(State.AVAILABLE)): collected,
        (account, ENERGY_ASSET, int(State.EXPIRED)): lapsed,
    }
    got = {k: d for k, d in entry.postings.net_by_key().items() if d != 0}
    if collected <= 0 or lapsed < 0 or got != {k: d for k, d in want.items() if d != 0}:
        yield Problem(
            "energy_collection_mismatch", "a collection's postings differ from its payload", seq
        )


@dataclass(slots=True)
class _Pending:
    """One holder's uncollected energy: the credits since their last collection, oldest
    first, as (entry time, grams), and the balance left of them."""

    credits: list[tuple[str, int]] = field(default_factory=list)
    balance_g: int = 0

    def split(self, cutoff: str) -> tuple[int, int]:
        return uncollected_split(self.balance_g, sum(g for ts, g in self.credits if ts > cutoff))


@dataclass(slots=True)
class CollectionTracker:
    """Replays every holder's uncollected energy and judges collections and lapses."""

    pending: dict[AccountId, _Pending] = field(default_factory=dict)

    def feed(self, entry: StoredEntry) -> Iterable[Problem]:
        op = entry.header.op_type
        if op == EnergyOp.CREDIT:
            self._credit(entry)
        elif op == EnergyOp.COLLECT:
            return self._collect(entry)
        elif op == EnergyOp.EXPIRE:
            return self._lapse(entry)
        return ()

    def finish(self) -> Iterable[Problem]:
        return ()

    def _credit(self, entry: StoredEntry) -> None:
        ts = entry.header.ts
        for (account, asset, state), delta in entry.postings.net_by_key().items():
            if asset == ENERGY_ASSET and state == State.UNCOLLECTED and delta > 0:
                pending = self.pending.setdefault(account, _Pending())
                pending.credits.append((ts, delta))
                pending.balance_g += delta

    def _collect(self, entry: StoredEntry) -> list[Problem]:
        p = entry.header.payload
        seq = entry.header.seq
        try:
            account, cutoff = int(p["account"]), str(p["cutoff"])
            got = (int(p["collected_g"]), int(p["lapsed_g"]))
        except (KeyError, TypeError, ValueError):
            return []  # ``check_collection`` reports it
        pending = self.pending.pop(account, _Pending())
        if got != pending.split(cutoff):
            valid, lapsed = pending.split(cutoff)
            message = (
                f"account {account} collected {got[0]} g and lapsed {got[1]} g;"
                f" by {cutoff} it had {valid} g valid and {lapsed} g old"
            )
            return [Problem("energy_collection_mismatch", message, seq)]
        return []

    def _lapse(self, entry: StoredEntry) -> list[Problem]:
        cutoff = str(entry.header.payload.get("cutoff", ""))
        problems: list[Problem] = []
        for (account, asset, state), delta in entry.postings.net_by_key().items():
            if asset != ENERGY_ASSET or state != State.UNCOLLECTED:
                continue
            pending = self.pending.get(account, _Pending())
            _, old = pending.split(cutoff)
            if -delta != old:
                message = f"account {account} lapsed {-delta} g; {old} g were older than {cutoff}"
                problems.append(Problem("energy_lapse_mismatch", message, entry.header.seq))
            pending.balance_g += delta
            # What is left is the credits after the cutoff: the older ones are gone.
            pending.credits = [(ts, g) for ts, g in pending.credits if ts > cutoff]
        return problems
