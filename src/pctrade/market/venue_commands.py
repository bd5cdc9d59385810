"""What a caller asks of the block desk, the auctions and the statements (issue 13).

Never rename a class or a field once commands are recorded: the fingerprint hashes
both (``ledger.commands.Command``). Times are Unix seconds; the service records its own
clock's second on each command, the desk and the auction read no other.
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.ledger.commands import Command
from pctrade.market.commands import fingerprint_without_pool


@dataclass(frozen=True, slots=True)
class ProposeBlock(Command):
    """Propose a block trade from ``account_id`` to the party ``counterparty``: ``side``
    is the proposer's. It stands ``expires_in_s`` seconds (within the rule set's
    maximum and never past the session). ``pool``: a platform's block sell of its
    pool's units (issue 14): nothing is frozen, the pool's holds deliver."""

    contract: str
    account_id: int
    counterparty: str
    side: str
    quantity_g: int
    price_fen_per_t: int
    expires_in_s: int
    pool: str | None = None

    def fingerprint(self) -> str:
        return fingerprint_without_pool(self)


@dataclass(frozen=True, slots=True)
class AcceptBlock(Command):
    """Accept a proposal made to the acting party, settling it from ``account_id``."""

    contract: str
    proposal_id: int
    account_id: int


@dataclass(frozen=True, slots=True)
class DeclineBlock(Command):
    contract: str
    proposal_id: int


@dataclass(frozen=True, slots=True)
class WithdrawBlock(Command):
    contract: str
    proposal_id: int


@dataclass(frozen=True, slots=True)
class LapseBlocks(Command):
    """End every proposal of the contract whose expiry has come (the operator's
    scheduler; every block command also lapses what is due first)."""

    contract: str


@dataclass(frozen=True, slots=True)
class AnnounceAuction(Command):
    """One-way bidding: sell ``quantity_g`` of the contract from ``account_id`` to sealed
    bids taken from ``opens_at_s`` to before ``closes_at_s``, at or above the reserve.
    The rest of the terms default from the rule set's ``[auctions]``."""

    contract: str
    account_id: int
    quantity_g: int
    reserve_price_fen_per_t: int
    opens_at_s: int
    closes_at_s: int
    bid_quantity_max_g: int | None = None  # one bid; None: the whole offer
    pool: str | None = None  # a platform's auction of its pool's units (issue 14)

    def fingerprint(self) -> str:
        return fingerprint_without_pool(self)


@dataclass(frozen=True, slots=True)
class SubmitBid(Command):
    contract: str
    auction_id: int
    account_id: int
    price_fen_per_t: int
    quantity_g: int


@dataclass(frozen=True, slots=True)
class ClearAuction(Command):
    """Clear an auction after its window (the seller, the regulator or the operator)."""

    contract: str
    auction_id: int
