"""A plain, obviously correct matcher, and random command streams to hold the engine to it.

``ReferenceBook`` reads the engine's documented rules (``pctrade.market.engine.book``)
and implements them the slow, direct way: every order of the day in one dict, and each
trade found by scanning every open order for the best price and then the oldest
priority. It shares nothing with the engine but the message types. The band is worked
out with fractions, the best five levels by sorting.

``streams`` draws command *plans* with hypothesis; ``commands_for`` turns a plan into a
command when it is its turn, looking at the reference book so that cancels and amends
mostly name real orders and chosen levels mostly name real price levels.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from pctrade.market.engine import (
    Accepted,
    Amend,
    Amended,
    Cancel,
    Cancelled,
    CancelReason,
    Close,
    Command,
    Event,
    Expired,
    Fill,
    Place,
    Refusal,
    Rejected,
    Side,
    TimeInForce,
    TradingParams,
)

PARAMS = TradingParams(
    price_step_fen_per_t=10,
    quantity_step_g=1_000,
    order_quantity_max_g=8_000,
    price_limit_bps=1_000,
    reference_price_fen_per_t=1_005,
)
OWNERS = ("alice", "bob", "carol", "dave")


@dataclass
class RefOrder:
    order_id: int
    client_order_id: str
    owner: str
    side: Side
    price: int
    quantity: int
    filled: int
    priority: int
    state: str = "open"
    cancelled: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled - self.cancelled


class ReferenceBook:
    def __init__(self, params: TradingParams) -> None:
        self.p = params
        ref = params.reference_price_fen_per_t
        assert ref is not None
        tick = params.price_step_fen_per_t
        rate = Fraction(params.price_limit_bps, 10_000)
        self.low = max(math.ceil(ref * (1 - rate) / tick) * tick, tick)
        self.high = math.floor(ref * (1 + rate) / tick) * tick
        self.orders: dict[int, RefOrder] = {}
        self.client_ids: set[tuple[str, str]] = set()
        self.last_seq = 0
        self.last_order_id = 0

    # ---- reads used by the stream and the tests --------------------------------------

    def open_orders(self) -> list[RefOrder]:
        return [o for o in self.orders.values() if o.state == "open"]

    def best_prices(self, side: Side) -> list[int]:
        """Distinct prices of the open orders on ``side``, best first."""
        prices = {o.price for o in self.open_orders() if o.side == side}
        return sorted(prices, reverse=side == Side.BUY)

    # ---- commands --------------------------------------------------------------------

    def apply(self, command: Command) -> list[Event]:
        if command.seq <= self.last_seq:
            order_id = None if isinstance(command, Close) else command.order_id
            return [Rejected(command.seq, order_id, Refusal.SEQUENCE_NOT_INCREASING)]
        self.last_seq = command.seq
        if isinstance(command, Place):
            return self.place(command)
        if isinstance(command, Cancel):
            return self.cancel(command)
        if isinstance(command, Amend):
            return self.amend(command)
        return self.close(command)

    def place(self, c: Place) -> list[Event]:
        code = self.refuse_place(c)
        if code is not None:
            return [Rejected(c.seq, c.order_id, code)]
        self.last_order_id = c.order_id
        self.client_ids.add((c.owner, c.client_order_id))
        order = RefOrder(
            c.order_id,
            c.client_order_id,
            c.owner,
            c.side,
            c.price_fen_per_t,
            c.quantity_g,
            0,
            c.seq,
        )
        self.orders[c.order_id] = order
        events: list[Event] = [
            Accepted(c.seq, c.order_id, c.owner, c.side, c.price_fen_per_t, c.quantity_g)
        ]
        allowed = None if c.levels is None else set(c.levels)
        met_own = self.match(order, c.seq, events, allowed)
        if met_own:
            self.end(order, c.seq, events, CancelReason.SELF_TRADE_PREVENTED)
        elif order.remaining and c.levels is not None:
            self.end(order, c.seq, events, CancelReason.LEVELS_EXHAUSTED)
        elif order.remaining and c.time_in_force == TimeInForce.IOC:
            self.end(order, c.seq, events, CancelReason.IMMEDIATE_OR_CANCEL)
        elif not order.remaining:
            order.state = "filled"
        return events

    def refuse_place(self, c: Place) -> Refusal | None:
        if c.order_id <= self.last_order_id:
            return Refusal.ORDER_ID_NOT_INCREASING
        if (c.owner, c.client_order_id) in self.client_ids:
            return Refusal.DUPLICATE_CLIENT_ORDER_ID
        code = self.refuse_numbers(c.price_fen_per_t, c.quantity_g)
        if code is not None or c.levels is None:
            return code
        if not c.levels:
            return Refusal.NO_LEVELS_CHOSEN
        if len(c.levels) > self.p.taker_levels_max:
            return Refusal.TOO_MANY_LEVELS
        buy = c.side == Side.BUY
        if any(p > c.price_fen_per_t if buy else p < c.price_fen_per_t for p in c.levels):
            return Refusal.LEVEL_BEYOND_LIMIT
        opposite = Side.SELL if buy else Side.BUY
        best = self.best_prices(opposite)[: self.p.taker_levels_max]
        if any(p not in best for p in c.levels):
            return Refusal.LEVEL_NOT_IN_BEST
        return None

    def refuse_numbers(self, price: int, quantity: int) -> Refusal | None:
        if quantity <= 0:
            return Refusal.QUANTITY_NOT_POSITIVE
        if quantity % self.p.quantity_step_g:
            return Refusal.QUANTITY_OFF_LOT
        if quantity > self.p.order_quantity_max_g:
            return Refusal.QUANTITY_ABOVE_MAX
        if price <= 0:
            return Refusal.PRICE_NOT_POSITIVE
        if price % self.p.price_step_fen_per_t:
            return Refusal.PRICE_OFF_TICK
        if not self.low <= price <= self.high:
            return Refusal.PRICE_OUTSIDE_BAND
        return None

    def match(
        self, taker: RefOrder, seq: int, events: list[Event], allowed: set[int] | None
    ) -> bool:
        """Trade until filled or nothing crosses; True if stopped by its owner's own order."""
        buy = taker.side == Side.BUY
        while taker.remaining:
            makers = [
                o
                for o in self.open_orders()
                if o.side != taker.side
                and (o.price <= taker.price if buy else o.price >= taker.price)
                and (allowed is None or o.price in allowed)
                and o is not taker
            ]
            if not makers:
                return False
            maker = min(makers, key=lambda o: (o.price if buy else -o.price, o.priority))
            if maker.owner == taker.owner:
                return True
            quantity = min(maker.remaining, taker.remaining)
            maker.filled += quantity
            taker.filled += quantity
            if not maker.remaining:
                maker.state = "filled"
            events.append(
                Fill(
                    seq,
                    taker.order_id,
                    maker.order_id,
                    taker.owner,
                    maker.owner,
                    taker.side,
                    maker.price,
                    quantity,
                )
            )
        return False

    def end(self, order: RefOrder, seq: int, events: list[Event], reason: CancelReason) -> None:
        released = order.remaining
        order.cancelled += released
        order.state = "cancelled"
        events.append(Cancelled(seq, order.order_id, order.owner, released, reason))

    def refuse_change(self, order_id: int, owner: str) -> Refusal | None:
        order = self.orders.get(order_id)
        if order is None:
            return Refusal.ORDER_NOT_FOUND
        if order.owner != owner:
            return Refusal.NOT_ORDER_OWNER
        if order.state == "filled":
            return Refusal.ORDER_FILLED
        if order.state == "cancelled":
            return Refusal.ORDER_CANCELLED
        return None

    def cancel(self, c: Cancel) -> list[Event]:
        code = self.refuse_change(c.order_id, c.owner)
        if code is not None:
            return [Rejected(c.seq, c.order_id, code)]
        events: list[Event] = []
        self.end(self.orders[c.order_id], c.seq, events, CancelReason.REQUESTED)
        return events

    def amend(self, c: Amend) -> list[Event]:
        code = self.refuse_change(c.order_id, c.owner)
        order = self.orders.get(c.order_id)
        if code is None and order is not None:
            code = self.refuse_numbers(c.price_fen_per_t, c.quantity_g)
            if code is None and c.quantity_g <= order.filled:
                code = Refusal.AMEND_NOT_ABOVE_FILLED
        if code is not None or order is None:
            return [Rejected(c.seq, c.order_id, code or Refusal.ORDER_NOT_FOUND)]
        price_before, remaining_before = order.price, order.remaining
        kept = c.price_fen_per_t == order.price and c.quantity_g <= order.quantity
        order.price, order.quantity = c.price_fen_per_t, c.quantity_g
        if not kept:
            order.priority = c.seq
        events: list[Event] = [
            Amended(
                c.seq,
                c.order_id,
                c.owner,
                c.price_fen_per_t,
                c.quantity_g,
                order.remaining,
                price_before,
                remaining_before,
                kept,
            )
        ]
        if not kept:
            if self.match(order, c.seq, events, None):
                self.end(order, c.seq, events, CancelReason.SELF_TRADE_PREVENTED)
            elif not order.remaining:
                order.state = "filled"
        return events

    def close(self, c: Close) -> list[Event]:
        events: list[Event] = [
            Expired(c.seq, o.order_id, o.owner, o.remaining)
            for o in sorted(self.open_orders(), key=lambda o: o.priority)
        ]
        self.orders.clear()
        self.client_ids.clear()
        return events


