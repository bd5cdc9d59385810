"""The depth snapshot from the engine's book (five levels a side, numbered, checked) and
the public trade tape (in sequence, paged, naming no one)."""

from __future__ import annotations

import pytest
from market_records import CONTRACT, T, Tape

from pctrade.kernel.errors import IntegrityError, ValidationError
from pctrade.market.data import TradeMode, depth_public, depth_snapshot, trade_tape
from pctrade.market.engine import Depth, LevelView, OrderBook, Place, Side, TradingParams

PARAMS = TradingParams(
    price_step_fen_per_t=10,
    quantity_step_g=T,
    order_quantity_max_g=1_000 * T,
    price_limit_bps=1_000,
    reference_price_fen_per_t=6_000,
)


def _book() -> OrderBook:
    """Seven bid levels and six ask levels, two orders at the best bid."""
    book = OrderBook(PARAMS)
    seq = 0

    def place(owner: str, side: Side, price: int, tonnes: int) -> None:
        nonlocal seq
        seq += 1
        book.apply(Place(seq, seq, f"c{seq}", owner, side, price, tonnes * T))

    for i in range(7):
        place("bidder", Side.BUY, 5_990 - 10 * i, 1 + i)
    place("other", Side.BUY, 5_990, 4)
    for i in range(6):
        place("seller", Side.SELL, 6_010 + 10 * i, 2)
    return book


def test_the_snapshot_is_the_best_five_levels_of_each_side_best_first() -> None:
    book = _book()
    snap = depth_snapshot(CONTRACT, book.last_seq, book.depth(10))
    assert [lv.level for lv in snap.bids] == [1, 2, 3, 4, 5]
    assert [lv.price_fen_per_t for lv in snap.bids] == [5_990, 5_980, 5_970, 5_960, 5_950]
    assert [lv.price_fen_per_t for lv in snap.asks] == [6_010, 6_020, 6_030, 6_040, 6_050]
    assert (snap.bids[0].quantity_g, snap.bids[0].orders) == (5 * T, 2)
    assert snap.spread_fen_per_t == 20 and snap.seq == book.last_seq
    public = depth_public(snap)
    assert public["spread_fen_per_t"] == 20
    best_bid = public["bids"][0]  # type: ignore[index]
    assert best_bid["price"] == "¥59.90/t" and best_bid["quantity"] == "5 t"
    assert "bidder" not in repr(public)


def test_an_empty_side_has_no_spread_and_bad_depths_are_refused() -> None:
    snap = depth_snapshot(CONTRACT, 0, Depth((LevelView(100, T, 1),), ()))
    assert snap.spread_fen_per_t is None and snap.asks == ()
    with pytest.raises(IntegrityError):
        depth_snapshot(CONTRACT, 0, Depth((LevelView(100, T, 1),), (LevelView(100, T, 1),)))
    with pytest.raises(IntegrityError):
        depth_snapshot(CONTRACT, 0, Depth((LevelView(90, T, 1), LevelView(100, T, 1)), ()))
    with pytest.raises(IntegrityError):
        depth_snapshot(CONTRACT, 0, Depth((), (LevelView(100, 0, 0),)))
    with pytest.raises(ValidationError):
        depth_snapshot(CONTRACT, 0, Depth((), ()), levels=0)


def test_the_tape_runs_in_sequence_with_changes_and_pages_by_seq() -> None:
    tape = Tape()
    trades = [
        tape.trade("a", "b", 6_000, 1),
        tape.trade("c", "d", 6_020, 2, contract="OTHER"),
        tape.trade("e", "f", 5_990, 3, mode=TradeMode.BLOCK),
        tape.trade("g", "h", 6_010, 1),
    ]
    entries = trade_tape(list(reversed(trades)), CONTRACT)
    assert [e.trade_id for e in entries] == [1, 3, 4]
    assert [e.change_fen_per_t for e in entries] == [None, -10, 20]
    page = trade_tape(trades, CONTRACT, after_seq=entries[0].seq, limit=1)
    assert [(e.trade_id, e.change_fen_per_t) for e in page] == [(3, -10)]
    assert not any(name in repr(entries) for name in ("'a'", "b-acct"))
    with pytest.raises(ValidationError):
        trade_tape(trades, CONTRACT, limit=0)
