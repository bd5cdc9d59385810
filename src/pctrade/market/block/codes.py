"""Why a block-trade command was refused: stable codes, checked in a fixed order.

A refused command changes nothing and yields one ``Rejected`` event with a
``BlockRefusal``; the order in which the codes are checked is in ``desk``'s docstring,
so a command with several faults always gets the same one. ``refusal_error`` turns a
code into the kernel's error of the right kind, for the market's service to raise.
"""

from __future__ import annotations

from enum import StrEnum

from pctrade.kernel.errors import Conflict, Forbidden, NotFound, PctradeError, ValidationError


class BlockRefusal(StrEnum):
    # The proposal alone
    DUPLICATE_PROPOSAL_ID = "duplicate_proposal_id"
    PROPOSAL_TO_SELF = "proposal_to_self"
    QUANTITY_NOT_POSITIVE = "quantity_not_positive"
    QUANTITY_OFF_LOT = "quantity_off_lot"
    BLOCK_BELOW_THRESHOLD = "block_below_threshold"
    PRICE_NOT_POSITIVE = "price_not_positive"
    PRICE_OFF_TICK = "price_off_tick"
    BLOCK_PRICE_OUTSIDE_BAND = "block_price_outside_band"
    # Time
    BLOCK_SESSION_CLOSED = "block_session_closed"
    EXPIRY_NOT_AFTER_NOW = "expiry_not_after_now"
    EXPIRY_TOO_LATE = "expiry_too_late"  # beyond the rule set's maximum or the session's close
    # Answering a proposal
    PROPOSAL_NOT_FOUND = "proposal_not_found"
    NOT_YOUR_PROPOSAL = "not_your_proposal"  # accepting or declining one made to someone else
    NOT_PROPOSER = "not_proposer"  # withdrawing someone else's proposal
    PROPOSAL_NOT_OPEN = "proposal_not_open"  # already accepted, declined, withdrawn or lapsed
    PROPOSAL_EXPIRED = "proposal_expired"  # its expiry has come; it lapses at the next Lapse


_KIND: dict[BlockRefusal, type[PctradeError]] = {
    BlockRefusal.DUPLICATE_PROPOSAL_ID: Conflict,
    BlockRefusal.PROPOSAL_TO_SELF: ValidationError,
    BlockRefusal.QUANTITY_NOT_POSITIVE: ValidationError,
    BlockRefusal.QUANTITY_OFF_LOT: ValidationError,
    BlockRefusal.BLOCK_BELOW_THRESHOLD: ValidationError,
    BlockRefusal.PRICE_NOT_POSITIVE: ValidationError,
    BlockRefusal.PRICE_OFF_TICK: ValidationError,
    BlockRefusal.BLOCK_PRICE_OUTSIDE_BAND: Conflict,  # the band moves with the reference price
    BlockRefusal.BLOCK_SESSION_CLOSED: Conflict,
    BlockRefusal.EXPIRY_NOT_AFTER_NOW: ValidationError,
    BlockRefusal.EXPIRY_TOO_LATE: ValidationError,
    BlockRefusal.PROPOSAL_NOT_FOUND: NotFound,
    BlockRefusal.NOT_YOUR_PROPOSAL: Forbidden,
    BlockRefusal.NOT_PROPOSER: Forbidden,
    BlockRefusal.PROPOSAL_NOT_OPEN: Conflict,
    BlockRefusal.PROPOSAL_EXPIRED: Conflict,
}


def refusal_error(code: BlockRefusal, message: str) -> PctradeError:
    """The kernel error for a refusal: its class says the kind, its code is the refusal."""
    return _KIND[code](message, code=code.value)