# ---- random streams ----------------------------------------------------------------------

# Hypothesis draws small and boundary values first and does not weigh ``one_of``'s
# branches, so every "mostly this, sometimes that" is a ``sampled_from`` with repeats.
rarely = st.sampled_from((False,) * 19 + (True,))


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> Any:
    """``usual`` nine times in ten, ``other`` the tenth."""
    return st.tuples(rarely, usual, other).map(lambda t: t[2] if t[0] else t[1])


on_tick_prices = st.sampled_from(range(900, 1_120, 10))  # the band is 910..1100
any_prices = mostly(on_tick_prices, st.integers(-10, 1_200))
lots = st.sampled_from(range(1_000, 10_000, 1_000))  # the maximum is 8 lots
any_quantities = mostly(lots, st.integers(-1_000, 10_000))


def _plan(draw: tuple[Any, ...]) -> tuple[Any, ...]:
    """One flat draw made into a plan: flat, because ``flatmap`` is slow to generate."""
    kind, owner, side, price, quantity, tif, choosing, code, client, flag, which, keep = draw
    if kind == "close":
        return ("close",)
    if kind != "place":
        return (kind, which, flag, price, quantity, keep)  # flag: someone else asks
    ranks = None
    if choosing == "good":  # one to three of the best five levels
        ranks = [(code >> (3 * i + 2)) % 5 for i in range(1 + code % 3)]
    elif choosing == "any":  # up to seven ranks, some beyond the best five, or none
        ranks = [(code >> (3 * i + 3)) % 8 for i in range(code % 8)]
    return ("place", owner, side, price, quantity, tif, ranks, client, flag)  # flag: old id


