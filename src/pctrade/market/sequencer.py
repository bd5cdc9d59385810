"""The market's sequencer: the transaction, lock and seq of each command of a contract.

``Sequencer.command`` is the frame every command of a contract runs in (orders through
``Market``, block trades, auctions); see ``market.service`` for what it does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pctrade.kernel.errors import NotFound
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.write import check_key
from pctrade.market.frame import OPEN, _Raced, _replay, _Run
from pctrade.market.sql import store as db

if TYPE_CHECKING:
    from pctrade.market.service import Market


class Sequencer:
    """Runs each command of a contract in its frame, one at a time per contract."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self._guard = threading.Lock()
        self._turns: dict[str, threading.Lock] = {}
        self._per_contract = bool(getattr(market.store, "is_postgres", False))

    @contextmanager
    def command(
        self, actor: str, key: str, code: str, cmd: Command
    ) -> Iterator[tuple[_Run, JsonDict | None]]:
        """The frame of a command (see ``market.service``); a command that came second to
        its key on another contract raises ``_Raced`` with its answer (``run`` returns it)."""
        check_key(key)
        fingerprint = cmd.fingerprint()
        with self._turn(code), self.m.store.writer() as uow:
            contract, prior = db.contract_and_command(uow, code, actor, key)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            run = _Run(self.m, uow, contract, actor, int(contract["last_seq"]) + 1)
            if prior is not None:
                yield run, _replay(prior, key, fingerprint)
                return
            try:
                yield run, None
                run.flush()
                # What this process knows follows the command, while it holds the lock
                # (a failed commit drops it below).
                known = run.known
                for order_id, row in run.orders.items():
                    if row["state"] == OPEN:
                        known.orders[order_id] = row
                    else:
                        known.orders.pop(order_id, None)
                        known.holds.pop(order_id, None)
                uow.commit()
            except db.KeyTaken:
                self.m.books.drop(run.cid)
            except BaseException:
                self.m.books.drop(run.cid)  # rebuilt from what was committed
                raise
            else:
                return
        # The key was committed meanwhile by a command of another contract: answer as
        # the second of two commands under one key does.
        with self.m.store.reader() as uow:
            prior = db.command_by_key(uow, actor, key)
        if prior is None:  # the unique index saw it committed, so it is there
            raise RuntimeError(f"the command under key {key!r} vanished")
        raise _Raced(_replay(prior, key, fingerprint))

    def _turn(self, code: str) -> threading.Lock:
        """The lock this process's threads queue on before a command of ``code``.

        The database's lock is what keeps one matcher per contract across processes;
        this one only hands the turn from thread to thread at once. SQLite has one writer
        for everything, whose waiters poll it with growing sleeps (``busy_timeout``), so
        there it is one lock for every contract; PostgreSQL locks each contract's row.
        """
        name = code if self._per_contract else ""
        with self._guard:
            turn = self._turns.get(name)
            if turn is None:
                turn = self._turns[name] = threading.Lock()
        return turn

    def run(self, actor: str, key: str, cmd: Any, body: Callable[[_Run], JsonDict]) -> JsonDict:
        """Run ``body`` as a command of ``cmd.contract``; its answer, or the replay's."""
        try:
            with self.command(actor, key, cmd.contract, cmd) as (run, replay):
                return replay if replay is not None else body(run)
        except _Raced as raced:
            return raced.answer
