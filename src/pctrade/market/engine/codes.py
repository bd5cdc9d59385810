"""The engine's stable codes: why a command was refused, why an order was cancelled.

A refused command changes nothing in the book and yields one ``Rejected`` event with a
``Refusal`` code. The codes are checked in a fixed order, so a command with several
faults always gets the same one (the order is in ``OrderBook``'s docstring).
``refusal_error`` turns a code into the kernel's error of the right kind, which is what
the market's service raises and the API maps to a problem answer.
"""

from __future__ import annotations

from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, NotFound, PctradeError, ValidationError


class Refusal(StrEnum):
    # The sequencer's fault, not the client's: the one writer sends commands in order.
    SEQUENCE_NOT_INCREASING = "sequence_not_increasing"
    # Identity
    ORDER_ID_NOT_INCREASING = "order_id_not_increasing"  # the sequencer numbers orders too
    DUPLICATE_CLIENT_ORDER_ID = "duplicate_client_order_id"  # per owner and trading day
    # The order alone
    QUANTITY_NOT_POSITIVE = "quantity_not_positive"
    QUANTITY_OFF_LOT = "quantity_off_lot"
    QUANTITY_ABOVE_MAX = "quantity_above_max"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRICE_OFF_TICK = "price_off_tick"
    PRICE_OUTSIDE_BAND = "price_outside_band"
    # A taker's choice of levels
    NO_LEVELS_CHOSEN = "no_levels_chosen"
    TOO_MANY_LEVELS = "too_many_levels"
    LEVEL_BEYOND_LIMIT = "level_beyond_limit"
    LEVEL_NOT_IN_BEST = "level_not_in_best"
    # Cancel and amend
    ORDER_NOT_FOUND = "order_not_found"
    NOT_ORDER_OWNER = "not_order_owner"
    ORDER_FILLED = "order_filled"
    ORDER_CANCELLED = "order_cancelled"
    AMEND_NOT_ABOVE_FILLED = "amend_not_above_filled"


class CancelReason(StrEnum):
    REQUESTED = "requested"  # the owner cancelled it
    IMMEDIATE_OR_CANCEL = "immediate_or_cancel"  # an IOC order's unfilled rest
    SELF_TRADE_PREVENTED = "self_trade_prevented"  # the incoming order met its owner's own
    LEVELS_EXHAUSTED = "levels_exhausted"  # a taker's chosen levels could not fill the rest


_KIND: dict[Refusal, type[PctradeError]] = {
    Refusal.SEQUENCE_NOT_INCREASING: Conflict,
    Refusal.ORDER_ID_NOT_INCREASING: Conflict,
    Refusal.DUPLICATE_CLIENT_ORDER_ID: Conflict,
    Refusal.QUANTITY_NOT_POSITIVE: ValidationError,
    Refusal.QUANTITY_OFF_LOT: ValidationError,
    Refusal.QUANTITY_ABOVE_MAX: ValidationError,
    Refusal.PRICE_NOT_POSITIVE: ValidationError,
    Refusal.PRICE_OFF_TICK: ValidationError,
    Refusal.PRICE_OUTSIDE_BAND: Conflict,  # the band moves with the reference price
    Refusal.NO_LEVELS_CHOSEN: ValidationError,
    Refusal.TOO_MANY_LEVELS: ValidationError,
    Refusal.LEVEL_BEYOND_LIMIT: ValidationError,
    Refusal.LEVEL_NOT_IN_BEST: Conflict,  # the book moved
    Refusal.ORDER_NOT_FOUND: NotFound,
    Refusal.NOT_ORDER_OWNER: Forbidden,
    Refusal.ORDER_FILLED: Conflict,
    Refusal.ORDER_CANCELLED: Conflict,
    Refusal.AMEND_NOT_ABOVE_FILLED: Conflict,
}


def refusal_error(code: Refusal, message: str) -> PctradeError:
    """The kernel error for a refusal: its class says the kind, its code is the refusal."""
    return _KIND[code](message, code=code.value)