plans = st.tuples(
    st.sampled_from(["place"] * 40 + ["cancel"] * 10 + ["amend"] * 10 + ["close"]),
    st.sampled_from(OWNERS),
    st.sampled_from([Side.BUY, Side.SELL]),
    any_prices,
    any_quantities,
    st.sampled_from([TimeInForce.DAY, TimeInForce.DAY, TimeInForce.DAY, TimeInForce.IOC]),
    st.sampled_from(["none"] * 17 + ["good", "good", "any"]),  # a taker choosing levels
    st.integers(0, 2**24),  # which levels it chooses
    st.integers(0, 150),  # the client order id's number: repeats are refused
    rarely,  # a place: an order id not above the last; a change: someone else asks
    st.integers(0, 10_000),  # a change: which order
    st.booleans(),  # an amend: keep the price
).map(_plan)
streams = st.lists(st.tuples(plans, rarely), min_size=30, max_size=120)  # rarely: a stale seq


class StreamState:
    """Numbers the commands of a plan: seq, order ids, and the orders placed so far."""

    def __init__(self) -> None:
        self.seq = 0
        self.next_order_id = 1
        self.placed: list[tuple[int, str, int]] = []  # (order id, owner, price)


def commands_for(plan: Any, stale: bool, state: StreamState, ref: ReferenceBook) -> Command:
    """The command for one plan; ``stale``: sent with a seq that is not above the last."""
    state.seq += 1
    seq = max(state.seq - 2, 0) if stale else state.seq
    if plan[0] == "close":
        return Close(seq)
    if plan[0] == "place":
        _, owner, side, price, quantity, tif, ranks, client, reused_id = plan
        order_id = max(state.next_order_id - 1, 0) if reused_id else state.next_order_id
        state.next_order_id += 1
        levels = None
        if ranks is not None:
            opposite = ref.best_prices(Side.SELL if side == Side.BUY else Side.BUY)
            levels = tuple(opposite[r] if r < len(opposite) else 1_000 + 10 * r for r in ranks)
            if client % 2:  # a limit that lets every chosen level trade
                price = ref.high if side == Side.BUY else ref.low
        state.placed.append((order_id, owner, price))
        return Place(seq, order_id, f"c{client}", owner, side, price, quantity, tif, levels)
    kind, which, someone_else, price, quantity, keep_price = plan
    if not state.placed:
        return Cancel(seq, 1, OWNERS[0])
    still_open = sorted(ref.open_orders(), key=lambda o: o.order_id)
    if which % 4 != 3 and still_open:  # mostly an open order; else any, maybe long gone
        chosen = still_open[which % len(still_open)]
        order_id, owner, placed_price = chosen.order_id, chosen.owner, chosen.price
    else:
        order_id, owner, placed_price = state.placed[which % len(state.placed)]
    if someone_else:
        owner = OWNERS[(OWNERS.index(owner) + 1) % len(OWNERS)]
    if kind == "cancel":
        return Cancel(seq, order_id, owner)
    ref_order = ref.orders.get(order_id)
    current = ref_order.price if ref_order is not None else placed_price
    return Amend(seq, order_id, owner, current if keep_price else price, quantity)


