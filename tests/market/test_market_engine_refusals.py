"""Every refusal code of the engine, each on its own: the code, and nothing changed.

"Nothing changed" is checked on the book's whole state (``snapshot``): the same open
orders with the same remaining quantities and priorities, the same closed orders and
client order ids; only the last sequence number seen moves on.
"""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import Conflict, Forbidden, NotFound, ValidationError
from pctrade.market.engine import (
    Amend,
    BookState,
    Cancel,
    Close,
    Command,
    OrderBook,
    Place,
    Refusal,
    Rejected,
    Side,
    TimeInForce,
    TradingParams,
    refusal_error,
)

T = 1_000_000
PARAMS = TradingParams(
    price_step_fen_per_t=10,
    quantity_step_g=T,
    order_quantity_max_g=50 * T,
    price_limit_bps=1_000,
    reference_price_fen_per_t=6_000,  # the band: 5,400 to 6,600
)
BUY, SELL = Side.BUY, Side.SELL


def _book(book_class: type[OrderBook]) -> OrderBook:
    """Asks at 6,010 / 6,020 / … / 6,070 (seven levels, 1 t each, seller "s"), a bid of
    3 t at 5,990 by "b" of which 1 t has traded, and a filled and a cancelled order."""
    book = book_class(PARAMS)
    seq = 0

    def go(command: Command) -> None:
        nonlocal seq
        assert not any(isinstance(e, Rejected) for e in book.apply(command)), command

    for i in range(7):
        seq += 1
        go(Place(seq, seq, f"a{i}", "s", SELL, 6_010 + 10 * i, T))
    go(Place(8, 8, "bid", "b", BUY, 5_990, 3 * T))
    go(Place(9, 9, "hit", "s", SELL, 5_990, T))  # fills 1 t of the bid: order 9 is filled
    go(Place(10, 10, "gone", "b", BUY, 5_900, T))
    go(Cancel(11, 10, "b"))  # order 10 is cancelled
    return book


def _refused(book: OrderBook, command: Command) -> Refusal:
    before = book.snapshot()
    events = book.apply(command)
    assert len(events) == 1 and isinstance(events[0], Rejected), events
    after = book.snapshot()
    assert after._replace(last_seq=before.last_seq) == before, "a refusal changed the book"
    return events[0].code


def _place(**changes: object) -> Place:
    base = Place(100, 100, "new", "n", BUY, 6_000, 2 * T)
    return base._replace(**changes)


CASES: list[tuple[Command, Refusal]] = [
    (_place(seq=11), Refusal.SEQUENCE_NOT_INCREASING),
    (_place(order_id=10), Refusal.ORDER_ID_NOT_INCREASING),
    (_place(owner="b", client_order_id="bid"), Refusal.DUPLICATE_CLIENT_ORDER_ID),
    (_place(quantity_g=0), Refusal.QUANTITY_NOT_POSITIVE),
    (_place(quantity_g=-T), Refusal.QUANTITY_NOT_POSITIVE),
    (_place(quantity_g=T + 1), Refusal.QUANTITY_OFF_LOT),
    (_place(quantity_g=51 * T), Refusal.QUANTITY_ABOVE_MAX),
    (_place(price_fen_per_t=0), Refusal.PRICE_NOT_POSITIVE),
    (_place(price_fen_per_t=6_005), Refusal.PRICE_OFF_TICK),
    (_place(price_fen_per_t=6_610), Refusal.PRICE_OUTSIDE_BAND),
    (_place(price_fen_per_t=5_390), Refusal.PRICE_OUTSIDE_BAND),
    (_place(price_fen_per_t=6_100, levels=()), Refusal.NO_LEVELS_CHOSEN),
    (_place(price_fen_per_t=6_100, levels=(6_010,) * 6), Refusal.TOO_MANY_LEVELS),
    (_place(price_fen_per_t=6_010, levels=(6_020,)), Refusal.LEVEL_BEYOND_LIMIT),
    (_place(price_fen_per_t=6_100, levels=(6_060,)), Refusal.LEVEL_NOT_IN_BEST),
    (_place(price_fen_per_t=6_100, levels=(6_015,)), Refusal.LEVEL_NOT_IN_BEST),
    (Cancel(11, 8, "b"), Refusal.SEQUENCE_NOT_INCREASING),
    (Cancel(100, 99, "b"), Refusal.ORDER_NOT_FOUND),
    (Cancel(100, 8, "s"), Refusal.NOT_ORDER_OWNER),
    (Cancel(100, 9, "b"), Refusal.NOT_ORDER_OWNER),  # someone else's, filled
    (Cancel(100, 9, "s"), Refusal.ORDER_FILLED),
    (Cancel(100, 10, "b"), Refusal.ORDER_CANCELLED),
    (Amend(100, 8, "s", 5_990, 2 * T), Refusal.NOT_ORDER_OWNER),
    (Amend(100, 9, "s", 5_990, 2 * T), Refusal.ORDER_FILLED),
    (Amend(100, 10, "b", 5_900, 2 * T), Refusal.ORDER_CANCELLED),
    (Amend(100, 99, "b", 5_900, 2 * T), Refusal.ORDER_NOT_FOUND),
    (Amend(100, 8, "b", 5_990, T + 1), Refusal.QUANTITY_OFF_LOT),
    (Amend(100, 8, "b", 5_990, 51 * T), Refusal.QUANTITY_ABOVE_MAX),
    (Amend(100, 8, "b", 5_995, 2 * T), Refusal.PRICE_OFF_TICK),
    (Amend(100, 8, "b", 7_000, 2 * T), Refusal.PRICE_OUTSIDE_BAND),
    (Amend(100, 8, "b", 5_990, T), Refusal.AMEND_NOT_ABOVE_FILLED),  # 1 t has traded
    (Close(11), Refusal.SEQUENCE_NOT_INCREASING),
]


