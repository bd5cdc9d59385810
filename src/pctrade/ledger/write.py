"""The one write path: ``Journal.execute`` records an operation, or refuses it whole.

Every change to holdings is an entry in the journal, and every entry is written here.
A context (the registry's own operations, energy, sinks, carbon-inclusive issuance, and
the market, pools and compliance to come) brings three things:

- a **command**, whose fingerprint makes the idempotency key safe to reuse: the same
  actor and key with the same command answer the entry already recorded (a replay),
  with another command an ``IdempotencyConflict``;
- a **planner** ``(uow, acting party) -> Plan``: it checks access and state and returns
  the pure plan of the entry; it runs inside the entry's transaction, after the journal
  head is taken, so what it read stays true until the entry commits;
- optionally **evidence**: rows the context keeps beside the entry (a sink
  sponsorship, the day's judged events, an attribution table), with the facts about
  them that the entry's hashed payload records under ``"evidence"`` so that ``verify``
  can check the rows against the journal. They are written in the entry's transaction:
  a refusal while writing them rolls the entry back too. A replay writes none (they
  were written with the entry it replays).

``execute`` opens a writing unit of work (or joins the next group commit), looks the key
up, plans, appends, writes the evidence and commits. Any error leaves nothing written.

**Lean, then careful.** A small operation (a transfer, freeze, surrender, …) may ask
to be tried *lean* first: where the store can re-check the key and the balances as it
writes (PostgreSQL), the unit of work says ``checks_deferred``, the planner skips
reading them, and the entry is written in one round trip. If that lean attempt is
refused for any reason — the key turned out to be used, a balance is short, the
journal head moved on, the entry needs more than one statement — nothing was written,
and the planner is **run again, the careful way**: on a fresh unit of work that reads
the key (so a replay is answered as one) and the balances (so a refusal says precisely
what is short). A planner must therefore be safe to run twice: it only reads and
returns a plan. Lean or careful, the journal is the same. Operations with evidence are
always careful: their rows need a transaction of their own.

**One idempotency mechanism.** Every write that takes an idempotency key — an entry or
not — goes through this module, with one rule for the key (``check_key``: 1 to
``IDEM_KEY_LEN_MAX`` printable ASCII characters, else ``bad_idempotency_key``) and one
answer to its reuse: the same request again is a *replay* answered with the original
result, another request under the key an ``IdempotencyConflict``
(``idempotency_key_reused``). A key is used once per actor, by one of two records:

- an **entry**, for writes that change holdings (``execute``): the entry keeps the
  command's fingerprint (hashed with it, so it never changes) and is the result;
- the **request log** (table ``requests``), for a context's write that records no entry
  — a rejected held event, a release the caps left empty, a sink reversal's plan, a
  sink project's registration, approval and closing, a monitoring report and its
  verification, a carbon-inclusive issuance's opening and decision
  (``execute_recorded``): the log keeps the fingerprint and a small JSON result (the ids
  the context answers from; ``LoggedRow`` answers a context's row with the replay flag).
  Migration 0008 logged the writes keyed before the log existed. A log row is written
  in the write's own transaction, under the journal head, so it commits or rolls back
  with the context's rows.

**System keys.** A request that makes several entries (a market order: its hold, the
settlement of each fill) keys them itself, from what it holds unique — ``system_key``:
``~`` and the parts, e.g. ``~market/<contract id>/<seq>/<n>`` under the commanding actor.
``check_key`` refuses a leading ``~`` from every client (``bad_idempotency_key``), so a
client's key can never take, or be taken by, such an entry. Such a key is new by
construction, so ``execute_in(..., fresh=True)`` does not read its prior use; the unique
index on (actor, key) still refuses a reuse, rolling the whole request back.

**Account status.** Every entry is checked here against the status of each holder
account it posts to (``ledger.status``: blocked, suspended, closed), so that no context
has to remember to. A careful attempt reads the statuses of those accounts, under the
journal head (a change of status is an entry too, so none slips in between), and
refuses with ``account_blocked``, ``account_suspended`` or ``account_closed``. A lean
one hands the store each account's limit, and its one statement checks them as it
writes; a refusal there is asked again carefully, which names the account. When no
account of the entry is restricted, which is nearly always, that costs one indexed read
of a small table (careful) or two probes inside the statement (lean).

``prior_use`` reads both records and ``replay_of`` decides: a context whose request is
not the entry's command (a sponsorship's command names the grams the project's price
made of the units asked for) passes a test of the prior use instead of a fingerprint,
so its replay is still answered before any rule is checked again.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from pctrade.kernel.clock import Clock
from pctrade.kernel.errors import Forbidden, IdempotencyConflict, PctradeError, ValidationError
from pctrade.kernel.limits import IDEM_KEY_LEN_MAX
from pctrade.ledger import access, status
from pctrade.ledger.group_commit import GroupCommitter
from pctrade.ledger.journal import Entry, JsonDict, canonical_json, format_ts, request_hash
from pctrade.ledger.model import FIRST_HOLDER_ACCOUNT, AccountId, AccountStatus, Party
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import ConcurrentKeyUse, OptimisticMiss, Store, UnitOfWork

# A client's key: printable ASCII without spaces, not starting with the system prefix.
IDEM_KEY_RE = re.compile(rf"^(?!~)[\x21-\x7e]{{1,{IDEM_KEY_LEN_MAX}}}$")
# Keys the registry's contexts derive for the entries one request makes (``system_key``).
SYSTEM_KEY_PREFIX = "~"
SYSTEM_KEY_RE = re.compile(rf"^~[\x21-\x7e]{{1,{IDEM_KEY_LEN_MAX - 1}}}$")
# Up to this many postings, the statuses of an entry's accounts are read by their ids;
# beyond (a bulk entry), every account not open is read and matched in memory.
STATUS_IDS_MAX = 64


def check_key(key: str) -> None:
    """The one rule for an idempotency key, for every write."""
    if not isinstance(key, str) or not IDEM_KEY_RE.match(key):
        reserved = isinstance(key, str) and key.startswith(SYSTEM_KEY_PREFIX)
        raise ValidationError(
            f"idempotency keys starting with {SYSTEM_KEY_PREFIX!r} are the registry's own"
            if reserved
            else f"idempotency key must be 1-{IDEM_KEY_LEN_MAX} printable ASCII characters",
            code="bad_idempotency_key",
        )


def system_key(*parts: str | int) -> str:
    """The key of an entry a context makes for a request, from parts it holds unique.

    It starts with ``SYSTEM_KEY_PREFIX``, which ``check_key`` refuses from every client,
    so no client's key can ever be the same (the market's ``~market/<contract>/<seq>/<n>``:
    its contract's seq is taken under the contract's lock and commits with the entries).
    """
    key = SYSTEM_KEY_PREFIX + "/".join(str(p) for p in parts)
    if not SYSTEM_KEY_RE.match(key):
        raise ValueError(f"not a system key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class Prior:
    """What an actor's key was first used for: an entry, or a logged write without one."""

    request_hash: str
    entry: Entry | None = None
    result: JsonDict | None = None  # a logged write's result


