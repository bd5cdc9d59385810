"""The book's inner structures: order records, price levels, and the two sides.

A side keeps a dict of price levels and a sorted list of their keys, with the best
level last: bids are keyed by price and asks by −price, so on both sides the best is the
largest key, taking it is ``keys[-1]`` and dropping an emptied best level is a
``pop()``. A level is a queue of orders in time priority: a list and the index of its
front (a list, not a deque, because compiled code indexes and appends to a list without
a method call). A cancelled (or re-queued) order is not searched for in its queue: it
is marked dead (nothing remaining) and skipped when it reaches the front, while the
level counts its live orders, so a cancel never scans a level. Internal to the engine:
the world sees ``messages``' views.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from typing import Final

from pctrade.market.engine.messages import LevelView, OrderView, RestingOrder, Side


class Order:
    """An open order as the book holds it; ``remaining_g`` is 0 once the record is dead in
    its level's queue (cancelled, or moved by an amend). Filled is quantity − remaining.

    A plain class with slots: compiled (see ``pctrade.market.engine.implementation``), a C
    struct, its fields read and written without a dictionary or a boxed integer."""

    __slots__ = (
        "client_order_id",
        "half",
        "order_id",
        "owner",
        "price",
        "priority_seq",
        "quantity_g",
        "remaining_g",
        "side",
    )

    def __init__(
        self,
        order_id: int,
        client_order_id: str,
        owner: str,
        side: Side,
        price: int,
        quantity_g: int,
        remaining_g: int,
        priority_seq: int,
        half: Half,
    ) -> None:
        self.order_id = order_id
        self.client_order_id = client_order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.quantity_g = quantity_g
        self.remaining_g = remaining_g
        self.priority_seq = priority_seq
        self.half = half


def view(o: Order) -> OrderView:
    return OrderView(
        o.order_id,
        o.client_order_id,
        o.owner,
        o.side,
        o.price,
        o.quantity_g,
        o.quantity_g - o.remaining_g,
        o.remaining_g,
        o.priority_seq,
    )


def resting(o: Order) -> RestingOrder:
    return RestingOrder(
        o.order_id,
        o.client_order_id,
        o.owner,
        o.side,
        o.price,
        o.quantity_g,
        o.quantity_g - o.remaining_g,
        o.priority_seq,
    )


def by_priority(o: Order) -> int:
    return o.priority_seq


# A level's queue sheds the records before its front once there are this many of them
# and they are at least half of it: the queue stays under twice its records still in
# it, plus this, and each record is copied about once.
SHED_AT: Final = 64


class Level:
    """The orders at one price, in time priority, and how many of them are live.

    ``queue[head]`` is the front; the records before it have left the level."""

    __slots__ = ("head", "live", "price", "queue")

    def __init__(self, price: int) -> None:
        self.price = price
        self.queue: list[Order] = []
        self.head = 0
        self.live = 0  # records from the front on that still rest here

    def advance(self, head: int) -> None:
        """Make ``queue[head]`` the front (the records before it have left)."""
        if head >= SHED_AT and head + head >= len(self.queue):
            del self.queue[:head]
            head = 0
        self.head = head

    def live_orders(self) -> Iterator[Order]:
        return (o for o in self.queue[self.head :] if o.remaining_g)


class Half:
    """One side of the book. ``key = sign × price``: the best level has the largest key."""

    __slots__ = ("keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.keys: list[int] = []  # ascending: the best is last
        self.levels: dict[int, Level] = {}

    def rest(self, order: Order) -> None:
        """Put an order at the back of its level (``OrderBook.place`` inlines this)."""
        key = self.sign * order.price
        level = self.levels.get(key)
        if level is None:
            level = self.levels[key] = Level(order.price)
            insort(self.keys, key)
        level.queue.append(order)
        level.live += 1

    def unrest(self, order: Order) -> None:
        """Take a resting order out of its level; the caller marks it dead."""
        key = self.sign * order.price
        level = self.levels[key]
        level.live -= 1
        if not level.live:
            self.drop(key)
        elif level.queue[level.head] is order:
            level.advance(level.head + 1)

    def drop(self, key: int) -> None:
        """Forget an emptied level."""
        del self.levels[key]
        keys = self.keys
        if keys[-1] == key:
            keys.pop()
        else:
            del keys[bisect_left(keys, key)]

    def best(self, n: int) -> tuple[LevelView, ...]:
        """The best ``n`` levels, best first, with their open quantity and order count."""
        keys = self.keys[-n:] if n > 0 else []
        return tuple(
            LevelView(lv.price, sum(o.remaining_g for o in lv.live_orders()), lv.live)
            for lv in (self.levels[k] for k in reversed(keys))
        )

    def live_orders(self) -> Iterator[Order]:
        """Every order resting on this side, best level first, in time priority."""
        for key in reversed(self.keys):
            yield from self.levels[key].live_orders()

    def clear(self) -> None:
        self.keys.clear()
        self.levels.clear()

    def audit(self, open_orders: dict[int, Order]) -> Iterator[str]:
        """Where this side's keys, levels, counts and queues disagree."""
        keys = self.keys
        if keys != sorted(set(keys)) or set(keys) != set(self.levels):
            yield f"side {self.sign}: the price keys and the levels disagree"
        for key, level in self.levels.items():
            live = list(level.live_orders())
            if key != self.sign * level.price or not live or len(live) != level.live:
                yield f"level {level.price}: under the wrong key, or its count is off"
            seqs = [o.priority_seq for o in live]
            if seqs != sorted(set(seqs)):
                yield f"level {level.price}: orders out of time priority"
            for o in live:
                if o.price != level.price or o.half is not self:
                    yield f"order {o.order_id}: in the wrong level"
                if open_orders.get(o.order_id) is not o:
                    yield f"order {o.order_id}: rests but is not open"
