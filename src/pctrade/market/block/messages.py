"""What goes into the block-trade desk (commands) and what comes out (events).

Every command carries ``at_s``, the Unix second the market's service recorded it at:
the desk reads no clock. One command yields one event:

    Propose  ─▶ Proposed (with the proposer's hold), or Rejected
    Accept   ─▶ BlockAgreed (with the acceptor's hold), or Rejected
    Decline  ─▶ ProposalEnded (declined, releasing the proposer's hold), or Rejected
    Withdraw ─▶ ProposalEnded (withdrawn, releasing the proposer's hold), or Rejected
    Lapse    ─▶ one ProposalEnded (lapsed) per open proposal whose expiry has come

Holds are data the service applies through the registry's holds: the proposer's side is
covered when the proposal is made (``Proposed.hold``), the acceptor's when it accepts
(``BlockAgreed.acceptor_hold``). A seller's hold is the credits (``credits_g``), a
buyer's the cash and the highest fee (``cash_fen``). ``BlockAgreed`` consumes both holds
exactly — the price cannot change after the proposal — and ``ProposalEnded`` releases
the proposer's hold exactly. Settlement (the registry's DvP entry) moves
``quantity_g`` from seller to buyer and ``cash_fen`` from buyer to seller, with
``fee_fen`` to the fee account.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from pctrade.market.block.codes import BlockRefusal
from pctrade.market.engine import Side


class Outcome(StrEnum):
    """How a proposal ended. Each proposal ends exactly once."""

    AGREED = "agreed"  # the counterparty accepted: a block trade
    DECLINED = "declined"  # the counterparty said no
    WITHDRAWN = "withdrawn"  # the proposer took it back before an answer
    LAPSED = "lapsed"  # its expiry came with no answer


class Hold(NamedTuple):
    """What one party must have frozen: cash (fen) for a buyer, credits (g) for a seller."""

    party: str
    cash_fen: int
    credits_g: int


# ---- commands ----------------------------------------------------------------------


class Propose(NamedTuple):
    """``side`` is the proposer's: it proposes to buy from, or sell to, ``counterparty``."""

    proposal_id: int  # the service's number for it; never reused
    proposer: str
    counterparty: str
    side: Side
    quantity_g: int
    price_fen_per_t: int
    expires_at_s: int  # the proposal may be accepted until just before this second
    at_s: int


class Accept(NamedTuple):
    proposal_id: int
    party: str
    at_s: int


class Decline(NamedTuple):
    proposal_id: int
    party: str
    at_s: int


class Withdraw(NamedTuple):
    proposal_id: int
    party: str
    at_s: int


class Lapse(NamedTuple):
    """Time has come to ``at_s``: every open proposal expiring by then lapses."""

    at_s: int


BlockCommand = Propose | Accept | Decline | Withdraw | Lapse


# ---- events ------------------------------------------------------------------------


class Proposed(NamedTuple):
    proposal_id: int
    proposer: str
    counterparty: str
    side: Side
    quantity_g: int
    price_fen_per_t: int
    expires_at_s: int
    at_s: int
    hold: Hold  # the proposer's, to freeze now


class BlockAgreed(NamedTuple):
    """A block trade: what settlement must do, and the acceptor's hold to freeze first."""

    proposal_id: int
    buyer: str
    seller: str
    quantity_g: int
    price_fen_per_t: int
    cash_fen: int  # price × quantity, exact
    fee_fen: int  # the buyer's fee at the params' rate
    at_s: int
    acceptor_hold: Hold  # the acceptor's, to freeze now
    proposer_hold: Hold  # frozen at the proposal; consumed with the acceptor's


class ProposalEnded(NamedTuple):
    """A proposal declined, withdrawn or lapsed: the proposer's hold is released."""

    proposal_id: int
    proposer: str
    counterparty: str
    outcome: Outcome
    at_s: int
    release: Hold


class Rejected(NamedTuple):
    proposal_id: int
    party: str
    code: BlockRefusal
    at_s: int


BlockEvent = Proposed | BlockAgreed | ProposalEnded | Rejected


# ---- state -------------------------------------------------------------------------


class Proposal(NamedTuple):
    """A proposal as the desk (and the registry) keeps it."""

    proposal_id: int
    proposer: str
    counterparty: str
    side: Side
    quantity_g: int
    price_fen_per_t: int
    expires_at_s: int
    proposed_at_s: int
    hold: Hold
    outcome: Outcome | None  # None while open

    @property
    def buyer(self) -> str:
        return self.proposer if self.side == Side.BUY else self.counterparty

    @property
    def seller(self) -> str:
        return self.counterparty if self.side == Side.BUY else self.proposer
