"""The market's sequencer: each command of a contract in turn, several per transaction.

**One matcher per contract.** A command runs in a writing unit of work of the
registry's store that has taken the contract's lock — its ``market_contracts`` row
``FOR UPDATE`` on PostgreSQL; on SQLite the writer holds the database (``BEGIN
IMMEDIATE``) — so, across threads and processes, one command of a contract runs at a
time. Under the lock the command's key is looked up in the command log (a replay is
answered from it), the command takes the contract's next ``seq``, finds this process's
book at the contract's last seq (``market.books``: rebuilt from the registry when
another process wrote), and writes its entries and rows (``market.frame._Run``).

**Group commit.** A transaction's commit (a WAL flush) and its locks cost more than an
order's own work, and an order makes 1.7 entries on average, so one transaction per
order cannot pass the registry's own floor of bare one-entry transactions. The commands
of this process wait in one *lane*, and the first to arrive leads: it takes the
commands waiting behind it, up to ``GROUP_MAX``, runs them one after the other in one
transaction and commits once; then it hands the lane to the next command waiting, and
every caller of the group gets its answer. (One lane for all contracts: SQLite has one
writer, and on PostgreSQL every group holds the journal head from its start to its
commit, so groups of several contracts would only queue there, in smaller groups.) So
that each command's outcome is exactly what it would be alone, in the same order:

- the group locks all its contracts first (in the order of their ids, so that two
  groups of two processes never wait on each other), then takes the journal head: no
  other commit comes between two commands of a group;
- the commands run in their order of arrival, each with the next seq of its contract,
  and each sees what the ones before it wrote (the same transaction);
- a refused command changes nothing: a refusal raised before it wrote anything (the
  checks of an order come before its first entry) leaves the transaction as it was;
  any other failure rolls the whole group back, which then runs again with each
  command in a savepoint of its own (``_Mode``), the failed one rolled back to it. Its
  rows are never sent (``Pending``), and if it used the contract's book, the book and
  what this process knows of it are dropped, so the next command rebuilds them from
  the transaction as it stands;
- keys: the group's keys are looked up together with the locks; a key a command of the
  same group has logged is looked up again, so the second use answers the first's
  receipt (or ``idempotency_key_reused``), as it would after a commit;
- nobody is answered before the commit. If the group's transaction fails as a whole
  (the commit, or a failure no savepoint undoes), nothing of it is recorded, the books
  of its contracts are dropped, and each command runs again alone, in its own
  transaction — as if the group had never been tried.

A crash loses only commands nobody was answered for. A group of one runs as a lone
command always did: no savepoint, and its failure rolls its transaction back.

Block trades and auctions (``market.blocks``, ``market.auctions``) run in ``command``, a
frame their own code fills: such a command waits for the lane like any other and runs
alone, in a transaction of its own.

Two commands of different contracts under one caller's key may run in two processes at
once (they hold different locks); the second to write its command log row finds the
key taken by the unique index, rolls back (the group too, which runs again) and
answers as if it had come second: a replay of the first's answer, or
``idempotency_key_reused``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from pctrade.kernel.errors import NotFound, PctradeError
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.write import check_key
from pctrade.market.frame import OPEN, _Raced, _replay, _Run
from pctrade.market.sql import store as db

if TYPE_CHECKING:
    from pctrade.market.service import Market

# Commands in one transaction at most: each waits for the group's one commit, so a bound
# keeps the wait short; and on PostgreSQL a transaction of more than 64 subtransactions
# (savepoints that wrote) slows every snapshot taken meanwhile. (The lane's queue needs
# no bound of its own: each command in it is a caller's thread waiting for its answer.)
GROUP_MAX = 32

Body = Callable[[_Run], JsonDict]


class _Mode(Enum):
    """How a transaction runs its commands (see the module)."""

    ALONE = "alone"  # one command: its failure rolls the transaction back
    TRUSTING = "trusting"  # no savepoints: a failure that wrote rolls the group back
    SAVEPOINTS = "savepoints"  # each command in a savepoint of its own


class _Unclean(Exception):
    """A command of a group without savepoints failed after it wrote: roll back all."""


@dataclass(slots=True, eq=False)
class _Job:
    """A command waiting in a lane: what to run, and once run, its outcome."""

    actor: str
    key: str
    code: str
    fingerprint: str
    body: Body | None  # None: the caller runs its own frame (``Sequencer.command``)
    account_id: int | None = None  # the account an order names, if any
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # its caller leads the lane's next group
    done: bool = False
    answer: JsonDict | None = None
    error: BaseException | None = None
    raced: bool = False  # its key was committed by another contract's command meanwhile

    def outcome(self) -> JsonDict:
        if self.error is not None:
            raise self.error
        if self.answer is None:
            raise RuntimeError(f"the command under key {self.key!r} ran without an answer")
        return self.answer


@dataclass(slots=True)
class _Lane:
    """The commands of this process waiting for their turn, in order of arrival."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    queue: deque[_Job] = field(default_factory=deque)
    busy: bool = False  # a caller leads a group now


