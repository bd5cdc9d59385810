"""What goes into a book (commands) and what comes out (events), as immutable tuples.

Every command carries ``seq``, its place in the contract's durable sequence: the one
writer numbers commands as it records them and hands them to the book in that order,
so a book replayed from the same commands yields the same events. Time priority is
this sequence, never a clock. Every event carries the ``seq`` of the command that
caused it; one command's events come in the order they happened:

    Place  ─▶ Accepted, then any Fills (best price first, oldest maker first), then
              Cancelled if an IOC's, a taker's or a self-trade's rest does not rest;
              or Rejected alone
    Cancel ─▶ Cancelled (reason ``requested``), or Rejected
    Amend  ─▶ Amended, then any Fills and Cancelled as for Place when the new price
              crosses, or Rejected
    Close  ─▶ one Expired per open order, oldest priority first

Quantities are grams (a multiple of the lot), prices fen per tonne (a multiple of the
tick); a fill's cash is ``price_fen_per_t × quantity_g / 1,000,000`` and is the
settlement's to round, not the engine's.

They are ``NamedTuple``s rather than dataclasses because the book makes millions of
them: a tuple is the cheapest immutable record Python has, and it still compares
field by field, which the tests and the rebuild check rely on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from pctrade.market.engine.codes import CancelReason, Refusal


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class TimeInForce(StrEnum):
    DAY = "day"  # rests until filled, cancelled or the close
    IOC = "ioc"  # immediate or cancel: what does not fill at once is cancelled


class OrderState(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    CANCELLED = "cancelled"  # by its owner, as IOC, by self-trade prevention, or unchosen


# ---- commands ----------------------------------------------------------------------


class Place(NamedTuple):
    """A new order. ``order_id`` is above every earlier one (the sequencer numbers them);
    ``client_order_id`` is the owner's own name for it, unique per owner and day;
    ``levels`` are a taker's chosen opposite prices (see the book)."""

    seq: int
    order_id: int
    client_order_id: str
    owner: str
    side: Side
    price_fen_per_t: int
    quantity_g: int
    time_in_force: TimeInForce = TimeInForce.DAY
    levels: tuple[int, ...] | None = None


class Cancel(NamedTuple):
    seq: int
    order_id: int
    owner: str


class Amend(NamedTuple):
    """New price and total quantity (filled part included, as FIX's cancel/replace)."""

    seq: int
    order_id: int
    owner: str
    price_fen_per_t: int
    quantity_g: int


class Close(NamedTuple):
    """The close of the trading day: every open order expires; the day is forgotten."""

    seq: int


Command = Place | Cancel | Amend | Close


# ---- events ------------------------------------------------------------------------


class Accepted(NamedTuple):
    seq: int
    order_id: int
    owner: str
    side: Side
    price_fen_per_t: int
    quantity_g: int


class Rejected(NamedTuple):
    seq: int
    order_id: int | None  # None for Close
    code: Refusal


class Fill(NamedTuple):
    """One trade: at the maker's (resting order's) price."""

    seq: int
    taker_order_id: int
    maker_order_id: int
    taker_owner: str
    maker_owner: str
    taker_side: Side
    price_fen_per_t: int
    quantity_g: int


class Cancelled(NamedTuple):
    seq: int
    order_id: int
    owner: str
    quantity_g: int  # what was still open and is now released
    reason: CancelReason


class Expired(NamedTuple):
    seq: int
    order_id: int
    owner: str
    quantity_g: int  # what was still open at the close and is now released


class Amended(NamedTuple):
    seq: int
    order_id: int
    owner: str
    price_fen_per_t: int
    quantity_g: int  # the new total
    remaining_g: int  # open after the amend, before any fill it causes
    price_before_fen_per_t: int
    remaining_before_g: int
    priority_kept: bool


Event = Accepted | Rejected | Fill | Cancelled | Expired | Amended


# ---- state, for the registry and for rebuilding ------------------------------------


class RestingOrder(NamedTuple):
    """An open order as the registry keeps it: enough to put it back where it was."""

    order_id: int
    client_order_id: str
    owner: str
    side: Side
    price_fen_per_t: int
    quantity_g: int  # total, as last placed or amended
    filled_g: int
    priority_seq: int  # the seq that gave it its place: its Place, or its last amend up

    @property
    def remaining_g(self) -> int:
        return self.quantity_g - self.filled_g


class ClosedOrder(NamedTuple):
    """An order of the day that is no longer open: cancel and amend still get its code."""

    order_id: int
    owner: str
    state: OrderState  # filled or cancelled


class BookState(NamedTuple):
    """Everything a book knows: what ``OrderBook.rebuild`` takes back."""

    last_seq: int
    last_order_id: int
    open_orders: tuple[RestingOrder, ...]  # in time priority (priority_seq)
    closed_orders: tuple[ClosedOrder, ...]  # in order id order
    client_order_ids: tuple[tuple[str, str], ...]  # (owner, client order id), sorted


class OrderView(NamedTuple):
    """An open order as the book holds it."""

    order_id: int
    client_order_id: str
    owner: str
    side: Side
    price_fen_per_t: int
    quantity_g: int
    filled_g: int
    remaining_g: int
    priority_seq: int


class LevelView(NamedTuple):
    price_fen_per_t: int
    quantity_g: int
    orders: int


class Depth(NamedTuple):
    bids: tuple[LevelView, ...]  # best (highest) first
    asks: tuple[LevelView, ...]  # best (lowest) first
