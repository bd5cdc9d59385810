"""The engine against the plain reference matcher, event for event, on random streams.

Every command of a random stream (orders, IOC orders, takers choosing levels, cancels,
amends, closes, with bad numbers, repeated ids, other people's orders and stale sequence
numbers mixed in) goes to both books; they must answer with the same events — the same
trades with the same maker, taker, price and quantity, the same refusal codes — and
hold the same open orders afterwards. Both engines are compared, the compiled one and
its Python source (``engine_variants``).
"""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from market_reference import (
    PARAMS,
    ReferenceBook,
    StreamState,
    commands_for,
    random_plan,
    streams,
)

from hypothesis_budget import examples
from pctrade.market.engine import (
    Amended,
    Cancelled,
    CancelReason,
    Event,
    OrderBook,
    Refusal,
    Rejected,
)


def _open_orders(ref: ReferenceBook) -> list[tuple[int, str, int, int, int, int]]:
    return sorted(
        (o.order_id, o.owner, o.price, o.quantity, o.filled, o.priority) for o in ref.open_orders()
    )


@settings(
    max_examples=examples(ci=60, thorough=120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(streams)
def test_the_engine_trades_as_the_reference_does(
    book_class: type[OrderBook], stream: list[tuple[object, bool]]
) -> None:
    book, ref, state = book_class(PARAMS), ReferenceBook(PARAMS), StreamState()
    for plan, stale in stream:
        command = commands_for(plan, stale, state, ref)
        expected = ref.apply(command)
        assert book.apply(command) == expected, command
        assert book.audit() == []
    held = sorted(
        (v.order_id, v.owner, v.price_fen_per_t, v.quantity_g, v.filled_g, v.priority_seq)
        for v in book.open_orders()
    )
    assert held == _open_orders(ref)


def test_fixed_streams_agree_and_reach_every_outcome(book_class: type[OrderBook]) -> None:
    """Fixed seeded streams, compared the same way; they must reach every outcome the
    engine has (so the random streams above are known to exercise them too)."""
    seen: Counter[str] = Counter()
    for seed in range(60):
        rng = random.Random(seed)
        book, ref, state = book_class(PARAMS), ReferenceBook(PARAMS), StreamState()
        for _ in range(150):
            plan, stale = random_plan(rng)
            command = commands_for(plan, stale, state, ref)
            events = book.apply(command)
            assert events == ref.apply(command), command
            seen.update(_outcome(e) for e in events)
        assert book.audit() == []
    expected = {"Accepted", "Fill", "Expired", "Amended kept", "Amended moved"}
    expected |= {f"Cancelled {r.value}" for r in CancelReason}
    expected |= {f"Rejected {r.value}" for r in Refusal}
    assert expected <= set(seen), (expected - set(seen), seen)
    assert seen["Fill"] > 500 and seen["Rejected amend_not_above_filled"] > 10


def _outcome(event: Event) -> str:
    if isinstance(event, Cancelled):
        return f"Cancelled {event.reason.value}"
    if isinstance(event, Rejected):
        return f"Rejected {event.code.value}"
    if isinstance(event, Amended):
        return "Amended kept" if event.priority_kept else "Amended moved"
    return type(event).__name__