@pytest.mark.parametrize(("command", "code"), CASES)
def test_each_bad_command_gets_its_code_and_changes_nothing(
    book_class: type[OrderBook], command: Command, code: Refusal
) -> None:
    assert _refused(_book(book_class), command) == code


def test_every_code_is_tested_above() -> None:
    assert {code for _, code in CASES} == set(Refusal)


def test_the_first_fault_in_the_documented_order_is_the_code(book_class: type[OrderBook]) -> None:
    book = _book(book_class)
    bad_everything = _place(order_id=10, quantity_g=T + 1, price_fen_per_t=6_005)
    assert _refused(book, bad_everything) == Refusal.ORDER_ID_NOT_INCREASING
    assert _refused(book, _place(seq=101, quantity_g=T + 1, price_fen_per_t=6_005)) == (
        Refusal.QUANTITY_OFF_LOT
    )
    assert _refused(book, _place(seq=102, price_fen_per_t=6_005, levels=())) == (
        Refusal.PRICE_OFF_TICK
    )


def test_a_refused_client_order_id_can_be_used_again(book_class: type[OrderBook]) -> None:
    book = _book(book_class)
    assert _refused(book, _place(quantity_g=T + 1)) == Refusal.QUANTITY_OFF_LOT
    assert book.apply(_place(seq=101))[0].order_id == 100  # Accepted with "new"
    assert _refused(book, _place(seq=102, order_id=101)) == Refusal.DUPLICATE_CLIENT_ORDER_ID


def test_another_owner_may_use_the_same_client_order_id(book_class: type[OrderBook]) -> None:
    book = _book(book_class)
    events = book.apply(_place(owner="someone", client_order_id="bid"))
    assert not any(isinstance(e, Rejected) for e in events)


def test_client_order_ids_are_unique_per_day_and_free_after_the_close(
    book_class: type[OrderBook],
) -> None:
    book = _book(book_class)
    book.apply(Close(100))
    assert book.snapshot() == BookState(100, 10, (), (), ())
    events = book.apply(Place(101, 101, "bid", "b", BUY, 5_990, T))
    assert not any(isinstance(e, Rejected) for e in events)
    # The day's orders are forgotten: a late cancel of yesterday's order finds nothing.
    assert _refused(book, Cancel(102, 9, "s")) == Refusal.ORDER_NOT_FOUND


def test_an_ioc_and_a_taking_order_are_refused_like_any_other(book_class: type[OrderBook]) -> None:
    book = _book(book_class)
    ioc = _place(time_in_force=TimeInForce.IOC, price_fen_per_t=6_005)
    assert _refused(book, ioc) == Refusal.PRICE_OFF_TICK


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (Refusal.PRICE_OFF_TICK, ValidationError),
        (Refusal.PRICE_OUTSIDE_BAND, Conflict),
        (Refusal.ORDER_NOT_FOUND, NotFound),
        (Refusal.NOT_ORDER_OWNER, Forbidden),
        (Refusal.ORDER_FILLED, Conflict),
        (Refusal.DUPLICATE_CLIENT_ORDER_ID, Conflict),
    ],
)
def test_a_refusal_becomes_the_kernel_error_of_its_kind(code: Refusal, kind: type) -> None:
    error = refusal_error(code, "said for people")
    assert type(error) is kind and error.code == code.value


def test_every_refusal_has_a_kind() -> None:
    for code in Refusal:
        assert refusal_error(code, "x").code == code.value
