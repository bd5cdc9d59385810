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

**One matcher per contract, several commands per transaction.** A command runs in a
writing unit of work of the registry's store, in its turn (``market.sequencer``, which
commits several waiting commands in one transaction, each as it would run alone). The
frame

1. takes the contract's lock — its ``market_contracts`` row ``FOR UPDATE`` on PostgreSQL;
   on SQLite the writer holds the database (``BEGIN IMMEDIATE``) — so, across threads
   and processes, one command of a contract runs at a time;
2. answers a replay of the caller's idempotency key from the command log;
3. gives the command the contract's next ``seq`` (and, for a new order, order id);
4. brings this process's in-memory ``OrderBook`` up to the contract's last seq: a book
   whose ``last_seq`` is not the contract's (another process wrote, or a command of
   this one failed) is rebuilt from the day's orders in the registry (``market.books``);
5. checks the session, eligibility, the numbers, funds and T+n, then runs the engine;
6. writes what the events say — the order's freeze entries (reason ``order``), one
   ``trade_settle`` entry per fill with its trade row, one unfreeze per released hold,
   the order rows — and the command's log row, through ``Journal.execute_in``;
7. commits (with the rest of its group). A refusal leaves nothing of the command
   written, and drops the cached book if the command used it, so that the next command
   rebuilds it.

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

Two commands of different contracts under one caller's key: see ``market.sequencer``.

**What a command costs.** Per order, the reads that decide it and the entries it makes;
everything else is known already or sent together:

- this process keeps, beside each contract's book and valid exactly as long as the book
  (the contract's ``last_seq`` is the book's), the open orders' rows, their holds' ids
  and the T+n purchases read so far; a command that fails drops them with the book;
- which batch belongs to which contract is cached (batches are never edited); an asset
  an account holds that the cache does not know reloads the list;
- the market rows a command writes (orders, holds of orders, trades, T+n purchases, the
  contract's state, the command log) are sent together at its end
  (``sql.store.Pending``: one pipelined round trip on PostgreSQL).
- the contracts' locks and the keys' look-up are one round trip on PostgreSQL, an
  order's holds one read, and each account's status is read once per transaction
  (``Journal.execute_in``; a group reads those of the accounts its orders name at once);
- the commit, the journal head and the locks are paid once per group
  (``market.sequencer``); this process's threads queue for their turn in its lane
  before the database's lock, which still makes one matcher per contract across
  processes.

Code that reads back a market row its command wrote calls ``_Run.flush`` first.

Day orders and the close: a contract's book is the open trading day's; ``close_day``
(``market.close``) ends the day. Until it is closed, no order of a later day is taken
(``day_not_closed``).

Where the parts live: the frame is ``market.sequencer``'s, the books this process keeps
``market.books``', a command's transaction ``market.frame._Run``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from pctrade.identity.queries import facts_of
from pctrade.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ValidationError,
)
from pctrade.ledger import access
from pctrade.ledger.commands import Command
from pctrade.ledger.journal import JsonDict, format_ts
from pctrade.ledger.model import CASH_ASSET, Account, Denomination, Party, Role
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, Registry, account_of, require_holder
from pctrade.ledger.write import RowsBeside, acting_party
from pctrade.market import close as closing
from pctrade.market import commands as mc
from pctrade.market import pool_sells
from pctrade.market.books import Books
from pctrade.market.eligibility import decide
from pctrade.market.engine import (
    Accepted,
    Amend,
    Amended,
    BookState,
    Cancel,
    Cancelled,
    Event,
    Expired,
    Fill,
    OrderBook,
    Place,
    Refusal,
    Rejected,
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
    _require_int,
    _Run,
    _text,
)
from pctrade.market.holdings import Holdings
from pctrade.market.model import (
    Trade,
    cash_fen,
    contract_code,
    exact_cash,
    local_time,
    plan_trade_settle,
    reserve_fen,
)
from pctrade.market.pool_seller import BOOK, NoPools, PoolSaleFacts, PoolSeller
from pctrade.market.sequencer import Sequencer
from pctrade.market.sql import store as db
from pctrade.market.venues import require_position
from pctrade.rules import RuleBook, RuleSet
from pctrade.rules.model import Trading

CLIENT_ORDER_ID_LEN_MAX = 64
LEVELS_MAX = 5


