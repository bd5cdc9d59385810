"""A book rebuilt from what the registry keeps behaves exactly as the one it replaces.

The registry is the truth: after a restart the market rebuilds each book from the open
orders (with their original time priority), the day's closed orders and client order
ids. Run a random stream, rebuild from the snapshot mid-stream, then feed the rest to
both books: the same events, the same state. A state that cannot be a book is refused.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_reference import PARAMS, ReferenceBook, StreamState, commands_for, streams

from hypothesis_budget import examples
from pctrade.kernel.errors import IntegrityError
from pctrade.market.engine import (
    BookState,
    ClosedOrder,
    OrderBook,
    OrderState,
    Place,
    RestingOrder,
    Side,
)


@settings(
    max_examples=examples(ci=20, thorough=40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(streams, streams, st.booleans())
def test_a_rebuilt_book_behaves_identically(
    book_class: type[OrderBook],
    before: list[tuple[object, bool]],
    after: list[tuple[object, bool]],
    reorder: bool,
) -> None:
    book, ref, state = book_class(PARAMS), ReferenceBook(PARAMS), StreamState()
    for plan, stale in before:
        command = commands_for(plan, stale, state, ref)
        ref.apply(command)
        book.apply(command)
    snapshot = book.snapshot()
    if reorder:  # the registry need not list the orders in priority order
        snapshot = snapshot._replace(open_orders=tuple(reversed(snapshot.open_orders)))
    rebuilt = book_class.rebuild(PARAMS, snapshot)
    assert rebuilt.snapshot() == book.snapshot()
    assert rebuilt.depth(100) == book.depth(100)
    for plan, stale in after:
        command = commands_for(plan, stale, state, ref)
        ref.apply(command)
        assert rebuilt.apply(command) == book.apply(command), command
    assert rebuilt.snapshot() == book.snapshot()


def _resting(order_id: int, side: Side, price: int, priority: int, **kw: object) -> RestingOrder:
    fields = dict(
        order_id=order_id,
        client_order_id=f"c{order_id}",
        owner=f"o{order_id}",
        side=side,
        price_fen_per_t=price,
        quantity_g=2_000,
        filled_g=0,
        priority_seq=priority,
    )
    fields.update(kw)
    return RestingOrder(**fields)  # type: ignore[arg-type]


def _state(*orders: RestingOrder, closed: tuple[ClosedOrder, ...] = ()) -> BookState:
    ids = {(o.owner, o.client_order_id) for o in orders}
    return BookState(10, 10, tuple(orders), closed, tuple(sorted(ids)))


def test_the_rebuilt_time_priority_is_the_recorded_one_not_the_listing_order(
    book_class: type[OrderBook],
) -> None:
    state = _state(
        _resting(3, Side.SELL, 1_010, 7),
        _resting(1, Side.SELL, 1_010, 9, filled_g=1_000),
        _resting(2, Side.SELL, 1_010, 4),
    )
    book = book_class.rebuild(PARAMS, state)
    events = book.apply(Place(11, 11, "x", "buyer", Side.BUY, 1_010, 5_000))
    makers = [e.maker_order_id for e in events if type(e).__name__ == "Fill"]
    assert makers == [2, 3, 1]


@pytest.mark.parametrize(
    "state",
    [
        _state(_resting(1, Side.BUY, 1_020, 1), _resting(2, Side.SELL, 1_010, 2)),  # crossed
        _state(_resting(1, Side.BUY, 1_000, 1), _resting(1, Side.BUY, 990, 2)),  # id twice
        _state(_resting(11, Side.BUY, 1_000, 1)),  # an id above the last one
        _state(_resting(1, Side.BUY, 1_000, 11)),  # a priority after the last seq
        _state(_resting(1, Side.BUY, 1_000, 1, filled_g=2_000)),  # nothing left open
        _state(_resting(1, Side.BUY, 1_000, 1))._replace(client_order_ids=()),  # id missing
        _state(
            _resting(1, Side.BUY, 1_000, 1),
            closed=(ClosedOrder(1, "o1", OrderState.FILLED),),
        ),  # open and closed at once
    ],
)
def test_a_state_that_cannot_be_a_book_is_refused(
    book_class: type[OrderBook], state: BookState
) -> None:
    with pytest.raises(IntegrityError) as caught:
        book_class.rebuild(PARAMS, state)
    assert caught.value.code == "book_rebuild_inconsistent"