class Sequencer:
    """Runs the market's commands in turn, in groups (see the module)."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self._lane = _Lane()

    # ---- what callers use ---------------------------------------------------------------
    def run(self, actor: str, key: str, cmd: Any, body: Body) -> JsonDict:
        """Run ``body`` as a command of ``cmd.contract``; its answer, or the replay's."""
        check_key(key)
        account = getattr(cmd, "account_id", None)
        account_id = account if type(account) is int else None
        job = _Job(actor, key, cmd.contract, cmd.fingerprint(), body, account_id)
        lane = self._lane
        self._wait_turn(lane, job)
        if not job.done:  # this caller leads the next group
            group = self._take(lane, job)
            try:
                self._run_group(group)
            finally:
                self._hand_on(lane, job, group)
        return job.outcome()

    @contextmanager
    def command(
        self, actor: str, key: str, code: str, cmd: Command
    ) -> Iterator[tuple[_Run, JsonDict | None]]:
        """The frame of one command the caller's code fills, run alone in its turn; a
        command that came second to its key on another contract raises ``_Raced`` with
        its answer (``frame.answers_races`` returns it)."""
        check_key(key)
        job = _Job(actor, key, code, cmd.fingerprint(), None)
        lane = self._lane
        self._wait_turn(lane, job)
        try:
            self._take(lane, job)
            with self.m.store.writer() as uow:
                contracts, priors = db.contracts_and_commands(uow, [code], [(actor, key)])
                contract = contracts.get(code)
                if contract is None:
                    raise NotFound(f"no contract {code}", code="unknown_contract")
                run = _Run(self.m, uow, contract, actor, int(contract["last_seq"]) + 1)
                prior = priors.get((actor, key))
                if prior is not None:
                    yield run, _replay(prior, key, job.fingerprint)
                    return
                try:
                    yield run, None
                    _follow(run)
                    uow.commit()
                except db.KeyTaken:
                    self.m.books.drop(run.cid)
                    job.raced = True
                except BaseException:
                    self.m.books.drop(run.cid)  # rebuilt from what was committed
                    raise
        finally:
            self._hand_on(lane, job, [job])
        if job.raced:
            raise _Raced(self._raced_answer(job))

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """A turn of this process's lane with no command in it: none of this process's
        commands changes a book meanwhile (an operator's check of a book needs that)."""
        job = _Job("registry", "", "", "", None)
        lane = self._lane
        self._wait_turn(lane, job)
        try:
            self._take(lane, job)
            yield
        finally:
            self._hand_on(lane, job, [job])

    def waiting(self) -> int:
        """How many commands of this process wait for their turn now (a gauge)."""
        with self._lane.lock:
            return len(self._lane.queue)

    # ---- lanes ----------------------------------------------------------------------------
    @staticmethod
    def _wait_turn(lane: _Lane, job: _Job) -> None:
        """Queue ``job``; return when a leader ran it, or when its caller is to lead."""
        with lane.lock:
            lane.queue.append(job)
            if not lane.busy:
                lane.busy = job.lead = True
        if job.lead:
            # Let the callers a group has just answered, ready to send their next
            # command, queue behind this one before it takes its group: without this
            # pause, groups of all callers alternate with groups of one.
            time.sleep(0)
        else:
            job.wake.wait()

    @staticmethod
    def _take(lane: _Lane, leader: _Job) -> list[_Job]:
        """The leader's group: the commands waiting from the front of the lane, the
        leader first; a frame its caller fills (``command``) is a group of its own."""
        with lane.lock:
            if not lane.queue or lane.queue[0] is not leader:
                raise RuntimeError("a group's leader is not first in its lane")
            group = [lane.queue.popleft()]
            while leader.body is not None and lane.queue and len(group) < GROUP_MAX:
                if lane.queue[0].body is None:
                    break
                group.append(lane.queue.popleft())
        return group

    @staticmethod
    def _hand_on(lane: _Lane, leader: _Job, group: list[_Job]) -> None:
        """Answer the group's callers and give the lane to the next command waiting."""
        with lane.lock:
            for job in group:
                job.done = True
            following = lane.queue[0] if lane.queue else None
            if following is None:
                lane.busy = False
            else:
                following.lead = True
        for job in group:
            if job is not leader:
                job.wake.set()
        if following is not None:
            following.wake.set()

    # ---- a group's transaction ----------------------------------------------------------
    def _run_group(self, group: list[_Job]) -> None:
        try:
            if len(group) == 1:
                self._in_one_transaction(group, _Mode.ALONE)
            else:
                try:
                    self._in_one_transaction(group, _Mode.TRUSTING)
                except _Unclean:  # rolled back whole: again, each command in a savepoint
                    self._in_one_transaction(group, _Mode.SAVEPOINTS)
        except Exception as exc:
            if len(group) == 1:
                group[0].answer, group[0].error = None, exc
                return
            # Nothing of the group is recorded: each command again, alone.
            for job in group:
                self._run_group([job])
            return
        for job in group:
            if job.raced:
                try:
                    job.answer = self._raced_answer(job)
                except Exception as exc:
                    job.error = exc

    def _in_one_transaction(self, group: list[_Job], mode: _Mode) -> None:
        with self.m.store.writer() as uow:
            codes = sorted({job.code for job in group})
            keys = [(job.actor, job.key) for job in group]
            contracts, priors = db.contracts_and_commands(uow, codes, keys)
            try:
                if mode != _Mode.ALONE:
                    # The journal head, held from here to the commit (a savepoint rolled
                    # back never lets it go): nothing commits between two commands of the
                    # group. And the statuses of the accounts its orders name, in one read.
                    accounts = [job.account_id for job in group if job.account_id is not None]
                    self.m.registry.journal.read_statuses_in(uow, accounts)
                    uow.head  # noqa: B018
                logged: set[tuple[str, str]] = set()
                for job in group:
                    self._one(uow, job, contracts, priors, logged, mode)
                if mode == _Mode.ALONE and (group[0].error is not None or group[0].raced):
                    return  # nothing to commit: the writer rolls back
                uow.commit()
            except BaseException:
                for row in contracts.values():  # what this process knows went uncommitted
                    self.m.books.drop(int(row["contract_id"]))
                raise

    def _one(
        self,
        uow: UnitOfWork,
        job: _Job,
        contracts: dict[str, db.Row],
        priors: dict[tuple[str, str], db.Row],
        logged: set[tuple[str, str]],
        mode: _Mode,
    ) -> None:
        """Run one command of a group; its answer or refusal is kept on ``job``."""
        job.answer, job.error, job.raced = None, None, False
        contract = contracts.get(job.code)
        if contract is None:
            job.error = NotFound(f"no contract {job.code}", code="unknown_contract")
            return
        pair = (job.actor, job.key)
        prior = db.command_by_key(uow, *pair) if pair in logged else priors.get(pair)
        if prior is not None:
            try:
                job.answer = _replay(prior, job.key, job.fingerprint)
            except Exception as exc:
                job.error = exc
            return
        body = job.body
        if body is None:
            raise RuntimeError("a frame its caller fills runs alone (``command``)")
        run = _Run(self.m, uow, dict(contract), job.actor, int(contract["last_seq"]) + 1)
        if mode == _Mode.SAVEPOINTS:
            uow.savepoint()
        try:
            answer = body(run)
            _follow(run)
        except Exception as exc:
            # A refusal raised before the command wrote anything leaves the transaction
            # as it was; anything else must be undone.
            clean = isinstance(exc, PctradeError) and not run.wrote
            if mode == _Mode.TRUSTING and not clean:
                raise _Unclean from exc
            if mode == _Mode.SAVEPOINTS:
                uow.rollback_to_savepoint()
            if run.known.book is not None or not clean:
                self.m.books.drop(run.cid)  # rebuilt from the transaction as it stands
            if isinstance(exc, db.KeyTaken):
                job.raced = True
            else:
                job.error = exc
            return
        if mode == _Mode.SAVEPOINTS:
            uow.release_savepoint()
        job.answer = answer
        contracts[job.code] = run.contract  # its seq, order id, day and reference price
        if run.logged:
            logged.add(pair)

    def _raced_answer(self, job: _Job) -> JsonDict:
        """The answer to a command whose key another contract's command committed first."""
        with self.m.store.reader() as uow:
            prior = db.command_by_key(uow, job.actor, job.key)
        if prior is None:  # the unique index saw it committed, so it is there
            raise RuntimeError(f"the command under key {job.key!r} vanished")
        return _replay(prior, job.key, job.fingerprint)


def _follow(run: _Run) -> None:
    """Send the command's rows, and let what this process knows follow it (a failure
    before the commit drops it)."""
    run.flush()
    known = run.known
    for order_id, row in run.orders.items():
        if row["state"] == OPEN:
            known.orders[order_id] = row
        else:
            known.orders.pop(order_id, None)
            for hold_id, _asset in known.holds.pop(order_id, ()):
                known.left.pop(hold_id, None)