class Market:
    """Listing, order entry, settlement and the close, over one registry and rule book."""

    def __init__(self, registry: Registry, rules: RuleBook) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules
        self.holdings = Holdings()
        self.books = Books(self)
        self.sequencer = Sequencer(self)
        # The pools this market sells for (``pool_seller``): bootstrap hands it the pools'
        # adapter; a market without pools knows none.
        self.pools: PoolSeller = NoPools()

    def forget(self) -> None:
        """Drop what this process keeps (books, orders, batches): the registry was reset."""
        self.books.forget()
        self.holdings.forget()

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
    def _command(
        self, actor: str, key: str, code: str, cmd: Command
    ) -> AbstractContextManager[tuple[_Run, JsonDict | None]]:
        """The frame of a command of ``code`` (``Sequencer.command``): block trades and
        auctions run in it too."""
        return self.sequencer.command(actor, key, code, cmd)

    def _do(self, actor: str, key: str, cmd: Any, body: Callable[[_Run], JsonDict]) -> JsonDict:
        """Run ``body`` as a command of ``cmd.contract``; its answer, or the replay's."""
        return self.sequencer.run(actor, key, cmd, body)

    def _params(self, contract: db.Row, trading: Trading) -> TradingParams:
        return TradingParams(
            price_step_fen_per_t=trading.price_step_fen_per_t,
            quantity_step_g=trading.quantity_step_g,
            order_quantity_max_g=trading.order_quantity_max_g,
            price_limit_bps=trading.price_limit_bps,
            reference_price_fen_per_t=contract["reference_price_fen_per_t"],
        )

    def book_state(self, code: str) -> tuple[BookState, BookState]:
        """This process's book of ``code`` and the book the registry rebuilds (``Books``)."""
        return self.books.book_state(code)

    def matcher(self, actor: str, code: str) -> tuple[BookState | None, BookState, int]:
        """For an authority: this process's book of ``code`` (None: it holds none), the
        book the registry rebuilds, and the contract's seq — what a worker's book is
        checked against after a restart or a crash of another worker."""
        with self.store.reader() as uow:
            access.require_role(acting_party(uow, actor), AUTHORITIES, "read a matcher")
            contract = db.contract(uow, code)
            if contract is None:
                raise NotFound(f"no contract {code}", code="unknown_contract")
        # This process's commands change its book in their turn, to their commit.
        with self.sequencer.quiet():
            cached, rebuilt = self.books.cached_and_rebuilt(code)
        return cached, rebuilt, rebuilt.last_seq

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
        pool = None if cmd.pool is None else self._pool_seller(run, cmd, side, account)
        rule_set, trading, day = self._open_day(run)
        params = self._params(run.contract, trading)
        book = self.books.book(run, params)  # and what this process knows of the contract
        owner = uow.party(account.owner)
        if owner is None:
            raise NotFound(f"no party {account.owner}", code="unknown_party")
        selling = side == Side.SELL and pool is None
        credits, held = self.holdings.credits(run, account) if selling else ({}, None)
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
            self.holdings.require_cash(run, account, reserve_fen(price, qty, fee_bps))
        elif pool is not None:  # nothing frozen: the pool's holds deliver
            pool_sells.require_floor(self, run, pool, price)
            pool_sells.require_free(self, run, pool, qty)
            pool_sells.require_of_contract(self, run, pool)
        else:
            picks = self.holdings.pick(run, account, qty, cmd.batches, trading, credits)
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
            "pool_id": pool,
        }
        self._apply(run, events, new_order=row, picks=picks, trading=trading)
        return self._answer(run, key, "place", cmd, order_id)

    def _pool_seller(self, run: _Run, cmd: mc.PlaceOrder, side: Side, account: Account) -> str:
        """A pool sell's pool, if the actor is its platform selling on its own account."""
        pool = pool_sells.pool_id_of(cmd.pool)
        if side != Side.SELL:
            raise ValidationError("a pool only sells", code="pool_sells_only")
        if cmd.batches is not None:
            raise ValidationError("a pool's units are drawn by its terms", code="bad_batches")
        pool_sells.require_platform(self, run, pool, account)
        return pool

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
            book = self.books.book(run, self._params(run.contract, trading))
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
            book = self.books.book(run, self._params(run.contract, trading))
            owner = self._owner_for(run, order_id)
            _note_on(run, book, order_id, (price, qty))
            events = book.amend(Amend(run.seq, order_id, owner, price, qty))
            self._apply(run, events, trading=trading)
            return self._answer(run, key, "amend", cmd, order_id)

        return self._do(actor, key, cmd, body)

    # ---- the close --------------------------------------------------------------------
    def close_day(self, actor: str, key: str, cmd: mc.CloseDay) -> JsonDict:
        """Expire the day's open orders and fix its close (``market.close``)."""
        return self._do(actor, key, cmd, lambda run: closing.close_day(self, run, key, cmd))

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
        pool = order.get("pool_id")
        if pool is not None:  # its claim on the pool's free units follows it
            filled = int(order["filled_g"])
            was = int(order["quantity_g"]) - filled
            pool_sells.require_floor(self, run, str(pool), event.price_fen_per_t)
            pool_sells.require_free(self, run, str(pool), event.quantity_g - filled, was)
        run.set_order(order, **values)
        target = run.reservation(order)
        have = sum(h.remaining for h in run.holds(event.order_id))
        if target < have:
            run.release(order, have - target)
        elif target > have:
            account = account_of(run.uow, int(order["account_id"]))
            if order["side"] == Side.BUY:
                self.holdings.require_cash(run, account, target - have)
                run.freeze(order, CASH_ASSET, target - have)
            else:
                for asset_id, grams in self.holdings.pick(
                    run, account, target - have, None, trading
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

        pool = sell.get("pool_id")
        if pool is None:
            plan = plan_trade_settle(trade, buyer_holds, seller_holds, after)
            run.entry("settle", _fixed(plan), RowsBeside(beside))
        else:  # the pool's holds deliver, the buy order's hold pays (``pool_sells``)
            sale = PoolSaleFacts(
                str(pool),
                trade_id,
                BOOK,
                trade.price_fen_per_t,
                trade.quantity_g,
                trade.buyer,
                trade.fee_bps,
            )
            cash = [(h.hold_id, h.remaining) for h in buyer_holds]
            plan = pool_sells.settle(self, run, sale, cash, after, beside)
        run.drew(plan)
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
