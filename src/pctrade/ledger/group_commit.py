"""Group commit: many registry operations, one transaction, one flush.

Each operation still runs alone — in its own savepoint, atomic, idempotent, journaled
under its own sequence number — but one writer thread commits a group of them together.
The price of durability (a WAL flush) and of holding the journal head is then paid once
per group instead of once per operation, which is what lets many concurrent callers
(API requests, a pool paying out) go faster than one flush per operation allows.

A caller blocks until its group has committed; an operation that fails is rolled back
to its savepoint and reported to its caller alone. If the group's transaction fails as
a whole (its commit, or an operation that broke it), nothing of the group is recorded
and each operation not yet answered runs again alone, in its own transaction.

The group's unit of work is lean (see ``SqlUnitOfWork``): on PostgreSQL a small
operation is one statement, sent without waiting for its answer while the next one is
planned, and its savepoint is only sent when it needs one. Its answer is read before the
commit; a refused one is reported to its caller (who asks again carefully).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from pctrade.ledger.ports import Store, UnitOfWork

GROUP_MAX = 256
QUEUE_MAX = 10_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Job:
    work: Callable[[UnitOfWork], object]
    future: Future[object]


class GroupCommitter:
    def __init__(self, store: Store, *, group_max: int = GROUP_MAX) -> None:
        self._store = store
        self._group_max = group_max
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=QUEUE_MAX)
        self._thread = threading.Thread(target=self._loop, name="pctrade-group-commit", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` inside the next group's transaction; its result once committed."""
        future: Future[object] = Future()
        self._queue.put(_Job(work, future))
        return future.result()  # type: ignore[return-value]

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            while len(jobs) < self._group_max:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    closing = True
                    break
                jobs.append(job)
            self._run_group(jobs)

    def _run_group(self, jobs: list[_Job]) -> None:
        done: list[tuple[int, _Job, object]] = []
        try:
            with self._store.writer(lean=True) as uow:
                for op, job in enumerate(jobs):
                    uow.savepoint()
                    try:
                        result = job.work(uow)
                    except Exception as exc:  # this operation only: the group goes on
                        uow.rollback_to_savepoint()
                        job.future.set_exception(exc)
                        continue
                    uow.release_savepoint()
                    done.append((op, job, result))
                uow.settle()  # entries still in flight: which were refused
                uow.commit()
                refused = uow.refused_ops
        except Exception:
            # Nothing of the group is recorded. Rather than fail every caller for one
            # operation's fault, run each one not yet answered alone.
            for job in jobs:
                if not job.future.done():
                    self._run_alone(job)
            return
        for op, job, result in done:
            if op in refused:
                job.future.set_exception(refused[op])
            else:
                job.future.set_result(result)

    def _run_alone(self, job: _Job) -> None:
        try:
            with self._store.writer() as uow:
                result = job.work(uow)
                uow.commit()
        except Exception as exc:
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)