def prior_use(uow: UnitOfWork, actor_id: str, key: str) -> Prior | None:
    """The entry or the logged write this actor's key was used for, if any."""
    entry = uow.entry_by_key(actor_id, key)
    if entry is not None:
        return Prior(entry.header.request_hash, entry=entry)
    logged = uow.request_by_key(actor_id, key)
    if logged is None:
        return None
    return Prior(logged[0], result=json.loads(logged[1]))


def replay_of(
    uow: UnitOfWork, actor_id: str, key: str, same: str | Callable[[Prior], bool]
) -> Prior | None:
    """The prior use of the key when this request replays it; None when the key is new.

    ``same``: the request's fingerprint, or a test that the prior use was this request.
    Another request under the key is refused (``IdempotencyConflict``).
    """
    check_key(key)
    prior = prior_use(uow, actor_id, key)
    if prior is None:
        return None
    if prior.request_hash != same if isinstance(same, str) else not same(prior):
        where = "" if prior.entry is None else f" (entry {prior.entry.seq})"
        raise IdempotencyConflict(
            f"idempotency key {key!r} was already used for a different request{where}"
        )
    return prior


class LoggedWithoutEntry(Exception):
    """``execute``'s key was used, for the same command, by a logged write that made no
    entry (a context may take either path for one command, e.g. a release the caps left
    empty): the context answers the replay from its own rows."""

    def __init__(self, result: JsonDict) -> None:
        super().__init__("the request was logged without an entry")
        self.result = result


