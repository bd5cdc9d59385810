"""A continuous limit order book for one contract (挂牌协议交易), pure and in memory.

One book per contract (a set of batches that trade as one), driven by one writer: the
market's sequencer hands it ``Place``, ``Cancel``, ``Amend`` and ``Close`` commands in
the order of their ``seq`` and records the events that come back (``messages``). The
book reads no clock and does no I/O; the registry holds the open orders and their holds,
and ``OrderBook.rebuild`` puts a book back from them, orders in their time priority.

Matching
    Price-time priority: an incoming order trades with the best opposite price first
    and, within a price, with the order that has rested longest (lowest priority seq).
    Every trade is at the resting order's (the maker's) price. What a DAY order does not
    fill rests at its limit; what an IOC order does not fill is cancelled.

Choosing levels (the national market's rule)
    上海环境能源交易所《关于全国碳排放权交易相关事项的公告》(2021-06-22), on
    挂牌协议交易: "交易主体查看实时挂单行情，以价格优先的原则，在对手方实时最优五个价位内
    以对手方价格为成交价依次选择，提交申报完成交易" — a participant taking listed orders
    chooses among the opposite side's best five price levels, at their prices, in price
    order. We read it as an optional instruction on the incoming order, ``levels``: the
    opposite prices it may take, each among the best ``taker_levels_max`` (five) levels
    when it arrives and none beyond its own limit. It takes its chosen levels best first
    and skips the others. Such an order is a taking order (摘牌): it never rests, since
    resting after skipping a better level would cross the book, so what its levels
    cannot fill is cancelled (``levels_exhausted``). The same notice lets the taker pick
    any counterparty within one level; pctrade keeps time priority within a level, which
    the issue asks for and which leaves no choice to the engine.

Amend
    An amend names the new price and the new total quantity (filled part included). A
    lower quantity at the same price keeps the order's place; a higher quantity or a new
    price loses it: the order goes to the back of its (new) level with the amend's seq
    as its priority, and if the new price crosses it trades at once as an incoming order.

Self-trade prevention
    When an incoming order (a new one, or an amended one that crosses) would next trade
    with a resting order of the same owner, the incoming order's rest is cancelled
    (``self_trade_prevented``) and the resting order keeps its place: the order already
    in the book holds its priority and its hold, and the participant acting now is the
    one told. Trades made before that point stand. (CME and Binance call this "cancel
    newest" / "expire taker".)

Day orders
    ``Close`` expires every open order, oldest priority first, and forgets the day: its
    orders, and the client order ids, which are unique per owner and trading day.

Refusals are checked in this order, and the first that applies is the code:
    Place  — sequence_not_increasing, order_id_not_increasing, duplicate_client_order_id,
             quantity_not_positive, quantity_off_lot, quantity_above_max,
             price_not_positive, price_off_tick, price_outside_band, and with levels:
             no_levels_chosen, too_many_levels, level_beyond_limit, level_not_in_best
    Cancel — sequence_not_increasing, order_not_found, not_order_owner, order_filled,
             order_cancelled
    Amend  — as Cancel, then the quantity and price checks of Place, then
             amend_not_above_filled
A refused command changes nothing but the last seq seen.

Speed
    This module and ``sides`` are compiled with mypyc when the package is installed
    (``implementation`` says which runs; the source runs where no compiler was), so
    they are written for the compiler as much as for the interpreter: typed records
    (``sides.Order``, a C struct once compiled), constants marked ``Final``, lists
    indexed rather than deques called, direct calls rather than bound methods kept in
    dictionaries, and the command's own int objects put into the events (an ``int``
    field read into a typed local is unboxed, and would be allocated again).
    The sides are ``sides.Half``: the best level of each is the last of a sorted list,
    and a cancel marks its order dead instead of searching its level. For the rest of
    the day the book keeps only each closed order's owner (for the codes of a late
    cancel or amend) and every (owner, client order id), so nothing the garbage
    collector must walk grows with the day. Order ids rise (the sequencer numbers them),
    so a duplicate id is one comparison. Events are tuples made without the NamedTuple
    constructor's argument handling. The commonest paths (a new order that rests, a
    cancel) test the usual case first and inline the side's bookkeeping; every refusal
    is worked out on a slower path.
"""

