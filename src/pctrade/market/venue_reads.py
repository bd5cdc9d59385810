"""What the market's venues show: auction announcements and results, and the block
proposals waiting for a participant's answer. Reads, no writes.

    auctions(store, contract)        a contract's auctions, newest first: the public
                                     terms (the reserve only if published) and, once
                                     cleared, the result (no bidder named)
    blocks_for(store, actor)         open block proposals addressed to the actor

The web pages show these beside the order book; the API answers one auction at a time
(``GET /market/contracts/{code}/auctions/{id}``) from the same rows.
"""

from __future__ import annotations

from typing import Any

from pctrade.kernel.errors import NotFound, ValidationError
from pctrade.ledger.ports import Store
from pctrade.ledger.write import acting_party
from pctrade.market.auctions import public_result
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb

VENUE_ROWS_MAX = 200
Row = dict[str, Any]
_AUCTION_TERMS = (
    "auction_id",
    "quantity_g",
    "opens_at_s",
    "closes_at_s",
    "bid_quantity_min_g",
    "bid_quantity_max_g",
    "quantity_step_g",
    "price_step_fen_per_t",
    "pricing",
    "bid_revision_allowed",
    "fee_bps",
    "rule_set",
    "state",
)
_PROPOSAL = (
    "proposal_id",
    "proposer",
    "side",
    "quantity_g",
    "price_fen_per_t",
    "expires_at_s",
    "proposed_at_s",
    "day",
)


def _limit(limit: int) -> int:
    if not 0 < limit <= VENUE_ROWS_MAX:
        raise ValidationError(f"limit is 1 to {VENUE_ROWS_MAX}", code="bad_limit")
    return limit


def auctions(store: Store, contract: str, limit: int = 50) -> list[Row]:
    """A contract's auctions, newest first, as the public sees them."""
    with store.reader() as uow:
        found = db.contract(uow, contract)
        if found is None:
            raise NotFound(f"no contract {contract}", code="unknown_contract")
        rows = vdb.auctions_of(uow, int(found["contract_id"]), _limit(limit))
    return [
        {
            **{k: r[k] for k in _AUCTION_TERMS},
            "reserve_price_fen_per_t": (
                int(r["reserve_price_fen_per_t"]) if r["reserve_published"] else None
            ),
            "result": public_result(r),
        }
        for r in rows
    ]


def blocks_for(store: Store, actor: str, limit: int = 50) -> list[Row]:
    """Open block proposals that ``actor`` may accept or decline, with their contract."""
    with store.reader() as uow:
        acting_party(uow, actor)
        codes = {int(c["contract_id"]): str(c["code"]) for c in db.contracts_all(uow)}
        rows = vdb.open_proposals_for(uow, actor, _limit(limit))
    return [
        {"contract": codes[int(r["contract_id"])], **{k: r[k] for k in _PROPOSAL}} for r in rows
    ]
