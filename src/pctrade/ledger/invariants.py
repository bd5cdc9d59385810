"""Replaying the journal alone, and the invariants every state must satisfy.

``Replay`` folds the journal entry by entry, recomputing the hash chain, every balance,
every hold and every batch's issued quantity, and collects each breach it sees as a
``Problem`` that names the entry or balance at fault. Comparing the result with the
stored derived tables (balances, holds, batches) is how ``verify`` proves that the
journal is the final word and the tables only a cache of it.

Invariants:
- the chain links and each entry's hash matches its content;
- an (actor, idempotency key) appears at most once;
- each entry balances per asset; terminal states never decrease;
- no balance other than a source balance is ever negative; no hold is drawn down
  beyond what is left of it (an entry may change several holds: ``"holds"``);
- per asset, all balances sum to zero (cash in = cash held + cash out);
- per batch, issued = available + frozen + surrendered + retired + cancelled;
- a batch of a personal instrument (PCER) is made only by a registered credit path: an
  entry of the path's op type with the path's kind of evidence (``credit_paths``);
- every account status change is a transition its status allowed, no entry posts to an
  account beyond what its status allows, and a closed account holds nothing movable
  (``ledger.status``).

These are the ledger's own. A context adds the invariants of its operations without
editing this module: it registers (``ledger.extensions``) a check per operation type,
op types that issue a batch, and trackers fed every entry; ``Replay`` runs what it is
given. The carbon-inclusive context checks that an issuance credits each person
exactly the energy it spends of theirs. Rows a context keeps beside the journal (the
energy context's statement lines) are its own audits' to check, never the replay's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pctrade.kernel.errors import PctradeError
from pctrade.ledger.journal import (
    GENESIS_HASH,
    AccountRow,
    EntryHeader,
    JsonDict,
    PartyRow,
    entry_hash,
    opened_digest,
)
from pctrade.ledger.model import (
    PERSONAL_INSTRUMENTS,
    Account,
    AccountId,
    AccountStatus,
    AssetId,
    Party,
    PartyId,
    Seq,
    State,
)
from pctrade.ledger.operations import HOLDS_PACKED, OpType
from pctrade.ledger.packed import unpack
from pctrade.ledger.postings import BalanceKey, Postings, check_postings
from pctrade.ledger.status import StatusReplay

PROBLEMS_MAX = 1_000
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    header: EntryHeader
    prev_hash: str
    hash: str
    postings: Postings
    parties: tuple[Party | PartyRow, ...] = ()
    accounts: tuple[Account | AccountRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    seq: Seq | None = None


# A check of one entry, alone: the problems it sees (none when the entry is sound).
EntryCheck = Callable[[StoredEntry], Iterable[Problem]]


class Tracker(Protocol):
    """A check that needs the whole history: fed every entry in journal order during one
    replay, then finished. A fresh one is made for each replay."""

    def feed(self, entry: StoredEntry) -> Iterable[Problem]: ...
    def finish(self) -> Iterable[Problem]: ...


@dataclass(slots=True)
class Replay:
    balances: dict[BalanceKey, int] = field(default_factory=dict)
    holds: dict[Seq, int] = field(default_factory=dict)
    issued: dict[AssetId, int] = field(default_factory=dict)
    grants: dict[tuple[AccountId, PartyId], bool] = field(default_factory=dict)
    statuses: StatusReplay = field(default_factory=StatusReplay)
    problems: list[Problem] = field(default_factory=list)
    keys: set[tuple[str, str]] = field(default_factory=set)
    last_hash: str = GENESIS_HASH
    last_seq: Seq = 0
    entries: int = 0
    postings: int = 0
    # What the contexts registered (see ``ledger.extensions``); left empty, the replay
    # checks the ledger's own invariants only.
    checks: Mapping[str, Sequence[EntryCheck]] = field(default_factory=dict)
    batch_op_types: frozenset[str] = frozenset()
    trackers: Sequence[Tracker] = ()
    # (op type, evidence kind or None): how personal credits may come into being.
    credit_paths: frozenset[tuple[str, str | None]] = frozenset()

    def flag(self, code: str, message: str, seq: Seq | None = None) -> None:
        if len(self.problems) < PROBLEMS_MAX:
            self.problems.append(Problem(code, message, seq))

    def feed(self, entry: StoredEntry) -> None:
        h = entry.header
        self._check_chain(entry)
        if (h.actor, h.idem_key) in self.keys:
            self.flag("duplicate_key", f"idempotency key {h.idem_key!r} applied twice", h.seq)
        self.keys.add((h.actor, h.idem_key))
        try:
            check_postings(entry.postings)
        except PctradeError as exc:
            self.flag("bad_postings", exc.message, h.seq)
        self._apply(h.seq, entry.postings)
        self._track(h)
        statuses = self.statuses.feed(h.op_type, h.actor, h.payload, entry.postings, entry.parties)
        for code, message in statuses:
            self.flag(code, message, h.seq)
        for check in self.checks.get(h.op_type, ()):
            self._flag_all(check(entry))
        for tracker in self.trackers:
            self._flag_all(tracker.feed(entry))
        self.entries += 1
        self.postings += len(entry.postings)

    def _check_chain(self, entry: StoredEntry) -> None:
        h = entry.header
        if h.seq != self.last_seq + 1:
            self.flag("sequence_gap", f"entry {h.seq} follows {self.last_seq}", h.seq)
        if entry.prev_hash != self.last_hash:
            self.flag("chain_broken", "previous-hash link does not match", h.seq)
        opened = opened_digest(entry.parties, entry.accounts)
        if entry_hash(entry.prev_hash, h, entry.postings.digest(), opened) != entry.hash:
            self.flag("hash_mismatch", "entry, postings or opened rows were altered", h.seq)
        # Follow the stored chain so that one altered entry is reported once, not onward.
        self.last_hash, self.last_seq = entry.hash, h.seq

    def _apply(self, seq: Seq, postings: Postings) -> None:
        for key, delta in postings.net_by_key().items():
            value = self.balances.get(key, 0) + delta
            self.balances[key] = value
            if value < 0 and key[2] != State.SOURCE:
                self.flag("negative_balance", f"balance {key} went to {value}", seq)

    def _flag_all(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.flag(problem.code, problem.message, problem.seq)

    def _track(self, h: EntryHeader) -> None:
        p = h.payload
        if "holds" in p and h.op_type not in (OpType.FREEZE, OpType.UNFREEZE):
            self._track_holds(h.seq, p["holds"])  # ``operations.holds_payload``
        if HOLDS_PACKED in p:
            self._track_packed_holds(h.seq, p[HOLDS_PACKED])
        if h.op_type == OpType.FREEZE:
            self.holds[h.seq] = int(p["quantity"])
        elif h.op_type == OpType.UNFREEZE:
            hold_id = int(p["hold_id"])
            left = self.holds.get(hold_id, 0) - int(p["quantity"])
            if hold_id not in self.holds or left < 0:
                self.flag("bad_hold", f"unfreeze of hold {hold_id} exceeds it", h.seq)
            self.holds[hold_id] = left
        elif h.op_type == OpType.AUTHORIZE:
            self.grants[(int(p["account"]), str(p["agent"]))] = bool(p["active"])
        elif h.op_type == OpType.ISSUE or h.op_type in self.batch_op_types:
            batch = p["batch"]
            self.issued[int(batch["asset_id"])] = int(batch["issued_g"])
            # The denomination names the batch in every view; a payload whose instrument
            # field said otherwise must not hide a personal batch from the check.
            named = str(batch.get("denomination", "")).split("-", 1)[0]
            if {named, batch.get("instrument")} & PERSONAL_INSTRUMENTS:
                self._check_credit_path(h.seq, h.op_type, p)

    def _check_credit_path(self, seq: Seq, op_type: str, payload: JsonDict) -> None:
        """A personal batch came by a registered path (``Problem`` otherwise)."""
        evidence = payload.get("evidence")
        kind = evidence.get("kind") if isinstance(evidence, dict) else None
        if (op_type, None) in self.credit_paths or (op_type, kind) in self.credit_paths:
            return
        self.flag(
            "personal_credit_off_path",
            f"{payload['batch']['denomination']} was issued by {op_type}"
            f"{f' ({kind})' if kind else ''}, not by a personal-credit path",
            seq,
        )

    def _track_holds(self, seq: Seq, changes: Iterable[JsonDict]) -> None:
        """Hold changes an entry records in its payload: an open, or draw-downs."""
        for change in changes:
            delta = int(change["delta"])
            if change["hold_id"] is None:
                self.holds[seq] = delta  # an opened hold is numbered by its entry
                continue
            hold_id = int(change["hold_id"])
            left = self.holds.get(hold_id, 0) + delta
            if hold_id not in self.holds or left < 0:
                self.flag("bad_hold", f"hold {hold_id} is drawn down beyond it", seq)
            self.holds[hold_id] = left

    def _track_packed_holds(self, seq: Seq, packed: JsonDict) -> None:
        """Draw-downs recorded as packed columns (``operations.HOLDS_PACKED``)."""
        try:
            drawn = unpack(packed, ("hold_id", "delta"))
        except PctradeError as exc:
            self.flag("bad_hold", f"packed hold draws: {exc.message}", seq)
            return
        ids = drawn["hold_id"]
        if any(b <= a for a, b in itertools.pairwise(ids)):
            self.flag("bad_hold", "packed hold draws are not by ascending hold id", seq)
        holds = self.holds
        for hold_id, delta in zip(ids, drawn["delta"], strict=True):
            left = holds.get(hold_id, 0) + delta
            if delta >= 0 or hold_id not in holds or left < 0:
                self.flag("bad_hold", f"hold {hold_id} is drawn down beyond it", seq)
            holds[hold_id] = left

    def finish(
        self,
        stored_balances: Iterable[tuple[BalanceKey, int]],
        stored_holds: Iterable[tuple[Seq, int]],
        stored_issued: Iterable[tuple[AssetId, int]],
        stored_grants: Iterable[tuple[tuple[AccountId, PartyId], bool]] = (),
        stored_statuses: Iterable[tuple[AccountId, int]] = (),
    ) -> None:
        """Compare the derived tables with the replay and check conservation.

        ``stored_statuses``: the account status table; an open account may have a row
        (reopened) or none (never changed), so only the others are compared.
        """
        self._compare("balance", self.balances, dict(stored_balances))
        self._compare("hold", self.holds, dict(stored_holds))
        self._compare("batch", self.issued, dict(stored_issued))
        self._compare("grant", self.grants, dict(stored_grants))
        stored_not_open = {a: s for a, s in stored_statuses if s != AccountStatus.OPEN}
        self._compare("status", self.statuses.restricted(), stored_not_open)
        for code, message in self.statuses.finish(self.balances):
            self.flag(code, message)
        totals: dict[AssetId, int] = {}
        holdings: dict[AssetId, int] = {}
        for (_, asset_id, state), value in self.balances.items():
            totals[asset_id] = totals.get(asset_id, 0) + value
            if state != State.SOURCE:
                holdings[asset_id] = holdings.get(asset_id, 0) + value
        for asset_id, total in totals.items():
            if total != 0:
                self.flag("not_conserved", f"asset {asset_id} sums to {total}, not 0")
        for asset_id, issued in self.issued.items():
            held = holdings.get(asset_id, 0)
            if held != issued:
                self.flag("issued_mismatch", f"batch {asset_id}: issued {issued}, held {held}")
        for tracker in self.trackers:
            self._flag_all(tracker.finish())

    def _compare(self, what: str, replayed: Mapping[K, int], stored: Mapping[K, int]) -> None:
        for key in replayed.keys() | stored.keys():
            want, got = replayed.get(key, 0), stored.get(key, 0)
            if want != got:
                self.flag(f"{what}_mismatch", f"{what} {key}: journal says {want}, table {got}")

    @property
    def ok(self) -> bool:
        return not self.problems
