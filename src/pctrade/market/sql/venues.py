"""The tables of block trades and one-way bidding (issue 13, items 3 and 4); migration 0016.

    market_block_proposals  one per block-trade proposal: the desk's facts, the proposer's
                            and (once accepted) the acceptor's account, how it ended and
                            the trade it made. Its id is the contract ``seq`` of the
                            command that proposed it.
    market_auctions         one per auction: its terms (``AuctionTerms``), the seller's
                            account, its state and, once cleared, the published result
    market_auction_bids     one per bid: price, quantity, time priority (a contract seq),
                            and after clearing its outcome and fill
    market_venue_holds      the registry holds (reason ``order``, referenced ``blk:…`` or
                            ``auc:…``) that cover a proposal, an auction's offer or a bid

Conservation (``market.venue_audit``): an open proposal's holds have exactly the desk's
hold left, an open auction's exactly its offer, an open bid exactly its frozen cash; an
ended one nothing; and every open hold so referenced belongs to one of them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

from pctrade.market.sql import rows, store

metadata = MetaData()
market_orders = store.orders  # the book's orders (read for position limits)
BIG = BigInteger
Row = rows.Row

# What a venue hold covers (``market_venue_holds.venue``).
PROPOSAL, OFFER, BID = "proposal", "offer", "bid"

proposals = Table(
    "market_block_proposals",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("proposal_id", BIG, primary_key=True),
    Column("proposer", String(64), nullable=False),
    Column("proposer_account", BIG, nullable=False),
    Column("counterparty", String(64), nullable=False),
    Column("acceptor_account", BIG, nullable=True),
    Column("side", String(4), nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("price_fen_per_t", BIG, nullable=False),
    Column("expires_at_s", BIG, nullable=False),
    Column("proposed_at_s", BIG, nullable=False),
    Column("hold_cash_fen", BIG, nullable=False),
    Column("hold_credits_g", BIG, nullable=False),
    Column("outcome", String(12), nullable=True),
    Column("ended_seq", BIG, nullable=True),
    Column("trade_id", String(64), nullable=True),
    Column("day", String(10), nullable=False),
    # A platform's block sell of its pool's units (issue 14, migration 0021): no hold
    # covers it (``hold_credits_g`` is 0), it settles from the contributors' holds.
    Column("pool_id", String(32), nullable=True),
    Index("ix_market_block_open", "contract_id", "outcome"),
    Index("ix_market_block_pool", "pool_id", "outcome"),
)

auctions = Table(
    "market_auctions",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("auction_id", BIG, primary_key=True),
    Column("seller", String(64), nullable=False),
    Column("seller_account", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("reserve_price_fen_per_t", BIG, nullable=False),
    Column("opens_at_s", BIG, nullable=False),
    Column("closes_at_s", BIG, nullable=False),
    Column("bid_quantity_min_g", BIG, nullable=False),
    Column("bid_quantity_max_g", BIG, nullable=False),
    Column("quantity_step_g", BIG, nullable=False),
    Column("price_step_fen_per_t", BIG, nullable=False),
    Column("pricing", String(12), nullable=False),
    Column("bid_revision_allowed", Boolean, nullable=False),
    Column("reserve_published", Boolean, nullable=False),
    Column("bidder_quantity_max_g", BIG, nullable=True),
    Column("fee_bps", Integer, nullable=False),
    Column("rule_set", String(32), nullable=False),
    Column("state", String(8), nullable=False),
    Column("result", Text, nullable=True),
    Column("cleared_seq", BIG, nullable=True),
    # A platform's auction of its pool's units (issue 14, migration 0021): no hold covers
    # the offer, each winning bid settles from the contributors' holds.
    Column("pool_id", String(32), nullable=True),
    Index("ix_market_auctions_pool", "pool_id", "state"),
)

bids = Table(
    "market_auction_bids",
    metadata,
    Column("contract_id", Integer, primary_key=True),
    Column("auction_id", BIG, primary_key=True),
    Column("bid_id", BIG, primary_key=True),
    Column("bidder", String(64), nullable=False),
    Column("account_id", BIG, nullable=False),
    Column("price_fen_per_t", BIG, nullable=False),
    Column("quantity_g", BIG, nullable=False),
    Column("priority_seq", BIG, nullable=False),
    Column("frozen_fen", BIG, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("filled_g", BIG, nullable=False),
    Column("trade_id", String(64), nullable=True),
)

venue_holds = Table(
    "market_venue_holds",
    metadata,
    Column("hold_id", BIG, primary_key=True),
    Column("contract_id", Integer, nullable=False),
    Column("venue", String(8), nullable=False),
    Column("ref_id", BIG, nullable=False),  # the proposal, auction or bid id
    Column("account_id", BIG, nullable=False),
    Column("asset_id", BIG, nullable=False),
    Index("ix_market_venue_holds_ref", "contract_id", "venue", "ref_id"),
)


# ---- proposals ---------------------------------------------------------------------
def add_proposal(uow: Any, row: Row) -> None:
    rows.insert(uow, proposals, row)


def proposals_of(uow: Any, contract_id: int, *, open_only: bool) -> list[Row]:
    c = proposals.c
    query = sa.select(proposals).where(c.contract_id == contract_id)
    if open_only:
        query = query.where(c.outcome.is_(None))
    return rows.every(uow.execute(query.order_by(c.proposal_id)))


def proposal(uow: Any, contract_id: int, proposal_id: int) -> Row | None:
    return rows.by_key(uow, proposals, contract_id=contract_id, proposal_id=proposal_id)


def all_proposals(uow: Any) -> list[Row]:
    return rows.all_in_order(uow, proposals, "contract_id", "proposal_id")


def update_proposal(uow: Any, contract_id: int, proposal_id: int, **values: Any) -> None:
    rows.update(uow, proposals, {"contract_id": contract_id, "proposal_id": proposal_id}, values)


# ---- auctions and bids -------------------------------------------------------------
def add_auction(uow: Any, row: Row) -> None:
    rows.insert(uow, auctions, row)


def auction(uow: Any, contract_id: int, auction_id: int) -> Row | None:
    return rows.by_key(uow, auctions, contract_id=contract_id, auction_id=auction_id)


def all_auctions(uow: Any) -> list[Row]:
    return rows.all_in_order(uow, auctions, "contract_id", "auction_id")


def update_auction(uow: Any, contract_id: int, auction_id: int, **values: Any) -> None:
    rows.update(uow, auctions, {"contract_id": contract_id, "auction_id": auction_id}, values)


def add_bid(uow: Any, row: Row) -> None:
    rows.insert(uow, bids, row)


def bids_of(uow: Any, contract_id: int, auction_id: int) -> list[Row]:
    c = bids.c
    query = sa.select(bids).where(c.contract_id == contract_id, c.auction_id == auction_id)
    return rows.every(uow.execute(query.order_by(c.bid_id)))


def all_bids(uow: Any) -> list[Row]:
    return rows.all_in_order(uow, bids, "contract_id", "auction_id", "bid_id")


def update_bid(uow: Any, contract_id: int, auction_id: int, bid_id: int, **values: Any) -> None:
    key = {"contract_id": contract_id, "auction_id": auction_id, "bid_id": bid_id}
    rows.update(uow, bids, key, values)


def open_buy_orders_g(uow: Any, owner: str, contract_ids: list[int]) -> int:
    """What the owner's open buy orders of the book still want, over some contracts."""
    c = market_orders.c
    query = sa.select(sa.func.coalesce(sa.func.sum(c.quantity_g - c.filled_g), 0)).where(
        c.owner == owner, c.side == "buy", c.state == "open", c.contract_id.in_(contract_ids)
    )
    return int(uow.execute(query).scalar())