def random_plan(rng: random.Random) -> tuple[Any, bool]:
    """A plan as ``streams`` draws them, from a seeded generator (for fixed streams)."""

    def price() -> int:
        return rng.randint(90, 111) * 10 if rng.random() < 0.9 else rng.randint(-10, 1200)

    def quantity() -> int:
        return rng.randint(1, 9) * 1_000 if rng.random() < 0.9 else rng.randint(-1_000, 10_000)

    kind = rng.choices(["place", "cancel", "amend", "close"], [40, 10, 10, 1])[0]
    stale = rng.random() < 0.05
    if kind == "close":
        return ("close",), stale
    if kind == "place":
        ranks = None
        if rng.random() < 0.15:
            ranks = [rng.randint(0, 4) for _ in range(rng.randint(1, 3))]
        elif rng.random() < 0.1:
            ranks = [rng.randint(0, 7) for _ in range(rng.randint(0, 7))]
        tif = rng.choice([TimeInForce.DAY, TimeInForce.DAY, TimeInForce.DAY, TimeInForce.IOC])
        side = rng.choice([Side.BUY, Side.SELL])
        plan = ("place", rng.choice(OWNERS), side, price(), quantity(), tif, ranks)
        return (*plan, rng.randint(0, 150), rng.random() < 0.05), stale
    plan = (kind, rng.randint(0, 10_000), rng.random() < 0.05, price(), quantity())
    return (*plan, rng.random() < 0.5), stale