from __future__ import annotations

from bisect import insort
from typing import Final, TypeAlias

from pctrade.kernel.errors import IntegrityError
from pctrade.market.engine.codes import CancelReason, Refusal
from pctrade.market.engine.messages import (
    Accepted,
    Amend,
    Amended,
    BookState,
    Cancel,
    Cancelled,
    Close,
    ClosedOrder,
    Command,
    Depth,
    Event,
    Expired,
    Fill,
    OrderState,
    OrderView,
    Place,
    Rejected,
    RestingOrder,
    Side,
    TimeInForce,
)
from pctrade.market.engine.params import TradingParams
from pctrade.market.engine.sides import Half, Level, Order, by_priority, resting, view

# ``tuple.__new__(Fill, (...))`` builds the same Fill as ``Fill(...)`` at a third of the
# cost: a NamedTuple's own constructor is a Python function that binds arguments.
_new: Final = tuple.__new__

# Final names are constants to the compiler (a C static, not a look-up in the module's
# dictionary at every use); interpreted, they are ordinary globals.
_BUY: Final = Side.BUY
_IOC: Final = TimeInForce.IOC
_OUT_OF_SEQUENCE: Final = Refusal.SEQUENCE_NOT_INCREASING
_REQUESTED: Final = CancelReason.REQUESTED
_INCONSISTENT: Final = "book_rebuild_inconsistent"
_DUPLICATE: Final = Refusal.DUPLICATE_CLIENT_ORDER_ID
# A command's fields as the objects they are. Compiled, a field read as ``int`` is
# unboxed, and putting it into an event would allocate a new int object; the hot paths
# put the command's own objects into the events they make.
_Boxed: TypeAlias = tuple[object, ...]
# The events the hot paths make, as constants for the same reason.
_ACCEPTED: Final = Accepted
_REJECTED: Final = Rejected
_FILL: Final = Fill
_CANCELLED: Final = Cancelled