def pool_open_orders_g(uow: Any, pool_id: str) -> int:
    """What the pool's open sell orders still offer, on every contract."""
    c = market_orders.c
    query = sa.select(sa.func.coalesce(sa.func.sum(c.quantity_g - c.filled_g), 0)).where(
        c.pool_id == pool_id, c.state == "open"
    )
    return int(uow.execute(query).scalar())


def pool_auction_bids(uow: Any, pool_id: str, account_id: int) -> int:
    """The account's standing bids in the pool's auctions not yet cleared."""
    a, b = auctions.c, bids.c
    query = (
        sa.select(sa.func.count())
        .select_from(
            bids.join(
                auctions,
                sa.and_(a.contract_id == b.contract_id, a.auction_id == b.auction_id),
            )
        )
        .where(
            a.pool_id == pool_id,
            a.state == "open",
            b.account_id == account_id,
            b.withdrawn.is_(False),
        )
    )
    return int(uow.execute(query).scalar())


def pool_open_auctions_g(uow: Any, pool_id: str) -> int:
    """What the pool's auctions not yet cleared offer, on every contract."""
    c = auctions.c
    query = sa.select(sa.func.coalesce(sa.func.sum(c.quantity_g), 0)).where(
        c.pool_id == pool_id, c.state == "open"
    )
    return int(uow.execute(query).scalar())


def pool_open_proposals_g(uow: Any, pool_id: str) -> int:
    """What the pool's open block proposals offer, on every contract."""
    c = proposals.c
    query = sa.select(sa.func.coalesce(sa.func.sum(c.quantity_g), 0)).where(
        c.pool_id == pool_id, c.outcome.is_(None)
    )
    return int(uow.execute(query).scalar())


def open_bids_g(uow: Any, bidder: str, contract_ids: list[int]) -> int:
    """What the bidder's bids in auctions not yet cleared ask for."""
    b, a = bids.c, auctions.c
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(b.quantity_g), 0))
        .select_from(
            bids.join(
                auctions, sa.and_(a.contract_id == b.contract_id, a.auction_id == b.auction_id)
            )
        )
        .where(
            b.bidder == bidder,
            b.withdrawn.is_(False),
            a.state == "open",
            b.contract_id.in_(contract_ids),
        )
    )
    return int(uow.execute(query).scalar())


# ---- holds -------------------------------------------------------------------------
def add_hold(uow: Any, row: Row) -> None:
    rows.insert(uow, venue_holds, row)


def holds_of(uow: Any, contract_id: int, venue: str, ref_id: int) -> list[Row]:
    """The holds covering one proposal, offer or bid, oldest first."""
    c = venue_holds.c
    query = sa.select(venue_holds).where(
        c.contract_id == contract_id, c.venue == venue, c.ref_id == ref_id
    )
    return rows.every(uow.execute(query.order_by(c.hold_id)))


def all_holds(uow: Any) -> list[Row]:
    return rows.all_in_order(uow, venue_holds, "hold_id")


# ---- what a participant or the public reads of the venues --------------------------
def open_proposals_for(uow: Any, counterparty: str, limit: int) -> list[Row]:
    """Open block proposals addressed to ``counterparty``, oldest first, on any contract."""
    c = proposals.c
    query = (
        sa.select(proposals)
        .where(c.counterparty == counterparty, c.outcome.is_(None))
        .order_by(c.contract_id, c.proposal_id)
        .limit(limit)
    )
    return rows.every(uow.execute(query))


def auctions_of(uow: Any, contract_id: int, limit: int) -> list[Row]:
    """A contract's auctions, newest first."""
    c = auctions.c
    query = (
        sa.select(auctions)
        .where(c.contract_id == contract_id)
        .order_by(c.auction_id.desc())
        .limit(limit)
    )
    return rows.every(uow.execute(query))
