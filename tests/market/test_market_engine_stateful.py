"""Random order entry, amends, cancels, closes and rebuilds, with every invariant after
each step.

A ledger kept from the events alone (what the registry will keep: each order's total,
filled part, released part and what is still reserved) must agree with the book after
every step: every open order's remaining and filled quantity, filled + remaining +
released = quantity for every order, the same quantity bought as sold, every fill at
the maker's price and within the taker's limit, and the depth adding up to the open
orders. The book must never be crossed (``audit``), and a refused command must change
nothing. A rule rebuilds the book from its snapshot mid-run, as a restart would.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from market_reference import OWNERS, PARAMS, any_prices, any_quantities, lots, on_tick_prices

from hypothesis_budget import examples
from pctrade.market.engine import (
    Accepted,
    Amend,
    Amended,
    Cancel,
    Cancelled,
    Close,
    Command,
    Event,
    Expired,
    Fill,
    OrderBook,
    Place,
    Rejected,
    Side,
    TimeInForce,
)


@dataclass
class Ledger:
    """One order as the events tell it."""

    owner: str
    side: Side
    price: int
    quantity: int
    filled: int = 0
    released: int = 0
    remaining: int = 0


class BookMachine(RuleBasedStateMachine):
    book_class: type[OrderBook] = OrderBook  # the engine variant under test

    def __init__(self) -> None:
        super().__init__()
        self.book = self.book_class(PARAMS)
        self.seq = 0
        self.next_id = 0
        self.orders: dict[int, Ledger] = {}
        self.bought = self.sold = 0

    # ---- the rules -------------------------------------------------------------------

    @rule(
        owner=st.sampled_from(OWNERS),
        side=st.sampled_from([Side.BUY, Side.SELL]),
        price=any_prices,
        quantity=any_quantities,
        tif=st.sampled_from([TimeInForce.DAY, TimeInForce.DAY, TimeInForce.IOC]),
        ranks=st.none() | st.lists(st.integers(0, 5), min_size=1, max_size=3),
    )
    def place(
        self,
        owner: str,
        side: Side,
        price: int,
        quantity: int,
        tif: TimeInForce,
        ranks: list[int] | None,
    ) -> None:
        self.next_id += 1
        levels = None
        if ranks is not None:
            depth = self.book.depth(6)
            opposite = [
                lv.price_fen_per_t for lv in (depth.asks if side == Side.BUY else depth.bids)
            ]
            levels = tuple(opposite[r] for r in ranks if r < len(opposite)) or None
        client = f"c{self.next_id % 50}"  # repeats: some are refused as duplicates
        self.send(Place(0, self.next_id, client, owner, side, price, quantity, tif, levels))

    @rule(which=st.integers(0, 1_000), someone_else=st.booleans())
    def cancel(self, which: int, someone_else: bool) -> None:
        order_id, owner = self.pick(which)
        self.send(Cancel(0, order_id, OWNERS[0] if someone_else else owner))

    @rule(which=st.integers(0, 1_000), price=on_tick_prices, quantity=lots, same=st.booleans())
    def amend(self, which: int, price: int, quantity: int, same: bool) -> None:
        order_id, owner = self.pick(which)
        known = self.orders.get(order_id)
        new_price = known.price if same and known is not None else price
        self.send(Amend(0, order_id, owner, new_price, quantity))

    @rule()
    def close(self) -> None:
        self.send(Close(0))

    @rule()
    def restart(self) -> None:
        """The registry is the truth: a restart rebuilds the book from what it knows."""
        state = self.book.snapshot()
        self.book = self.book_class.rebuild(PARAMS, state)
        assert self.book.snapshot() == state

    # ---- sending a command and reading its events -------------------------------------

    def pick(self, which: int) -> tuple[int, str]:
        open_orders = self.book.open_orders()
        if open_orders and which % 5:
            view = open_orders[which % len(open_orders)]
            return view.order_id, view.owner
        if self.orders:
            order_id = sorted(self.orders)[which % len(self.orders)]
            return order_id, self.orders[order_id].owner
        return 1, OWNERS[0]

    def send(self, command: Command) -> None:
        self.seq += 1
        command = command._replace(seq=self.seq)
        before = self.book.snapshot()
        events = self.book.apply(command)
        if events and isinstance(events[0], Rejected):
            assert len(events) == 1
            assert self.book.snapshot()._replace(last_seq=before.last_seq) == before
            return
        for event in events:
            self.record(event, command)

    def record(self, event: Event, command: Command) -> None:
        if isinstance(event, Accepted):
            assert isinstance(command, Place)
            self.orders[event.order_id] = Ledger(
                event.owner,
                event.side,
                event.price_fen_per_t,
                event.quantity_g,
                remaining=event.quantity_g,
            )
        elif isinstance(event, Fill):
            self.record_fill(event)
        elif isinstance(event, Cancelled | Expired):
            order = self.orders[event.order_id]
            assert event.quantity_g == order.remaining > 0, (event, order)
            order.released += event.quantity_g
            order.remaining = 0
        elif isinstance(event, Amended):
            order = self.orders[event.order_id]
            assert event.remaining_before_g == order.remaining
            assert event.price_before_fen_per_t == order.price
            assert event.remaining_g == event.quantity_g - order.filled
            order.quantity, order.remaining, order.price = (
                event.quantity_g,
                event.remaining_g,
                event.price_fen_per_t,
            )

    def record_fill(self, fill: Fill) -> None:
        taker, maker = self.orders[fill.taker_order_id], self.orders[fill.maker_order_id]
        assert fill.price_fen_per_t == maker.price, "a trade is at the resting order's price"
        if taker.side == Side.BUY:
            assert fill.price_fen_per_t <= taker.price
        else:
            assert fill.price_fen_per_t >= taker.price
        assert taker.side != maker.side and taker.owner != maker.owner
        assert 0 < fill.quantity_g <= min(taker.remaining, maker.remaining)
        assert fill.quantity_g % PARAMS.quantity_step_g == 0
        for order in (taker, maker):
            order.filled += fill.quantity_g
            order.remaining -= fill.quantity_g
        self.bought += fill.quantity_g
        self.sold += fill.quantity_g

    # ---- invariants --------------------------------------------------------------------

    @invariant()
    def the_book_is_consistent_and_never_crossed(self) -> None:
        assert self.book.audit() == []
        bid, ask = self.book.best_bid(), self.book.best_ask()
        assert bid is None or ask is None or bid < ask

    @invariant()
    def the_events_account_for_every_order(self) -> None:
        for order in self.orders.values():
            assert order.filled + order.remaining + order.released == order.quantity
            assert order.remaining >= 0 and order.filled >= 0
        assert self.bought == self.sold

    @invariant()
    def the_open_orders_are_what_the_events_leave_reserved(self) -> None:
        open_views = {v.order_id: v for v in self.book.open_orders()}
        reserved = {i for i, o in self.orders.items() if o.remaining}
        assert set(open_views) == reserved
        for order_id, view in open_views.items():
            order = self.orders[order_id]
            assert (view.remaining_g, view.filled_g, view.quantity_g, view.price_fen_per_t) == (
                order.remaining,
                order.filled,
                order.quantity,
                order.price,
            )
        depth = self.book.depth(10_000)
        for side, levels in ((Side.BUY, depth.bids), (Side.SELL, depth.asks)):
            on_side = [v for v in open_views.values() if v.side == side]
            assert sum(lv.quantity_g for lv in levels) == sum(v.remaining_g for v in on_side)
            assert sum(lv.orders for lv in levels) == len(on_side)


def test_every_step_keeps_every_invariant(book_class: type[OrderBook]) -> None:
    """The machine above, against the compiled engine and against its Python source."""
    machine = type("BookMachineOf", (BookMachine,), {"book_class": book_class})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples(ci=40, thorough=100),
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