class OrderBook:
    """The book of one contract. Drive it with ``apply`` (or the command's own method)."""

    def __init__(self, params: TradingParams, *, last_seq: int = 0, last_order_id: int = 0):
        self._bids = Half(1)
        self._asks = Half(-1)
        self._open: dict[int, Order] = {}
        self._filled: dict[int, str] = {}  # the day's filled orders: id → owner
        self._cancelled: dict[int, str] = {}  # the day's cancelled orders: id → owner
        self._client_ids: set[tuple[str, str]] = set()  # the day's (owner, client order id)
        self._last_seq = last_seq
        self._last_order_id = last_order_id
        self.set_params(params)

    @property
    def params(self) -> TradingParams:
        return self._params

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def set_params(self, params: TradingParams) -> None:
        """New numbers (a new day's reference price): they apply to orders from now on."""
        self._params = params
        self._tick = params.price_step_fen_per_t
        self._lot = params.quantity_step_g
        self._max_g = params.order_quantity_max_g
        self._low, self._high = params.band()
        self._levels_max = params.taker_levels_max

    # ---- commands --------------------------------------------------------------------

    def apply(self, command: Command) -> list[Event]:
        """Apply one command; its events, in the order they happened."""
        # By its exact type, commonest first: compiled, each is a direct call.
        if type(command) is Place:
            return self.place(command)
        if type(command) is Cancel:
            return self.cancel(command)
        if type(command) is Amend:
            return self.amend(command)
        if type(command) is Close:
            return self.close(command)
        raise TypeError(f"not a command of the book: {command!r}")

    def place(self, command: Place) -> list[Event]:
        seq, order_id, client_order_id, owner, side, price, quantity_g, tif, levels = command
        if seq <= self._last_seq:
            return [_new(_REJECTED, (seq, order_id, _OUT_OF_SEQUENCE))]
        self._last_seq = seq
        if side == _BUY:
            own, opposite = self._bids, self._asks
        else:
            own, opposite = self._asks, self._bids
        client_ids = self._client_ids
        known = len(client_ids)
        if (
            order_id > self._last_order_id
            and 0 < quantity_g <= self._max_g
            and self._low <= price <= self._high
            and not quantity_g % self._lot
            and not price % self._tick
            and levels is None
        ):  # the usual case in one test; the slower path below names the fault
            client_ids.add((owner, client_order_id))
            if len(client_ids) == known:  # already there (one hash, not two): a duplicate
                return [_new(_REJECTED, (seq, order_id, _DUPLICATE))]
        else:
            refusal = self._refuse_new(command, opposite)
            if refusal is not None:
                return [_new(_REJECTED, (seq, order_id, refusal))]
            client_ids.add((owner, client_order_id))
        self._last_order_id = order_id
        order = Order(
            order_id, client_order_id, owner, side, price, quantity_g, quantity_g, seq, own
        )
        boxed: _Boxed = command
        seq_o, order_id_o, _, _, _, price_o, quantity_o, _, _ = boxed
        out: list[Event] = [_new(_ACCEPTED, (seq_o, order_id_o, owner, side, price_o, quantity_o))]
        keys = opposite.keys
        if levels is not None:
            self._take_chosen(order, opposite, levels, seq, out)
        elif keys and keys[-1] >= opposite.sign * price:
            self._take(order, opposite, seq, out, tif == _IOC)
        elif tif == _IOC:
            self._end(order, CancelReason.IMMEDIATE_OR_CANCEL, seq, out)
        else:  # it rests: Half.rest, inlined on the commonest path
            key = own.sign * price
            level = own.levels.get(key)
            if level is None:
                level = own.levels[key] = Level(price)
                insort(own.keys, key)
            level.queue.append(order)
            level.live += 1
            self._open[order_id] = order
        return out

    def cancel(self, command: Cancel) -> list[Event]:
        seq, order_id, owner = command
        if seq <= self._last_seq:
            return [_new(_REJECTED, (seq, order_id, _OUT_OF_SEQUENCE))]
        self._last_seq = seq
        order = self._open.pop(order_id, None)
        if order is None or order.owner != owner:
            if order is not None:
                self._open[order_id] = order  # someone else's: put it back untouched
            return [_new(_REJECTED, (seq, order_id, self._refuse_change(order_id, owner)))]
        half: Half = order.half  # Half.unrest, inlined on the second commonest path
        key = half.sign * order.price
        level = half.levels[key]
        level.live -= 1
        if not level.live:
            half.drop(key)
        elif level.queue[level.head] is order:
            level.advance(level.head + 1)
        released = order.remaining_g
        order.remaining_g = 0
        self._cancelled[order_id] = owner
        boxed: _Boxed = command
        return [_new(_CANCELLED, (boxed[0], boxed[1], owner, released, _REQUESTED))]

    def amend(self, command: Amend) -> list[Event]:
        seq, order_id, owner, price, quantity_g = command
        if seq <= self._last_seq:
            return [_new(_REJECTED, (seq, order_id, _OUT_OF_SEQUENCE))]
        self._last_seq = seq
        order = self._open.get(order_id)
        if order is None or order.owner != owner:
            refusal: Refusal | None = self._refuse_change(order_id, owner)
        else:
            refusal = self._refuse_numbers(price, quantity_g)
            if refusal is None and quantity_g <= order.quantity_g - order.remaining_g:
                refusal = Refusal.AMEND_NOT_ABOVE_FILLED
        if refusal is not None or order is None:
            return [_new(Rejected, (seq, order_id, refusal))]
        if price == order.price and quantity_g <= order.quantity_g:
            return [self._amend_in_place(order, quantity_g, seq)]
        return self._amend_requeued(order, price, quantity_g, seq)

    def close(self, command: Close) -> list[Event]:
        """The close: every open order expires, oldest priority first; the day is over."""
        seq = command.seq
        if seq <= self._last_seq:
            return [Rejected(seq, None, _OUT_OF_SEQUENCE)]
        self._last_seq = seq
        still_open = sorted(self._open.values(), key=by_priority)
        out: list[Event] = [
            _new(Expired, (seq, o.order_id, o.owner, o.remaining_g)) for o in still_open
        ]
        for o in still_open:
            o.remaining_g = 0
        for table in (self._bids, self._asks, self._open, self._filled, self._cancelled):
            table.clear()
        self._client_ids.clear()
        return out

    # ---- checks ----------------------------------------------------------------------

    def _refuse_new(self, command: Place, opposite: Half) -> Refusal | None:
        if command.order_id <= self._last_order_id:
            return Refusal.ORDER_ID_NOT_INCREASING
        if (command.owner, command.client_order_id) in self._client_ids:
            return Refusal.DUPLICATE_CLIENT_ORDER_ID
        refusal = self._refuse_numbers(command.price_fen_per_t, command.quantity_g)
        if refusal is None and command.levels is not None:
            refusal = self._refuse_levels(command.levels, command.price_fen_per_t, opposite)
        return refusal

    def _refuse_numbers(self, price: int, quantity_g: int) -> Refusal | None:
        if quantity_g <= 0:
            return Refusal.QUANTITY_NOT_POSITIVE
        if quantity_g % self._lot:
            return Refusal.QUANTITY_OFF_LOT
        if quantity_g > self._max_g:
            return Refusal.QUANTITY_ABOVE_MAX
        if price <= 0:
            return Refusal.PRICE_NOT_POSITIVE
        if price % self._tick:
            return Refusal.PRICE_OFF_TICK
        if price < self._low or price > self._high:
            return Refusal.PRICE_OUTSIDE_BAND
        return None

    def _refuse_levels(self, levels: tuple[int, ...], price: int, opposite: Half) -> Refusal | None:
        if not levels:
            return Refusal.NO_LEVELS_CHOSEN
        if len(levels) > self._levels_max:
            return Refusal.TOO_MANY_LEVELS
        sign = opposite.sign
        chosen = {sign * p for p in levels}
        if min(chosen) < sign * price:  # a buy choosing above its limit, a sell below
            return Refusal.LEVEL_BEYOND_LIMIT
        if not chosen.issubset(opposite.keys[-self._levels_max :]):
            return Refusal.LEVEL_NOT_IN_BEST
        return None

    def _refuse_change(self, order_id: int, owner: str) -> Refusal:
        """Why a cancel or amend is refused: the order is not this owner's open one."""
        if order_id in self._open:
            return Refusal.NOT_ORDER_OWNER
        for closed, code in (
            (self._filled, Refusal.ORDER_FILLED),
            (self._cancelled, Refusal.ORDER_CANCELLED),
        ):
            if order_id in closed:
                return code if closed[order_id] == owner else Refusal.NOT_ORDER_OWNER
        return Refusal.ORDER_NOT_FOUND

    # ---- matching --------------------------------------------------------------------

    def _take(self, order: Order, opposite: Half, seq: int, out: list[Event], ioc: bool) -> None:
        """Trade an incoming order against the book; then rest it, or end it."""
        keys, levels = opposite.keys, opposite.levels
        limit_key = opposite.sign * order.price
        while keys and keys[-1] >= limit_key:
            key = keys[-1]
            level = levels[key]
            if self._take_level(order, level, seq, out):
                self._end(order, CancelReason.SELF_TRADE_PREVENTED, seq, out)
                return
            if not level.live:
                keys.pop()
                del levels[key]
            if not order.remaining_g:
                self._filled[order.order_id] = order.owner
                return
        if ioc:
            self._end(order, CancelReason.IMMEDIATE_OR_CANCEL, seq, out)
        else:
            order.half.rest(order)
            self._open[order.order_id] = order

    def _take_chosen(
        self, order: Order, opposite: Half, levels: tuple[int, ...], seq: int, out: list[Event]
    ) -> None:
        """Take the chosen levels, best first; a taking order never rests."""
        for key in sorted({opposite.sign * p for p in levels}, reverse=True):
            level = opposite.levels[key]
            if self._take_level(order, level, seq, out):
                self._end(order, CancelReason.SELF_TRADE_PREVENTED, seq, out)
                return
            if not level.live:
                opposite.drop(key)
            if not order.remaining_g:
                self._filled[order.order_id] = order.owner
                return
        self._end(order, CancelReason.LEVELS_EXHAUSTED, seq, out)

    def _take_level(self, taker: Order, level: Level, seq: int, out: list[Event]) -> bool:
        """Fill the taker from one level in time priority; True if it met its own order."""
        queue, head, open_orders, filled = level.queue, level.head, self._open, self._filled
        remaining = taker.remaining_g
        taker_id, owner, side, price = taker.order_id, taker.owner, taker.side, level.price
        met_own = False
        while remaining and level.live:
            maker = queue[head]
            maker_remaining = maker.remaining_g
            if not maker_remaining:  # cancelled or moved: skip the dead record
                head += 1
                continue
            maker_id, maker_owner = maker.order_id, maker.owner
            if maker_owner == owner:
                met_own = True
                break
            if maker_remaining <= remaining:
                quantity = maker_remaining
                head += 1
                level.live -= 1
                del open_orders[maker_id]
                filled[maker_id] = maker_owner
            else:
                quantity = remaining
            maker.remaining_g = maker_remaining - quantity
            remaining -= quantity
            fill = (seq, taker_id, maker_id, owner, maker_owner, side, price, quantity)
            out.append(_new(_FILL, fill))
        level.advance(head)
        taker.remaining_g = remaining
        return met_own

    def _end(self, order: Order, reason: CancelReason, seq: int, out: list[Event]) -> None:
        """Cancel what is left of an order that is not (or no longer) resting."""
        released = order.remaining_g
        order.remaining_g = 0
        self._cancelled[order.order_id] = order.owner
        out.append(_new(_CANCELLED, (seq, order.order_id, order.owner, released, reason)))

    def _amend_in_place(self, order: Order, quantity_g: int, seq: int) -> Amended:
        remaining_before = order.remaining_g
        order.remaining_g -= order.quantity_g - quantity_g
        order.quantity_g = quantity_g
        return Amended(
            seq,
            order.order_id,
            order.owner,
            order.price,
            quantity_g,
            order.remaining_g,
            order.price,
            remaining_before,
            True,
        )

    def _amend_requeued(self, order: Order, price: int, quantity_g: int, seq: int) -> list[Event]:
        """A new price or more quantity: to the back of the queue, trading if it crosses."""
        half: Half = order.half
        half.unrest(order)
        del self._open[order.order_id]
        price_before, remaining_before = order.price, order.remaining_g
        filled_g = order.quantity_g - remaining_before
        order.remaining_g = 0  # its old place stays in the deque, dead
        moved = Order(
            order.order_id,
            order.client_order_id,
            order.owner,
            order.side,
            price,
            quantity_g,
            quantity_g - filled_g,
            seq,
            half,
        )
        out: list[Event] = [
            Amended(
                seq,
                moved.order_id,
                moved.owner,
                price,
                quantity_g,
                moved.remaining_g,
                price_before,
                remaining_before,
                False,
            )
        ]
        self._take(moved, self._asks if half is self._bids else self._bids, seq, out, False)
        return out

    # ---- reads -----------------------------------------------------------------------

    def best_bid(self) -> int | None:
        keys = self._bids.keys
        return keys[-1] if keys else None

    def best_ask(self) -> int | None:
        keys = self._asks.keys
        return -keys[-1] if keys else None

    def depth(self, levels: int = 5) -> Depth:
        """The best ``levels`` prices of each side with their quantity and order count."""
        return Depth(self._bids.best(levels), self._asks.best(levels))

    def order(self, order_id: int) -> OrderView | None:
        """An open order; None once it is filled, cancelled or expired (see ``state_of``)."""
        o = self._open.get(order_id)
        return None if o is None else view(o)

    def open_orders(self) -> list[OrderView]:
        """Every open order, in time priority."""
        return [view(o) for o in sorted(self._open.values(), key=by_priority)]

    def state_of(self, order_id: int) -> OrderState | None:
        """Open, filled or cancelled today; None if the book does not know it."""
        if order_id in self._open:
            return OrderState.OPEN
        if order_id in self._filled:
            return OrderState.FILLED
        return OrderState.CANCELLED if order_id in self._cancelled else None

    def snapshot(self) -> BookState:
        """What the book knows, as ``rebuild`` takes it back."""
        closed = [ClosedOrder(i, o, OrderState.FILLED) for i, o in self._filled.items()]
        closed += [ClosedOrder(i, o, OrderState.CANCELLED) for i, o in self._cancelled.items()]
        return BookState(
            self._last_seq,
            self._last_order_id,
            tuple(resting(o) for o in sorted(self._open.values(), key=by_priority)),
            tuple(sorted(closed)),
            tuple(sorted(self._client_ids)),
        )

    # ---- rebuilding and checking -----------------------------------------------------

    @classmethod
    def rebuild(cls, params: TradingParams, state: BookState) -> OrderBook:
        """A book holding exactly these orders, each in its original time priority.

        The registry is the truth: this is how a restarted market gets its books back.
        Raises ``IntegrityError`` if the orders cannot form a book (an id listed twice or
        above ``last_order_id``, an order with nothing open, a priority after
        ``last_seq``, a client order id not listed, a crossed book).
        """
        book = cls(params, last_seq=state.last_seq, last_order_id=state.last_order_id)
        book._client_ids.update(state.client_order_ids)
        for closed in state.closed_orders:
            book._require_unknown(closed.order_id)
            target = book._filled if closed.state == OrderState.FILLED else book._cancelled
            target[closed.order_id] = closed.owner
        for r in sorted(state.open_orders, key=lambda r: r.priority_seq):
            book._restore(r)
        problems = book.audit()
        if problems:
            raise IntegrityError("; ".join(problems[:5]), code=_INCONSISTENT)
        return book

    def _restore(self, r: RestingOrder) -> None:
        self._require_unknown(r.order_id)
        if not 0 <= r.filled_g < r.quantity_g or r.priority_seq > self._last_seq:
            raise IntegrityError(f"order {r.order_id} cannot rest", code=_INCONSISTENT)
        side = Side(r.side)
        own = self._bids if side is _BUY else self._asks
        order = Order(
            r.order_id,
            r.client_order_id,
            r.owner,
            side,
            r.price_fen_per_t,
            r.quantity_g,
            r.quantity_g - r.filled_g,
            r.priority_seq,
            own,
        )
        self._open[r.order_id] = order
        own.rest(order)

    def _require_unknown(self, order_id: int) -> None:
        if order_id > self._last_order_id or self.state_of(order_id) is not None:
            raise IntegrityError(f"order {order_id} is listed twice or later", code=_INCONSISTENT)

    def audit(self) -> list[str]:
        """Every way the book's structures disagree with each other (none, normally)."""
        problems = [p for half in (self._bids, self._asks) for p in half.audit(self._open)]
        resting_ids = [o.order_id for h in (self._bids, self._asks) for o in h.live_orders()]
        if len(resting_ids) != len(set(resting_ids)) or set(resting_ids) != set(self._open):
            problems.append("the resting orders are not exactly the open orders")
        for o in self._open.values():
            if not 0 < o.remaining_g <= o.quantity_g:
                problems.append(f"order {o.order_id}: its remaining quantity is off")
            if (o.owner, o.client_order_id) not in self._client_ids:
                problems.append(f"order {o.order_id}: its client order id is not recorded")
        closed = self._filled.keys() | self._cancelled.keys()
        if self._filled.keys() & self._cancelled.keys() or self._open.keys() & closed:
            problems.append("an order is in two states at once")
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None and bid >= ask:
            problems.append(f"crossed: best bid {bid} ≥ best ask {ask}")
        return problems
