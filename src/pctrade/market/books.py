"""The order books this process keeps, one per contract, beside what it knows of them.

A contract's ``OrderBook`` and its ``_Known`` (the open orders' rows, their holds' ids,
the T+n purchases read so far) are valid exactly as long as the book's ``last_seq`` is
the contract's. A command finds them here (``Books.book``); when they are missing or
stale — another process wrote, or a command of this one failed and ``drop`` discarded
them — the book is rebuilt from the day's orders in the registry
(``OrderBook.rebuild``), in the command's own transaction, so it is the book as of the
contract's last seq as that transaction sees it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pctrade.kernel.errors import NotFound
from pctrade.market.engine import (
    BookState,
    ClosedOrder,
    OrderBook,
    OrderState,
    RestingOrder,
    Side,
    TradingParams,
)
from pctrade.market.frame import FILLED, OPEN, _Known, _Run
from pctrade.market.sql import store as db

if TYPE_CHECKING:
    from pctrade.market.service import Market


class Books:
    """This process's books and what it knows of each contract, by contract id."""

    def __init__(self, market: Market) -> None:
        self.m = market
        self._books: dict[int, OrderBook] = {}
        self._known: dict[int, _Known] = {}
        self._guard = threading.Lock()

    def forget(self) -> None:
        with self._guard:
            self._books.clear()
            self._known.clear()

    def drop(self, contract_id: int) -> None:
        """Discard the contract's book: the next command rebuilds it from the registry."""
        with self._guard:
            self._books.pop(contract_id, None)
            self._known.pop(contract_id, None)

    def book(self, run: _Run, params: TradingParams) -> OrderBook:
        """The contract's book at its last seq: this process's, or rebuilt from the registry.

        ``run.known`` becomes what this process knows of the contract beside it.
        """
        with self._guard:
            book = self._books.get(run.cid)
            known = self._known.get(run.cid)
        last_seq = int(run.contract["last_seq"])
        if book is None or book.last_seq != last_seq or known is None or known.book is not book:
            rows = rows_of_day(run)
            book = OrderBook.rebuild(params, state_of(run, rows))
            known = _Known(book, {int(r["order_id"]): r for r in rows if r["state"] == OPEN})
            with self._guard:
                self._books[run.cid] = book
                self._known[run.cid] = known
        elif book.params != params:
            book.set_params(params)
        run.known = known
        return book

    def book_state(self, code: str) -> tuple[BookState, BookState]:
        cached, rebuilt = self.cached_and_rebuilt(code)
        return (rebuilt if cached is None else cached), rebuilt

    def cached_and_rebuilt(self, code: str) -> tuple[BookState | None, BookState]:
        """This process's book of ``code`` and the book the registry rebuilds, as states.

        They are equal unless this process's book is stale (another process wrote since,
        which the next command repairs); an operator's check after a restart.
        """
        with self.m.store.reader() as uow:
            contract = db.contract(uow, code)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            run = _Run(self.m, uow, contract, "registry", int(contract["last_seq"]))
            rebuilt = state_of(run, rows_of_day(run))
        with self._guard:
            book = self._books.get(run.cid)
        return (None if book is None else book.snapshot()), rebuilt


def rows_of_day(run: _Run) -> list[db.Row]:
    """Every order of the contract's open trading day (none when no day is open)."""
    day = run.contract["trading_day"]
    return [] if day is None else db.orders_of_day(run.uow, run.cid, str(day))


def state_of(run: _Run, rows: list[db.Row]) -> BookState:
    """The book's state as the day's order rows record it, at the contract's last seq."""
    open_ = [
        RestingOrder(
            int(r["order_id"]),
            r["client_order_id"],
            r["owner"],
            Side(r["side"]),
            int(r["price_fen_per_t"]),
            int(r["quantity_g"]),
            int(r["filled_g"]),
            int(r["priority_seq"]),
        )
        for r in rows
        if r["state"] == OPEN
    ]
    closed = [
        ClosedOrder(
            int(r["order_id"]),
            r["owner"],
            OrderState.FILLED if r["state"] == FILLED else OrderState.CANCELLED,
        )
        for r in rows
        if r["state"] != OPEN
    ]
    return BookState(
        last_seq=int(run.contract["last_seq"]),
        last_order_id=int(run.contract["last_order_id"]),
        open_orders=tuple(sorted(open_, key=lambda o: o.priority_seq)),
        closed_orders=tuple(closed),
        client_order_ids=tuple(sorted({(r["owner"], r["client_order_id"]) for r in rows})),
    )