@dataclass(frozen=True, slots=True)
class Request:
    """A context's request that records no entry, as its fingerprint sees it."""

    name: str
    fields: JsonDict

    def fingerprint(self) -> str:
        return request_hash({"request": self.name, **self.fields})


@dataclass(frozen=True, slots=True)
class Logged:
    """What ``execute_recorded`` returns: the write's result, and whether it is a replay."""

    result: JsonDict
    replayed: bool = False


class LoggedRow(dict[str, Any]):
    """The context's row a logged write answers with (a project, a report), read after
    the write, and whether it answers an earlier identical request (``replayed``). A
    dict, so a caller reads it as the row it is; the flag tells an API to say replay."""

    __slots__ = ("replayed",)

    def __init__(self, row: Mapping[str, Any], replayed: bool) -> None:
        super().__init__(row)
        self.replayed = replayed


# Plans one operation inside its transaction, for the party doing it.
Planner = Callable[[UnitOfWork, Party], Plan]


class Command(Protocol):
    """What ``execute`` needs of a command: the fingerprint its key is bound to."""

    def fingerprint(self) -> str: ...


class Evidence(Protocol):
    """Rows written beside a new entry, in its transaction, and the facts about them.

    ``facts``: recorded in the entry's hashed payload under ``"evidence"`` (None: the
    payload gets no such key), so ``verify`` can check the rows against the entry.
    ``write`` may refuse by raising, which rolls the entry back too.
    """

    @property
    def facts(self) -> JsonDict | None: ...

    def write(self, uow: UnitOfWork, entry: Entry) -> None: ...


@dataclass(frozen=True, slots=True)
class RowsBeside:
    """Evidence written by a function of the context (its rows), with optional facts."""

    rows: Callable[[UnitOfWork, Entry], None]
    facts: JsonDict | None = None

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        self.rows(uow, entry)


