"""The engine's rules, one example each: priority, prices, IOC, chosen levels, self-trade
prevention, amend, cancel, the close, depth and the trading parameters."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import ValidationError
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
    LevelView,
    OrderBook,
    OrderState,
    Place,
    Side,
    TimeInForce,
    TradingParams,
)
from pctrade.market.engine.sides import SHED_AT
from pctrade.rules import shipped

T = 1_000_000
PARAMS = TradingParams(
    price_step_fen_per_t=10,
    quantity_step_g=T,
    order_quantity_max_g=50 * T,
    price_limit_bps=1_000,
    reference_price_fen_per_t=6_000,
)
BUY, SELL, IOC = Side.BUY, Side.SELL, TimeInForce.IOC


class Desk:
    """A book and a sequencer: numbers each command, keeps the events."""

    def __init__(self, book_class: type[OrderBook]) -> None:
        self.book = book_class(PARAMS)
        self.seq = 0

    def place(
        self,
        owner: str,
        side: Side,
        price: int,
        tonnes: int,
        tif: TimeInForce = TimeInForce.DAY,
        levels: tuple[int, ...] | None = None,
    ) -> list[Event]:
        self.seq += 1
        return self.book.apply(
            Place(self.seq, self.seq, f"c{self.seq}", owner, side, price, tonnes * T, tif, levels)
        )

    def do(self, make: type, *args: object) -> list[Event]:
        self.seq += 1
        command: Command = make(self.seq, *args)
        return self.book.apply(command)


def fills(events: list[Event]) -> list[tuple[int, int, int]]:
    """(maker order id, price, tonnes) of each fill."""
    return [
        (e.maker_order_id, e.price_fen_per_t, e.quantity_g // T)
        for e in events
        if isinstance(e, Fill)
    ]


def test_best_price_first_then_oldest_and_every_trade_at_the_makers_price(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("s1", SELL, 6_020, 2)  # 1
    desk.place("s2", SELL, 6_010, 2)  # 2: better price, later
    desk.place("s3", SELL, 6_010, 2)  # 3: same price, later still
    events = desk.place("b", BUY, 6_100, 5)  # 4
    assert fills(events) == [(2, 6_010, 2), (3, 6_010, 2), (1, 6_020, 1)]
    assert events[0] == Accepted(4, 4, "b", BUY, 6_100, 5 * T)
    view = desk.book.order(1)
    assert view is not None and view.remaining_g == T and view.filled_g == T
    assert desk.book.state_of(4) is OrderState.FILLED
    assert desk.book.state_of(2) is OrderState.FILLED


def test_the_rest_of_a_day_order_rests_and_an_ioc_rest_is_cancelled(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("s", SELL, 6_010, 1)
    day = desk.place("b", BUY, 6_010, 3)
    assert desk.book.best_bid() == 6_010 and desk.book.order(2) is not None
    assert fills(day) == [(1, 6_010, 1)]
    desk.place("s", SELL, 6_020, 1)
    ioc = desk.place("b2", BUY, 6_030, 4, IOC)
    assert fills(ioc) == [(3, 6_020, 1)]
    assert ioc[-1] == Cancelled(4, 4, "b2", 3 * T, CancelReason.IMMEDIATE_OR_CANCEL)
    assert desk.book.order(4) is None and desk.book.best_bid() == 6_010
    alone = desk.place("b3", BUY, 5_900, 1, IOC)  # nothing to trade with
    assert alone[1:] == [Cancelled(5, 5, "b3", T, CancelReason.IMMEDIATE_OR_CANCEL)]


def test_a_taker_takes_only_its_chosen_levels_among_the_best_five(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    for i in range(6):  # asks at 6,010 … 6,060, orders 1 … 6
        desk.place(f"s{i}", SELL, 6_010 + 10 * i, 1)
    events = desk.place("b", BUY, 6_100, 5, levels=(6_030, 6_010, 6_050))
    assert fills(events) == [(1, 6_010, 1), (3, 6_030, 1), (5, 6_050, 1)]
    assert events[-1] == Cancelled(7, 7, "b", 2 * T, CancelReason.LEVELS_EXHAUSTED)
    assert [lv.price_fen_per_t for lv in desk.book.depth(10).asks] == [6_020, 6_040, 6_060]
    assert desk.book.best_bid() is None  # a taking order never rests
    # A sell taker chooses among the best five bids the same way.
    for i in range(3):
        desk.place(f"b{i}", BUY, 5_990 - 10 * i, 2)  # bids 5,990, 5,980, 5,970
    events = desk.place("s", SELL, 5_900, 3, levels=(5_980,))
    assert fills(events) == [(9, 5_980, 2)]


def test_a_taker_that_fills_leaves_the_rest_of_its_levels(book_class: type[OrderBook]) -> None:
    desk = Desk(book_class)
    desk.place("s1", SELL, 6_010, 3)
    events = desk.place("b", BUY, 6_010, 1, levels=(6_010,))
    assert fills(events) == [(1, 6_010, 1)] and not any(isinstance(e, Cancelled) for e in events)
    assert desk.book.depth(1).asks == (LevelView(6_010, 2 * T, 1),)


def test_self_trade_prevention_cancels_the_incoming_order_and_keeps_the_resting_one(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("x", SELL, 6_010, 1)  # 1
    desk.place("me", SELL, 6_020, 2)  # 2: my own resting order
    desk.place("y", SELL, 6_030, 1)  # 3
    events = desk.place("me", BUY, 6_050, 4)  # 4
    # The trade before my own order stands; then my incoming order's rest is cancelled.
    assert fills(events) == [(1, 6_010, 1)]
    assert events[-1] == Cancelled(4, 4, "me", 3 * T, CancelReason.SELF_TRADE_PREVENTED)
    resting = desk.book.order(2)
    assert resting is not None and resting.remaining_g == 2 * T and resting.priority_seq == 2
    assert desk.book.best_bid() is None and desk.book.best_ask() == 6_020


def test_an_amend_that_crosses_into_its_owners_order_is_stopped_too(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("me", SELL, 6_010, 1)  # 1
    desk.place("me", BUY, 5_990, 2)  # 2
    events = desk.do(Amend, 2, "me", 6_010, 2 * T)
    assert isinstance(events[0], Amended) and not events[0].priority_kept
    assert events[1:] == [Cancelled(3, 2, "me", 2 * T, CancelReason.SELF_TRADE_PREVENTED)]
    assert desk.book.best_ask() == 6_010


def test_amend_down_keeps_priority_up_or_a_new_price_loses_it(book_class: type[OrderBook]) -> None:
    desk = Desk(book_class)
    desk.place("a", SELL, 6_010, 3)  # 1
    desk.place("b", SELL, 6_010, 3)  # 2
    down = desk.do(Amend, 1, "a", 6_010, 2 * T)
    assert down == [Amended(3, 1, "a", 6_010, 2 * T, 2 * T, 6_010, 3 * T, True)]
    assert fills(desk.place("x", BUY, 6_010, 1)) == [(1, 6_010, 1)]  # still first
    up = desk.do(Amend, 1, "a", 6_010, 4 * T)  # 1 t filled: 3 t open after the amend
    assert up == [Amended(5, 1, "a", 6_010, 4 * T, 3 * T, 6_010, T, False)]
    assert fills(desk.place("x", BUY, 6_010, 1)) == [(2, 6_010, 1)]  # now behind order 2
    view = desk.book.order(1)
    assert view is not None and view.priority_seq == 5 and view.filled_g == T


def test_an_amended_price_that_crosses_trades_at_once_at_the_makers_price(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("s", SELL, 6_020, 1)  # 1
    desk.place("b", BUY, 5_990, 2)  # 2
    events = desk.do(Amend, 2, "b", 6_050, 2 * T)
    assert events[0] == Amended(3, 2, "b", 6_050, 2 * T, 2 * T, 5_990, 2 * T, False)
    assert fills(events) == [(1, 6_020, 1)]
    assert desk.book.best_bid() == 6_050 and desk.book.best_ask() is None


def test_a_cancel_releases_exactly_what_is_left(book_class: type[OrderBook]) -> None:
    desk = Desk(book_class)
    desk.place("s", SELL, 6_010, 5)
    desk.place("b", BUY, 6_010, 2)
    assert desk.do(Cancel, 1, "s") == [Cancelled(3, 1, "s", 3 * T, CancelReason.REQUESTED)]
    assert desk.book.best_ask() is None and desk.book.state_of(1) is OrderState.CANCELLED


def test_the_close_expires_every_open_order_oldest_first_and_exactly(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    desk.place("s", SELL, 6_030, 2)  # 1
    desk.place("b", BUY, 5_990, 3)  # 2
    desk.place("s2", SELL, 6_020, 4)  # 3
    desk.do(Amend, 1, "s", 6_040, 2 * T)  # 4: order 1 moves behind order 3
    desk.place("x", BUY, 6_020, 1)  # 5: 1 t of order 3 trades
    assert desk.do(Close) == [
        Expired(6, 2, "b", 3 * T),
        Expired(6, 3, "s2", 3 * T),
        Expired(6, 1, "s", 2 * T),
    ]
    assert desk.book.open_orders() == [] and desk.book.depth() == ((), ())
    assert desk.book.audit() == []


def test_depth_sums_each_level_best_first(book_class: type[OrderBook]) -> None:
    desk = Desk(book_class)
    desk.place("a", SELL, 6_020, 2)
    desk.place("b", SELL, 6_020, 3)
    desk.place("c", SELL, 6_010, 1)
    desk.place("d", BUY, 5_990, 4)
    desk.do(Cancel, 2, "b")
    depth = desk.book.depth(5)
    assert depth.asks == (LevelView(6_010, T, 1), LevelView(6_020, 2 * T, 1))
    assert depth.bids == (LevelView(5_990, 4 * T, 1),)
    assert desk.book.depth(0) == ((), ())


def test_the_band_is_inclusive_and_snapped_inward_to_the_tick(book_class: type[OrderBook]) -> None:
    params = TradingParams(10, T, 50 * T, 1_000, 5_005)
    assert params.band() == (4_510, 5_500)  # exactly 4,504.5 and 5,505.5
    assert TradingParams(1, T, 50 * T, 1_000, 6_000).band() == (5_400, 6_600)
    assert TradingParams(10, T, 50 * T, 1_000, None).band()[0] == 10
    book = book_class(params)
    assert not _refused(book.apply(Place(1, 1, "a", "s", SELL, 4_510, T)))
    assert _refused(book.apply(Place(2, 2, "b", "s", SELL, 4_500, T)))
    book.set_params(TradingParams(10, T, 50 * T, 1_000, 4_200))  # the next day's close
    assert not _refused(book.apply(Place(3, 3, "c", "s", SELL, 4_500, T)))


def _refused(events: list[Event]) -> bool:
    return type(events[0]).__name__ == "Rejected"


@pytest.mark.parametrize(
    "fields",
    [
        (0, T, T, 1_000, 6_000),  # no tick
        (10, 0, T, 1_000, 6_000),  # no lot
        (10, T, T - 1, 1_000, 6_000),  # a maximum below one lot
        (10, T, T, 10_000, 6_000),  # a band of ±100 %
        (10, T, T, 1_000, 0),  # a reference price of nothing
        (1_000, T, T, 10, 6_050),  # a band with no price on the tick in it
    ],
)
def test_trading_parameters_that_make_no_sense_are_refused(
    fields: tuple[int, int, int, int, int],
) -> None:
    with pytest.raises(ValidationError) as caught:
        TradingParams(*fields)
    assert caught.value.code == "bad_trading_params"


def test_the_national_rule_sets_trading_section_gives_the_parameters(
    book_class: type[OrderBook],
) -> None:
    trading = shipped().by_version("CN/2021-02-01").trading
    assert trading is not None
    params = TradingParams(
        price_step_fen_per_t=trading.price_step_fen_per_t,
        quantity_step_g=trading.quantity_step_g,
        order_quantity_max_g=trading.order_quantity_max_g,
        price_limit_bps=trading.price_limit_bps,
        reference_price_fen_per_t=5_000,
    )
    assert params.band() == (4_500, 5_500)
    book = book_class(params)
    assert _refused(book.apply(Place(1, 1, "a", "s", SELL, 5_000, 100_000 * T)))  # < 100,000 t
    assert not _refused(book.apply(Place(2, 2, "b", "s", SELL, 5_000, 99_999 * T)))


def test_apply_and_the_commands_own_methods_agree(book_class: type[OrderBook]) -> None:
    a, b = book_class(PARAMS), book_class(PARAMS)
    commands: list[Command] = [
        Place(1, 1, "a", "s", SELL, 6_010, 2 * T),
        Place(2, 2, "b", "b", BUY, 6_010, T),
        Amend(3, 1, "s", 6_020, 2 * T),
        Cancel(4, 1, "s"),
        Close(5),
    ]
    methods = [b.place, b.place, b.amend, b.cancel, b.close]
    for command, method in zip(commands, methods, strict=True):
        assert a.apply(command) == method(command)


def test_a_long_queue_forgets_what_left_its_front_and_keeps_time_priority(
    book_class: type[OrderBook],
) -> None:
    desk = Desk(book_class)
    for i in range(300):  # orders 1 … 300, 1 t each, at one price
        desk.place(f"s{i}", SELL, 6_010, 1)
    for order_id in range(2, 300, 7):  # some cancelled in the middle: dead records
        desk.do(Cancel, order_id, f"s{order_id - 1}")
    cancelled = set(range(2, 300, 7))
    expected = [i for i in range(1, 301) if i not in cancelled]
    taken = [fills(desk.place("b", BUY, 6_010, 1))[0][0] for _ in range(200)]
    assert taken == expected[:200]  # oldest first, the cancelled skipped
    queue = desk.book._asks.levels[-6_010].queue
    left = len(expected) - 200
    assert len(queue) < 2 * left + SHED_AT  # what left the front is not kept for ever
    assert desk.book.depth(1).asks == (LevelView(6_010, left * T, left),)
    assert desk.book.audit() == []
