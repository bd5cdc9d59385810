"""What surveillance reads besides trades: order actions and relations between parties.

An ``OrderRecord`` is one action on an order as the market recorded it: its placement,
a cancel, or an amend, with the time, the party and account behind it, and the
``touch``: the best price on the order's own side of the book just before the action
(the best bid for a buy), which the service reads from the book as it applies the
command. A layering signature is about orders away from the touch, and the touch at
that moment is not something the trades alone can tell.

A ``Relation`` says two parties are related and how (``kind``). Which kinds make their
trades with each other wash trades is rule data (``[surveillance] related_kinds``);
``same_party`` needs no relation record: it is a trade whose two sides are one party's.
Typical kinds: ``declared`` (a relation the parties declared, 关联关系), ``common_control``
(one actual controller, 实际控制人), ``same_agent`` (orders on both sides entered by one
platform acting as onboarding agent).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from pctrade.market.engine import Side


class OrderAction(StrEnum):
    PLACE = "place"
    CANCEL = "cancel"  # by its owner (not an expiry at the close, not an IOC's rest)
    AMEND = "amend"


class OrderRecord(NamedTuple):
    order_id: int
    contract: str
    seq: int
    at: datetime
    party: str
    account: str
    side: Side
    action: OrderAction
    price_fen_per_t: int  # the order's price after the action
    quantity_g: int  # place: the quantity; cancel: what it released; amend: the new total
    touch_fen_per_t: int | None  # the own side's best price just before; None: side empty


class Relation(NamedTuple):
    party_a: str
    party_b: str
    kind: str


SAME_PARTY = "same_party"