def acting_party(uow: UnitOfWork, actor_id: str) -> Party:
    """The party an operation is done by; an unknown one may do nothing."""
    party = uow.party(actor_id)
    if party is None:
        raise Forbidden(f"unknown actor {actor_id!r}", code="unknown_actor")
    return party


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a write returns: the entry it recorded, and whether this was a replay."""

    entry: Entry
    replayed: bool = False

    @property
    def seq(self) -> int:
        return self.entry.seq

    @property
    def payload(self) -> JsonDict:
        return self.entry.header.payload


def _with_evidence(plan: Plan, evidence: Evidence | None) -> Plan:
    facts = None if evidence is None else evidence.facts
    if facts is not None:
        plan.payload["evidence"] = facts
    return plan


def _statuses_allow(
    uow: UnitOfWork,
    plan: Plan,
    by_authority: bool,
    seen: dict[AccountId, AccountStatus] | None = None,
) -> dict[AccountId, AccountStatus] | None:
    """Refuse ``plan`` if an account it posts to has a status beyond what it allows.

    Careful: read the statuses and refuse here, naming the accounts. Deferred (lean):
    return every account's limit, for the store's statement to check as it writes.
    ``seen``: the statuses read already in this unit of work, under the journal head
    (``execute_in``'s entries); only the accounts not among them are read.
    """
    postings = plan.postings
    if not len(postings):
        return None
    if uow.checks_deferred:
        return status.limits(postings, by_authority)
    ids: list[AccountId] | None = None
    if len(postings) <= STATUS_IDS_MAX:
        ids = sorted({a for a in postings.accounts if a >= FIRST_HOLDER_ACCOUNT})
        if not ids:
            return None
    uow.head  # noqa: B018 - hold the head: no change of status commits before this entry
    if seen is not None and ids is not None:
        unknown = [a for a in ids if a not in seen]
        if unknown:
            read = uow.account_statuses(unknown)
            seen.update({a: read.get(a, AccountStatus.OPEN) for a in unknown})
        restricted = {a: seen[a] for a in ids if seen[a] != AccountStatus.OPEN}
    else:
        restricted = uow.account_statuses(ids)
    if by_authority:  # only a closed account refuses an authority (``ledger.status``)
        restricted = {a: s for a, s in restricted.items() if s == AccountStatus.CLOSED}
    if restricted and ids is None:  # a bulk entry: judge only its own accounts
        posted = set(postings.accounts)
        restricted = {a: s for a, s in restricted.items() if a in posted}
    if not restricted:
        return None
    found = status.refusal(status.limits(postings, by_authority, only=restricted), restricted)
    if found is not None:
        raise found
    return None


class Journal:
    """Writes entries: idempotency, the lean and careful paths, and group commit."""

    def __init__(self, store: Store, clock: Clock, *, group_commit: bool = False) -> None:
        """``group_commit``: commit concurrent callers' operations together (a server)."""
        self.store = store
        self.clock = clock
        self._group = GroupCommitter(store) if group_commit else None
        # Per writing unit of work ``execute_in`` writes to: the account statuses read
        # under its journal head, which only its own entries could change since.
        self._statuses_seen: WeakKeyDictionary[UnitOfWork, dict[AccountId, AccountStatus]] = (
            WeakKeyDictionary()
        )
        self._guard = threading.Lock()

    def close(self) -> None:
        """Stop the group-commit writer, if there is one."""
        if self._group is not None:
            self._group.close()
            self._group = None

    def execute(
        self,
        actor_id: str,
        key: str,
        command: Command,
        planner: Planner,
        evidence: Evidence | None = None,
        *,
        lean: bool = False,
    ) -> Receipt:
        """Record ``command`` as planned by ``planner``, once per (actor, key).

        ``lean``: the operation is small, so try it lean first. A refusal of the lean
        attempt re-runs the planner the careful way (see the module), so the caller
        sees either the entry or the careful path's precise refusal.
        """
        check_key(key)
        fingerprint = command.fingerprint()
        careful = not lean or evidence is not None
        try:
            return self._attempt(actor_id, key, fingerprint, planner, evidence, careful)
        except (ConcurrentKeyUse, OptimisticMiss):
            # A concurrent request with the same key committed first (answered as a
            # replay), or the lean attempt could not be written as planned.
            return self._attempt(actor_id, key, fingerprint, planner, evidence, True)
        except PctradeError:
            if careful:
                raise
            # The lean attempt skipped the reads that tell a replay from a refusal, and
            # say precisely what is short: ask again, carefully.
            return self._attempt(actor_id, key, fingerprint, planner, evidence, True)

    def _attempt(
        self,
        actor_id: str,
        key: str,
        fingerprint: str,
        planner: Planner,
        evidence: Evidence | None,
        careful: bool,
    ) -> Receipt:
        def work(uow: UnitOfWork) -> Receipt:
            uow.start_operation(defer_checks=not careful)
            return self._apply(uow, actor_id, key, fingerprint, planner, evidence)

        if self._group is not None:
            return self._group.submit(work)
        with self.store.writer(lean=not careful, autocommit=not careful) as uow:
            receipt = work(uow)
            uow.commit()
            return receipt

    def _apply(
        self,
        uow: UnitOfWork,
        actor_id: str,
        key: str,
        fingerprint: str,
        planner: Planner,
        evidence: Evidence | None,
        *,
        fresh: bool = False,
        seen: dict[AccountId, AccountStatus] | None = None,
    ) -> Receipt:
        prior = None
        if not (uow.checks_deferred or fresh):
            prior = replay_of(uow, actor_id, key, fingerprint)
        if prior is not None:
            if prior.entry is None:
                raise LoggedWithoutEntry(prior.result or {})
            return Receipt(prior.entry, replayed=True)
        who = acting_party(uow, actor_id)
        plan = _with_evidence(planner(uow, who), evidence)
        limits = _statuses_allow(uow, plan, access.is_authority(who), seen)
        ts = format_ts(self.clock())
        entry = uow.append(plan, actor_id, key, fingerprint, ts, status_limits=limits)
        if seen is not None and plan.status is not None:
            seen.clear()  # this entry changed a status: read them again
        if evidence is not None:
            evidence.write(uow, entry)
        return Receipt(entry)

    def execute_in(
        self,
        uow: UnitOfWork,
        actor_id: str,
        key: str,
        command: Command,
        planner: Planner,
        evidence: Evidence | None = None,
        *,
        fresh: bool = False,
    ) -> Receipt:
        """Record one more entry in a writing unit of work its caller opened and commits.

        For a context whose one request makes several entries that must commit or roll
        back together (the market: an order's holds and the settlement of each fill it
        causes, with the contract's rows beside them). Each entry is careful, keyed and
        checked as ``execute``'s; the caller holds the writer (``store.writer()``) and
        commits it, so an error anywhere leaves none of them written.

        ``fresh``: ``key`` is a ``system_key`` the caller made unique (see the module), so
        its prior use is not read; a reuse is still refused by the unique index.
        """
        if fresh:
            if not SYSTEM_KEY_RE.match(key):
                raise ValueError(f"a fresh key is a system key, not {key!r}")
        else:
            check_key(key)
        uow.start_operation(defer_checks=False)
        fingerprint = command.fingerprint()
        with self._guard:
            seen = self._statuses_seen.setdefault(uow, {})
        return self._apply(
            uow, actor_id, key, fingerprint, planner, evidence, fresh=fresh, seen=seen
        )

    def read_statuses_in(self, uow: UnitOfWork, account_ids: Sequence[AccountId]) -> None:
        """Read, in one go, the statuses of accounts that ``execute_in``'s next entries in
        ``uow`` will post to (it reads each account's once per unit of work otherwise):
        for a caller that knows them ahead, such as a group of market commands."""
        with self._guard:
            seen = self._statuses_seen.setdefault(uow, {})
        unknown = sorted({a for a in account_ids if a >= FIRST_HOLDER_ACCOUNT} - seen.keys())
        if not unknown:
            return
        uow.head  # noqa: B018 - hold the head: no change of status commits before them
        read = uow.account_statuses(unknown)
        seen.update({a: read.get(a, AccountStatus.OPEN) for a in unknown})

    def execute_recorded(
        self,
        actor_id: str,
        key: str,
        command: Command,
        work: Callable[[UnitOfWork, Party], JsonDict],
    ) -> Logged:
        """Do a write that records no entry, once per (actor, key), like ``execute``.

        ``work`` checks access and state and writes the context's rows in the unit of
        work's transaction, returning the result a replay answers (small JSON: ids).
        The same command again answers that result; another one, or a key an entry
        used, is an ``IdempotencyConflict``. Taking the journal head serialises it with
        every entry, so a key cannot be used by both at once.
        """
        check_key(key)
        fingerprint = command.fingerprint()
        with self.store.writer() as uow:
            uow.head  # noqa: B018 - the head lock orders this write among the entries
            prior = replay_of(uow, actor_id, key, fingerprint)
            if prior is not None:
                if prior.entry is not None:  # the same command wrote an entry instead
                    return Logged({"seq": prior.entry.seq}, replayed=True)
                return Logged(prior.result or {}, replayed=True)
            result = work(uow, acting_party(uow, actor_id))
            ts = format_ts(self.clock())
            uow.record_request(actor_id, key, fingerprint, canonical_json(result), ts)
            uow.commit()
            return Logged(result)
