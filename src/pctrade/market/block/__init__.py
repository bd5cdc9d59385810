"""Block trades (大宗协议交易): bilateral proposals, pure domain code (issue 13, item 3).

    desk = BlockDesk(BlockParams(price_step_fen_per_t=1, quantity_step_g=1_000_000,
                                 block_quantity_min_g=100_000_000_000,
                                 block_price_limit_bps=3_000,
                                 reference_price_fen_per_t=6_000,
                                 sessions=((46_800, 54_000),),
                                 proposal_expiry_max_s=7_200))
    desk.apply(Propose(1, "emitter-7", "emitter-9", Side.BUY, 100_000_000_000, 6_500,
                       expires_at_s=t + 600, at_s=t))   # → [Proposed(..., hold=...)]
    desk.apply(Accept(1, "emitter-9", at_s=t + 60))     # → [BlockAgreed(...)]

The desk reads no clock (times are Unix seconds on the commands), no rule set (the
numbers arrive as ``BlockParams``) and does no I/O; it says which holds the service
must freeze and release, and what settlement must move. The lifecycle and the order of
refusal checks are in ``desk``'s docstring; the messages in ``messages``; the codes in
``codes``. This package imports the standard library, the kernel and the matching
engine's public names (for the band) only: an import contract.
"""

from __future__ import annotations

from pctrade.market.block.codes import BlockRefusal, refusal_error
from pctrade.market.block.desk import BlockDesk
from pctrade.market.block.messages import (
    Accept,
    BlockAgreed,
    BlockCommand,
    BlockEvent,
    Decline,
    Hold,
    Lapse,
    Outcome,
    Proposal,
    ProposalEnded,
    Propose,
    Proposed,
    Rejected,
    Withdraw,
)
from pctrade.market.block.params import CHINA_UTC_OFFSET_S, BlockParams

__all__ = [
    "CHINA_UTC_OFFSET_S",
    "Accept",
    "BlockAgreed",
    "BlockCommand",
    "BlockDesk",
    "BlockEvent",
    "BlockParams",
    "BlockRefusal",
    "Decline",
    "Hold",
    "Lapse",
    "Outcome",
    "Proposal",
    "ProposalEnded",
    "Propose",
    "Proposed",
    "Rejected",
    "Withdraw",
    "refusal_error",
]
