"""The market's service: orders through the registry, one matcher per contract.

    market = Market(app.registry, app.rules)          # bootstrap wires one per app
    market.list_contract(operator, key, ListContract("PCER", "GD", "2026"))   → "PCER-GD-2026"
    market.place(actor, key, PlaceOrder("PCER-GD-2026", account, "c-1", "buy", 6_000, 5_000_000))
    market.amend(actor, key, AmendOrder(code, order_id, 6_010, 3_000_000))
    market.cancel(actor, key, CancelOrder(code, order_id))
    market.close_day(operator, key, CloseDay(code, "2026-12-07"))

Each command answers a ``JsonDict`` (the contract's ``seq``, the order, its state, the
trades and journal entries it made, ``replayed``); a refusal raises a ``PctradeError``
with a stable code and leaves nothing written.

**One transaction per command; one matcher per contract.** A command runs in one
writing unit of work of the registry's store, which

1. takes the contract's lock — its ``market_contracts`` row ``FOR UPDATE`` on PostgreSQL;
   on SQLite the writer holds the database (``BEGIN IMMEDIATE``) — so, across threads
   and processes, one command of a contract runs at a time;
2. answers a replay of the caller's idempotency key from the command log;
3. gives the command the contract's next ``seq`` (and, for a new order, order id);
4. brings this process's in-memory ``OrderBook`` up to the contract's last seq: a book
   whose ``last_seq`` is not the contract's (another process wrote, or a command of
   this one failed) is rebuilt from the day's orders in the registry (``OrderBook.rebuild``);
5. checks the session, eligibility, the numbers, funds and T+1, then runs the engine;
6. writes what the events say — the order's freeze entries (reason ``order``), one
   ``trade_settle`` entry per fill with its trade row, one unfreeze per released hold,
   the order rows — and the command's log row, through ``Journal.execute_in``;
7. commits. Any error rolls all of it back, and drops the cached book so that the next
   command rebuilds it from what was committed.

Several entries share the transaction (``Journal.execute_in``, added for this): the
alternative, a durable command log with follow-up entries written after it, would leave
a window in which a fill is matched but not settled, and a recovery step to get right.
One transaction makes a fill and its settlement, or an order and its hold, commit
together or not at all, and a restart has nothing to recover: the books are rebuilt
from the open orders, which are the registry's. The journal head is taken by the first
entry and held to the commit, so settlements of different contracts also serialise;
the contract lock is what makes the book's read-match-write one step.

Entries made by a command are keyed ``~market/<contract id>/<seq>/<n>`` under the
commanding actor (the close's: the operator), so the same command's entries are
identifiable in the journal; the caller's own key lives in ``market_commands``. Such a
key is a *system key* (``ledger.write.system_key``): no client may send a key starting
with ``~``, so a client's own keys never collide with the entries its orders make, and
since the contract's seq is new under its lock, the key is new by construction — its
prior use is not read (the journal's unique index still refuses a reuse).

Two commands of different contracts under one caller's key may run at once (they hold
different locks); the second to write its command log row finds the key taken by the
unique index, rolls back and answers as if it had come second: a replay of the first's
answer, or ``idempotency_key_reused``.

**What a command costs.** Per order, the reads that decide it and the entries it makes;
everything else is known already or sent together:

- this process keeps, beside each contract's book and valid exactly as long as the book
  (the contract's ``last_seq`` is the book's), the open orders' rows, their holds' ids
  and the T+1 purchases read so far; a command that fails drops them with the book;
- which batch belongs to which contract is cached (batches are never edited); an asset
  an account holds that the cache does not know reloads the list;
- the market rows a command writes (orders, holds of orders, trades, T+1 purchases, the
  contract's state, the command log) are sent together before it commits
  (``sql.store.Pending``: one pipelined round trip on PostgreSQL).
- the contract's lock and the key's look-up are one round trip on PostgreSQL, an order's
  holds one read, and each account's status is read once per command
  (``Journal.execute_in``);
- this process's threads queue for a contract's turn on a lock of their own before the
  database's (on SQLite one for all contracts, its writer being one): the database's
  lock still makes one matcher per contract across processes, this one hands the turn
  on at once instead of SQLite's busy polling with growing sleeps.

Code that reads back a market row its command wrote calls ``_Run.flush`` first.

Day orders and the close: a contract's book is the open trading day's. ``close_day``,
run by the operator's scheduler after the last session, expires what is open
(releasing its holds exactly), fixes the close (the day's volume-weighted average price
of order-book trades, rounded half up to the fen, or the previous close carried over)
and makes it the next day's reference for the band. Until the day is closed, no order
of a later day is taken (``day_not_closed``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from pctrade.identity.queries import facts_of
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    InsufficientBalance,
    NotFound,
    ValidationError,
)
from pctrade.ledger import access
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict, format_ts
from pctrade.ledger.model import CASH_ASSET, Account, Batch, Denomination, Party, Role, State
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Registry, account_of, require_holder
from pctrade.ledger.write import RowsBeside, acting_party, check_key
from pctrade.market import commands as mc
from pctrade.market.eligibility import decide
from pctrade.market.engine import (
    Accepted,
    Amend,
    Amended,
    BookState,
    Cancel,
    Cancelled,
    Close,
    ClosedOrder,
    Event,
    Expired,
    Fill,
    OrderBook,
    OrderState,
    Place,
    Refusal,
    Rejected,
    RestingOrder,
    Side,
    TimeInForce,
    TradingParams,
    refusal_error,
)
from pctrade.market.frame import (
    CANCELLED,
    EXPIRED,
    FILLED,
    OPEN,
    _closed,
    _fixed,
    _Known,
    _Raced,
    _replay,
    _require_int,
    _Run,
    _text,
)
from pctrade.market.model import (
    Trade,
    cash_fen,
    contract_code,
    exact_cash,
    local_time,
    plan_trade_settle,
    reserve_fen,
)
from pctrade.market.sql import store as db
from pctrade.market.venues import require_position
from pctrade.rules import RuleBook, RuleSet
from pctrade.rules.model import Trading

CLIENT_ORDER_ID_LEN_MAX = 64
LEVELS_MAX = 5
BATCHES_MAX = 16


class Market:
    """Listing, order entry, settlement and the close, over one registry and rule book."""

    def __init__(self, registry: Registry, rules: RuleBook) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules
        self._books: dict[int, OrderBook] = {}
        self._known: dict[int, _Known] = {}
        self._guard = threading.Lock()
        self._assets: dict[int, Batch] = {}  # every batch seen (never edited)
        self._in_contract: dict[tuple[str, int], bool] = {}
        self._turns: dict[str, threading.Lock] = {}
        self._per_contract = bool(getattr(self.store, "is_postgres", False))

    def forget(self) -> None:
        """Drop what this process keeps (books, orders, batches): the registry was reset."""
        with self._guard:
            self._books.clear()
            self._known.clear()
            self._assets = {}
            self._in_contract.clear()

    # ---- listing ----------------------------------------------------------------------
    def list_contract(self, actor: str, key: str, cmd: mc.ListContract) -> JsonDict:
        """List a contract (the registry operator or the regulator); its code."""
        on = local_time(self.registry.clock())[0]
        rule_set = self.rules.in_force(cmd.market, on)
        trading = self._trading(rule_set, cmd.instrument)
        if not exact_cash(trading.price_step_fen_per_t, trading.quantity_step_g):
            raise Conflict(
                f"{rule_set.version}: tick × lot is not a whole fen per tonne", code="no_rule"
            )
        project = cmd.project if "project" in trading.contract_key else None
        if ("project" in trading.contract_key) != (cmd.project is not None):
            raise ValidationError(
                f"{rule_set.version} keys contracts on {', '.join(trading.contract_key)}",
                code="bad_contract",
            )
        ref = cmd.reference_price_fen_per_t
        if ref is not None and (_require_int(ref, "reference price") <= 0):
            raise ValidationError("a reference price is positive", code="bad_contract")
        # The parts must be those of a denomination (a batch name with any project).
        named = Denomination.parse(
            f"{cmd.instrument}-{cmd.jurisdiction}-{project or 'X'}-{cmd.vintage}-001"
        )
        code = contract_code(trading.contract_key, named)

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            access.require_role(who, AUTHORITIES, "list contracts")
            if db.contract(uow, code) is not None:
                raise Conflict(f"contract {code} is listed already", code="contract_listed")
            db.add_contract(
                uow,
                {
                    "code": code,
                    "instrument": cmd.instrument,
                    "jurisdiction": cmd.jurisdiction,
                    "project": project,
                    "vintage": cmd.vintage,
                    "market": cmd.market,
                    "listed_by": actor,
                    "listed_at": format_ts(self.registry.clock()),
                    "last_seq": 0,
                    "last_order_id": 0,
                    "trading_day": None,
                    "reference_price_fen_per_t": ref,
                },
            )
            return {"contract": code, "rule_set": rule_set.version}

        logged = self.registry.journal.execute_recorded(actor, key, cmd, work)
        return {**logged.result, "replayed": logged.replayed}

    @staticmethod
    def _trading(rule_set: RuleSet, instrument: str) -> Trading:
        """The rule set's trading rules as a contract of ``instrument`` trades them (its
        own lot and tick, if the rules give it one: ``Trading.for_instrument``)."""
        trading = rule_set.trading
        if trading is None:
            raise Conflict(f"rule set {rule_set.version} has no trading rules", code="no_rule")
        return trading.for_instrument(instrument)

    # ---- the command frame ---------------------------------------------------------------
    @contextmanager
    def _command(
        self, actor: str, key: str, code: str, cmd: Command
    ) -> Iterator[tuple[_Run, JsonDict | None]]:
        """The frame of a command (see the module); a command that came second to its key
        on another contract raises ``_Raced`` with its answer (``_do`` returns it)."""
        check_key(key)
        fingerprint = cmd.fingerprint()
        with self._turn(code), self.store.writer() as uow:
            contract, prior = db.contract_and_command(uow, code, actor, key)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            run = _Run(self, uow, contract, actor, int(contract["last_seq"]) + 1)
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
                self._drop(run.cid)
            except BaseException:
                self._drop(run.cid)  # rebuilt from what was committed
                raise
            else:
                return
        # The key was committed meanwhile by a command of another contract: answer as
        # the second of two commands under one key does.
        with self.store.reader() as uow:
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

    def _do(self, actor: str, key: str, cmd: Any, body: Callable[[_Run], JsonDict]) -> JsonDict:
        """Run ``body`` as a command of ``cmd.contract``; its answer, or the replay's."""
        try:
            with self._command(actor, key, cmd.contract, cmd) as (run, replay):
                return replay if replay is not None else body(run)
        except _Raced as raced:
            return raced.answer

    def _drop(self, contract_id: int) -> None:
        with self._guard:
            self._books.pop(contract_id, None)
            self._known.pop(contract_id, None)

    def _params(self, contract: db.Row, trading: Trading) -> TradingParams:
        return TradingParams(
            price_step_fen_per_t=trading.price_step_fen_per_t,
            quantity_step_g=trading.quantity_step_g,
            order_quantity_max_g=trading.order_quantity_max_g,
            price_limit_bps=trading.price_limit_bps,
            reference_price_fen_per_t=contract["reference_price_fen_per_t"],
        )

    def _book(self, run: _Run, params: TradingParams) -> OrderBook:
        """The contract's book at its last seq: this process's, or rebuilt from the registry."""
        with self._guard:
            book = self._books.get(run.cid)
            known = self._known.get(run.cid)
        last_seq = int(run.contract["last_seq"])
        if book is None or book.last_seq != last_seq or known is None or known.book is not book:
            rows = self._rows_of_day(run)
            book = OrderBook.rebuild(params, self._state_of(run, rows))
            known = _Known(book, {int(r["order_id"]): r for r in rows if r["state"] == OPEN})
            with self._guard:
                self._books[run.cid] = book
                self._known[run.cid] = known
        elif book.params != params:
            book.set_params(params)
        run.known = known
        return book

    def _rows_of_day(self, run: _Run) -> list[db.Row]:
        day = run.contract["trading_day"]
        return [] if day is None else db.orders_of_day(run.uow, run.cid, str(day))

    def _state(self, run: _Run) -> BookState:
        return self._state_of(run, self._rows_of_day(run))

    def _state_of(self, run: _Run, rows: list[db.Row]) -> BookState:
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

    def book_state(self, code: str) -> tuple[BookState, BookState]:
        """This process's book of ``code`` and the book the registry rebuilds, as states.

        They are equal unless this process's book is stale (another process wrote since,
        which the next command repairs); an operator's check after a restart.
        """
        with self.store.reader() as uow:
            contract = db.contract(uow, code)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
            run = _Run(self, uow, contract, "registry", int(contract["last_seq"]))
            rebuilt = self._state(run)
        with self._guard:
            book = self._books.get(run.cid)
        return (rebuilt if book is None else book.snapshot()), rebuilt

    def _open_day(self, run: _Run) -> tuple[RuleSet, Trading, date]:
        """The rules of the day, if the contract is open for orders now."""
        day, second = local_time(self.registry.clock())
        rule_set = self.rules.in_force(str(run.contract["market"]), day)
        trading = self._trading(rule_set, str(run.contract["instrument"]))
        if not trading.is_trading_day(day):
            raise _closed(f"{day} is not a trading day under {rule_set.version}")
        if not trading.in_session(second):
            raise _closed(f"{run.code} takes orders only in its sessions ({rule_set.version})")
        open_day = run.contract["trading_day"]
        if open_day is not None and open_day != day.isoformat():
            raise Conflict(f"{run.code}'s day {open_day} is not closed yet", code="day_not_closed")
        # A close of the day sets the open day to none, so an open day of today has none.
        if open_day is None and db.close_of(run.uow, run.cid, day.isoformat()) is not None:
            raise _closed(f"{run.code} closed {day} already")
        run.contract["trading_day"] = day.isoformat()
        return rule_set, trading, day

    # ---- holdings ----------------------------------------------------------------------
    @staticmethod
    def _contract_key(run: _Run) -> list[str]:
        c = run.contract
        return ["instrument", "jurisdiction", "vintage"] + (["project"] if c["project"] else [])

    def _contract_batches(self, run: _Run) -> dict[int, Batch]:
        key = self._contract_key(run)
        self._assets = {b.asset_id: b for b in run.uow.batches()}
        return {
            a: b for a, b in self._assets.items() if contract_code(key, b.denomination) == run.code
        }

    def _of_contract(self, run: _Run, asset_id: int) -> bool:
        """Whether the batch ``asset_id`` trades as ``run``'s contract (cached)."""
        found = self._in_contract.get((run.code, asset_id))
        if found is None:
            batch = self._assets.get(asset_id)
            if batch is None:  # a batch this process has not seen yet
                self._assets = {b.asset_id: b for b in run.uow.batches()}
                batch = self._assets.get(asset_id)
            if batch is None:
                return False
            found = contract_code(self._contract_key(run), batch.denomination) == run.code
            self._in_contract[(run.code, asset_id)] = found
        return found

    def _credits(self, run: _Run, account: Account) -> tuple[dict[int, int], int]:
        """The account's available credits of the contract per batch, and all it holds."""
        available: dict[int, int] = {}
        held = 0
        for asset_id, state, amount in run.uow.balances_of(account.account_id):
            if asset_id != CASH_ASSET and self._of_contract(run, asset_id):
                if state == State.AVAILABLE:
                    available[asset_id] = amount
                if state in (State.AVAILABLE, State.FROZEN):
                    held += amount
        return available, held

    def _pick(
        self,
        run: _Run,
        account: Account,
        qty: int,
        named: tuple[str, ...] | None,
        t1: bool,
        credits: dict[int, int] | None = None,
    ) -> list[tuple[int, int]]:
        """Which batches cover a sell of ``qty``: (asset id, grams), oldest or as named.

        ``credits``: the account's available credits of the contract, if read already.
        """
        available = self._credits(run, account)[0] if credits is None else credits
        if named is not None:
            batches = self._contract_batches(run)
            by_name = {b.name: a for a, b in batches.items()}
            if not 0 < len(named) <= BATCHES_MAX or any(n not in by_name for n in named):
                raise ValidationError(
                    f"name 1 to {BATCHES_MAX} batches of {run.code}", code="bad_batches"
                )
            order = [by_name[n] for n in named]
        else:
            order = sorted(available)
        total = sum(available.get(a, 0) for a in order)
        if total < qty:
            raise InsufficientBalance(
                f"account {account.number} has {total} g of {run.code} to sell, needs {qty}",
                code="insufficient_credits",
            )
        bought = run.bought(str(run.contract["trading_day"]), account.account_id)
        if t1 and sum(available.values()) - bought < qty:
            raise Conflict(
                f"{bought} g of {run.code} were bought today and cannot be sold before the "
                "next trading day (T+1)",
                code="resale_too_soon",
            )
        picks, left = [], qty
        for asset_id in order:
            take = min(left, available.get(asset_id, 0))
            if take:
                picks.append((asset_id, take))
                left -= take
        return picks

    def _require_cash(self, run: _Run, account: Account, amount: int) -> None:
        held = run.uow.balance(account.account_id, CASH_ASSET, State.AVAILABLE)
        if held < amount:
            raise InsufficientBalance(
                f"account {account.number} has {held} fen available, the order needs {amount}",
                code="insufficient_funds",
            )

    # ---- place ------------------------------------------------------------------------
    def place(self, actor: str, key: str, cmd: mc.PlaceOrder) -> JsonDict:
        """Enter an order: funded and frozen, matched, each fill settled, all at once."""
        return self._do(actor, key, cmd, lambda run: self._place(run, key, cmd))

    def _place(self, run: _Run, key: str, cmd: mc.PlaceOrder) -> JsonDict:
        uow = run.uow
        _text(cmd.client_order_id, "client order id", CLIENT_ORDER_ID_LEN_MAX)
        side = _enum(Side, cmd.side, "side")
        tif = _enum(TimeInForce, cmd.time_in_force, "time in force")
        price = _require_int(cmd.price_fen_per_t, "price")
        qty = _require_int(cmd.quantity_g, "quantity")
        levels = None if cmd.levels is None else tuple(cmd.levels)
        if levels is not None and len(levels) > LEVELS_MAX:
            raise refusal_error(Refusal.TOO_MANY_LEVELS, f"at most {LEVELS_MAX} levels")
        who = acting_party(uow, run.actor)
        account = account_of(uow, _require_int(cmd.account_id, "account"))
        require_holder(uow, who, account)
        rule_set, trading, day = self._open_day(run)
        params = self._params(run.contract, trading)
        book = self._book(run, params)  # and what this process knows of the contract
        owner = uow.party(account.owner)
        if owner is None:
            raise NotFound(f"no party {account.owner}", code="unknown_party")
        credits, held = self._credits(run, account) if side == Side.SELL else ({}, None)
        eligibility = rule_set.eligibility
        if eligibility is None:
            raise Conflict(f"rule set {rule_set.version} states no eligibility", code="no_rule")
        decide(
            owner.party_id,
            owner.role,
            facts_of(uow, owner.party_id)
            if owner.role in (Role.INDIVIDUAL, Role.INSTITUTION)
            else None,
            eligibility.for_instrument(str(run.contract["instrument"])),
            rule_set=rule_set.version,
            digest=rule_set.digest,
            day=day,
            held_g=held,
        ).require()
        _check_numbers(params, price, qty)
        fee_bps = 0 if rule_set.fees is None else rule_set.fees.trade_fee_bps or 0
        picks: list[tuple[int, int]] = []
        if side == Side.BUY:
            require_position(uow, rule_set, owner, str(run.contract["instrument"]), qty)
            self._require_cash(run, account, reserve_fen(price, qty, fee_bps))
        else:
            t1 = trading.resale_delay_days > 0
            picks = self._pick(run, account, qty, cmd.batches, t1, credits)
        order_id = int(run.contract["last_order_id"]) + 1
        run.contract["last_order_id"] = order_id
        place = Place(
            run.seq, order_id, cmd.client_order_id, owner.party_id, side, price, qty, tif, levels
        )
        run.note(book, order_id, side, price, qty)
        events = book.place(place)
        row = {
            "contract_id": run.cid,
            "order_id": order_id,
            "client_order_id": cmd.client_order_id,
            "owner": owner.party_id,
            "account_id": account.account_id,
            "side": str(side),
            "time_in_force": str(tif),
            "price_fen_per_t": price,
            "quantity_g": qty,
            "filled_g": 0,
            "fee_bps": fee_bps,
            "state": OPEN,
            "priority_seq": run.seq,
            "placed_seq": run.seq,
            "day": day.isoformat(),
        }
        self._apply(run, events, new_order=row, picks=picks, trading=trading)
        return self._answer(run, key, "place", cmd, order_id)

    # ---- cancel and amend -----------------------------------------------------------------
    def _owner_for(self, run: _Run, order_id: int) -> str:
        """The order's owner if the actor may act for its account, else the actor."""
        found = None
        if 0 < order_id < 2**63:
            found = run.orders.get(order_id) or run.known.orders.get(order_id)
            if found is None:
                found = db.order(run.uow, run.cid, order_id)
        if found is None:
            return run.actor
        who = acting_party(run.uow, run.actor)
        try:
            require_holder(run.uow, who, account_of(run.uow, int(found["account_id"])))
        except Forbidden:
            return run.actor
        return str(found["owner"])

    def cancel(self, actor: str, key: str, cmd: mc.CancelOrder) -> JsonDict:
        """Cancel an open order: its holds are released exactly."""

        def body(run: _Run) -> JsonDict:
            order_id = _require_int(cmd.order_id, "order id")
            _rule_set, trading, _day = self._open_day(run)
            book = self._book(run, self._params(run.contract, trading))
            _note_on(run, book, order_id, None)
            events = book.cancel(Cancel(run.seq, order_id, self._owner_for(run, order_id)))
            self._apply(run, events, trading=trading)
            return self._answer(run, key, "cancel", cmd, order_id)

        return self._do(actor, key, cmd, body)

    def amend(self, actor: str, key: str, cmd: mc.AmendOrder) -> JsonDict:
        """New price and total quantity; its holds follow (more frozen, or released)."""

        def body(run: _Run) -> JsonDict:
            order_id = _require_int(cmd.order_id, "order id")
            price = _require_int(cmd.price_fen_per_t, "price")
            qty = _require_int(cmd.quantity_g, "quantity")
            _rule_set, trading, _day = self._open_day(run)
            book = self._book(run, self._params(run.contract, trading))
            owner = self._owner_for(run, order_id)
            _note_on(run, book, order_id, (price, qty))
            events = book.amend(Amend(run.seq, order_id, owner, price, qty))
            self._apply(run, events, trading=trading)
            return self._answer(run, key, "amend", cmd, order_id)

        return self._do(actor, key, cmd, body)

    # ---- the close --------------------------------------------------------------------
    def close_day(self, actor: str, key: str, cmd: mc.CloseDay) -> JsonDict:
        """Expire the day's open orders and fix its close (the operator's scheduler)."""
        return self._do(actor, key, cmd, lambda run: self._close_day(run, key, cmd))

    def _close_day(self, run: _Run, key: str, cmd: mc.CloseDay) -> JsonDict:
        actor = run.actor
        access.require_role(acting_party(run.uow, actor), AUTHORITIES, "close a day")
        try:
            day = date.fromisoformat(cmd.day)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"not a day: {cmd.day!r}", code="bad_date") from exc
        done = db.close_of(run.uow, run.cid, day.isoformat())
        if done is not None:
            return {**_close_answer(run.code, done), "replayed": True}
        today, second = local_time(self.registry.clock())
        rule_set = self.rules.in_force(str(run.contract["market"]), day)
        trading = self._trading(rule_set, str(run.contract["instrument"]))
        last_close_s = max((s.close_s for s in trading.sessions), default=0)
        if day > today or (day == today and second < last_close_s):
            raise Conflict(f"{run.code}'s {day} has not ended", code="session_not_ended")
        open_day = run.contract["trading_day"]
        if open_day is not None and open_day != day.isoformat():
            raise Conflict(f"{run.code}'s open day is {open_day}", code="day_not_closed")
        book = self._book(run, self._params(run.contract, trading))
        self._apply(run, book.close(Close(run.seq)), trading=trading)
        run.flush()
        total, volume = db.day_summary(run.uow, run.cid, day.isoformat())
        previous = run.contract["reference_price_fen_per_t"]
        close = (2 * total + volume) // (2 * volume) if volume else previous
        row = {
            "contract_id": run.cid,
            "day": day.isoformat(),
            "close_fen_per_t": close,
            "carried": volume == 0,
            "volume_g": volume,
            "seq": run.seq,
        }
        db.add_close(run.uow, row)
        run.contract["trading_day"] = None
        run.contract["reference_price_fen_per_t"] = close
        result = {**_close_answer(run.code, row), "seq": run.seq, "entries": run.entries}
        run.log("close", key, cmd.fingerprint(), result)
        return {**result, "replayed": False}

    # ---- events into the registry -------------------------------------------------------
    def _apply(
        self,
        run: _Run,
        events: list[Event],
        *,
        trading: Trading,
        new_order: db.Row | None = None,
        picks: list[tuple[int, int]] | None = None,
    ) -> None:
        for event in events:
            if isinstance(event, Rejected):
                raise refusal_error(event.code, f"{run.code}: {event.code}")
            if isinstance(event, Accepted) and new_order is not None:
                run.pending.add_order(new_order)
                run.orders[event.order_id] = new_order
                run.known.holds[event.order_id] = []
                if event.side == Side.BUY:
                    run.freeze(new_order, CASH_ASSET, run.reservation(new_order))
                else:
                    for asset_id, grams in picks or []:
                        run.freeze(new_order, asset_id, grams)
            elif isinstance(event, Fill):
                self._settle(run, event)
            elif isinstance(event, Cancelled | Expired):
                order = run.order(event.order_id)
                run.set_order(order, state=CANCELLED if isinstance(event, Cancelled) else EXPIRED)
                run.release(order, None)
            elif isinstance(event, Amended):
                self._amended(run, event, trading)

    def _amended(self, run: _Run, event: Amended, trading: Trading) -> None:
        order = run.order(event.order_id)
        more_g = event.quantity_g - int(order["quantity_g"])
        if order["side"] == Side.BUY and more_g > 0:
            rule_set = self.rules.in_force(
                str(run.contract["market"]), local_time(run.m.registry.clock())[0]
            )
            owner = run.uow.party(str(order["owner"]))
            if owner is not None:
                require_position(run.uow, rule_set, owner, str(run.contract["instrument"]), more_g)
        values: dict[str, Any] = {
            "price_fen_per_t": event.price_fen_per_t,
            "quantity_g": event.quantity_g,
        }
        if not event.priority_kept:
            values["priority_seq"] = run.seq
        run.set_order(order, **values)
        target = run.reservation(order)
        have = sum(h.remaining for h in run.holds(event.order_id))
        if target < have:
            run.release(order, have - target)
        elif target > have:
            account = account_of(run.uow, int(order["account_id"]))
            if order["side"] == Side.BUY:
                self._require_cash(run, account, target - have)
                run.freeze(order, CASH_ASSET, target - have)
            else:
                for asset_id, grams in self._pick(
                    run, account, target - have, None, trading.resale_delay_days > 0
                ):
                    run.freeze(order, asset_id, grams)

    def _settle(self, run: _Run, fill: Fill) -> None:
        taker, maker = run.order(fill.taker_order_id), run.order(fill.maker_order_id)
        buy, sell = (taker, maker) if fill.taker_side == Side.BUY else (maker, taker)
        for order in (buy, sell):
            filled = int(order["filled_g"]) + fill.quantity_g
            state = FILLED if filled == int(order["quantity_g"]) else OPEN
            run.set_order(order, filled_g=filled, state=state)
        trade_id = f"{run.code}-{run.seq}-{len(run.trades) + 1}"
        trade = Trade(
            trade_id,
            run.code,
            fill.price_fen_per_t,
            fill.quantity_g,
            int(buy["fee_bps"]),
            int(buy["account_id"]),
            int(sell["account_id"]),
        )
        buy_id, sell_id = int(buy["order_id"]), int(sell["order_id"])
        both = run.holds(buy_id, sell_id)
        mine = set(h for h, _ in run.hold_ids(buy_id))
        buyer_holds = [h for h in both if h.hold_id in mine]
        seller_holds = [h for h in both if h.hold_id not in mine]
        after = run.reservation(buy)
        plan = plan_trade_settle(trade, buyer_holds, seller_holds, after)
        day = str(run.contract["trading_day"])

        def beside(uow: UnitOfWork, entry: Any) -> None:
            p = entry.header.payload
            run.pending.add_trade(
                {
                    "trade_id": trade_id,
                    "entry_seq": entry.seq,
                    "contract_id": run.cid,
                    "day": day,
                    "seq": run.seq,
                    "buy_order_id": int(buy["order_id"]),
                    "sell_order_id": int(sell["order_id"]),
                    "taker_side": str(fill.taker_side),
                    "buyer_account": trade.buyer,
                    "seller_account": trade.seller,
                    "price_fen_per_t": trade.price_fen_per_t,
                    "quantity_g": trade.quantity_g,
                    "cash_fen": cash_fen(trade.price_fen_per_t, trade.quantity_g),
                    "buyer_fee_fen": p["buyer_fee_fen"],
                    "seller_fee_fen": p["seller_fee_fen"],
                    "ts": run.ts,
                },
            )

        run.entry("settle", _fixed(plan), RowsBeside(beside))
        run.trades.append(trade_id)
        run.add_bought(day, trade.buyer, trade.quantity_g)

    def _answer(self, run: _Run, key: str, kind: str, cmd: Command, order_id: int) -> JsonDict:
        order = run.orders.get(order_id) or run.known.orders.get(order_id)
        if order is None:
            run.flush()
            order = db.order(run.uow, run.cid, order_id) or {}
        result: JsonDict = {
            "contract": run.code,
            "seq": run.seq,
            "order_id": order_id,
            "state": order.get("state"),
            "filled_g": order.get("filled_g"),
            "trades": run.trades,
            "entries": run.entries,
        }
        run.log(kind, key, cmd.fingerprint(), result)
        return {**result, "replayed": False}


def _note_on(run: _Run, book: OrderBook, order_id: int, new: tuple[int, int] | None) -> None:
    """Note a cancel (what it releases) or an amend (its new price and total)."""
    if not 0 < order_id < 2**63:
        return
    try:
        found = run.order(order_id)  # cached for the command: no second read
    except NotFound:
        return  # the engine refuses it
    else:
        price, qty = new or (
            int(found["price_fen_per_t"]),
            int(found["quantity_g"]) - int(found["filled_g"]),
        )
        run.note(book, order_id, str(found["side"]), price, qty)


def _close_answer(code: str, row: db.Row) -> JsonDict:
    return {
        "contract": code,
        "day": row["day"],
        "close_fen_per_t": row["close_fen_per_t"],
        "carried": bool(row["carried"]),
        "volume_g": int(row["volume_g"]),
    }


def _enum(kind: Any, value: Any, what: str) -> Any:
    try:
        return kind(value)
    except ValueError as exc:
        raise ValidationError(f"unknown {what} {value!r}", code="bad_enum") from exc


def _check_numbers(params: TradingParams, price: int, qty: int) -> None:
    """The order's own numbers, in the engine's order, before anything is frozen."""
    checks = (
        (qty <= 0, Refusal.QUANTITY_NOT_POSITIVE),
        (qty % params.quantity_step_g != 0, Refusal.QUANTITY_OFF_LOT),
        (qty > params.order_quantity_max_g, Refusal.QUANTITY_ABOVE_MAX),
        (price <= 0, Refusal.PRICE_NOT_POSITIVE),
        (price % params.price_step_fen_per_t != 0, Refusal.PRICE_OFF_TICK),
    )
    for failed, code in checks:
        if failed:
            raise refusal_error(code, f"{code}: {price} fen/t × {qty} g")
    low, high = params.band()
    if not low <= price <= high:
        raise refusal_error(
            Refusal.PRICE_OUTSIDE_BAND, f"{price} fen/t is outside the band {low}..{high}"
        )
