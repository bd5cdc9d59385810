"""Settlement of the block desk and the auction, pure: which op type, what it moves.

Block trades settle as ``trade_settle`` (``model.plan_trade_settle``), like a fill of
the book: the same DvP entry, the same fees on both sides (``[fees] trade_fee_bps``,
rounded down), the same replay check and the same trade row (``mode = 'block'``). The
desk's holds cover the buyer's cash and the fee rounded *up*, so the entry consumes the
buyer's hold exactly and releases what the rounded-down fee did not take.

An auction's winning bid settles as ``auction_settle``, a distinct op type, because its
money is not a trade's: the fee is the buyer's only and rounded up (``AuctionTerms``,
Guangdong's auctions charge the bidder), the seller receives the whole price, and under
pay-as-bid each winner pays its own price. One entry per winning bid:

    bidder  cash frozen    −frozen_fen              (its bid's hold, consumed exactly)
    seller  cash available +paid_fen
    fees    cash available +fee_fen
    bidder  cash available +released_fen            (frozen − paid − fee)
    seller  credits frozen −filled_g                (the offer's holds, oldest first)
    bidder  credits avail. +filled_g

Its replay check (``check_auction_settlement``) recomputes paid and fee from the
payload's price, fill and rate, and the postings from those.

Holds of the block desk and the auction are of reason ``order``, referenced
``blk:<contract>:<proposal>``, ``auc:<contract>:<auction>`` (the offer) and
``bid:<contract>:<bid>`` — never ``mkt:``, which names an order of the book.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pctrade.kernel.errors import Conflict, ValidationError
from pctrade.kernel.units import BPS
from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.model import CASH_ASSET, AccountId, State, SystemAccount
from pctrade.ledger.operations import HoldChange, Plan, holds_payload
from pctrade.ledger.postings import Posting, Postings
from pctrade.market.model import Held, MarketOp, _draw, cash_fen

BLOCK_PREFIX, OFFER_PREFIX, BID_PREFIX = "blk:", "auc:", "bid:"
VENUE_PREFIXES = (BLOCK_PREFIX, OFFER_PREFIX, BID_PREFIX)


def buyer_fee_fen(paid_fen: int, fee_bps: int) -> int:
    """An auction's fee: the buyer's, rounded up to the fen (``AuctionTerms.fee_fen``)."""
    return -(-paid_fen * fee_bps // BPS)


@dataclass(frozen=True, slots=True)
class AuctionFill:
    """One winning bid as its settlement records it (the trade row's facts)."""

    trade_id: str
    contract: str
    auction_id: int
    bid_id: int
    price_fen_per_t: int  # what it pays per tonne (uniform: the clearing price)
    quantity_g: int  # filled
    fee_bps: int
    buyer: AccountId
    seller: AccountId


def plan_auction_settle(
    fill: AuctionFill, bid_holds: Sequence[Held], offer_holds: Sequence[Held]
) -> Plan:
    """One winning bid, delivery versus payment, in one entry (module docstring)."""
    if fill.buyer == fill.seller:
        raise ValidationError("a trade needs two accounts", code="same_account")
    paid = cash_fen(fill.price_fen_per_t, fill.quantity_g)
    fee = buyer_fee_fen(paid, fill.fee_bps)
    frozen = sum(h.remaining for h in bid_holds)
    released = frozen - paid - fee
    if released < 0 or paid <= 0:
        raise Conflict("the bid's hold cannot pay its fill", code="exceeds_hold")
    cash_draws = _draw(bid_holds, frozen)
    credit_draws = _draw(offer_holds, fill.quantity_g)
    rows = [
        Posting(fill.buyer, CASH_ASSET, State.FROZEN, -frozen),
        Posting(fill.seller, CASH_ASSET, State.AVAILABLE, paid),
    ]
    if released:
        rows.append(Posting(fill.buyer, CASH_ASSET, State.AVAILABLE, released))
    if fee:
        rows.append(Posting(SystemAccount.FEES, CASH_ASSET, State.AVAILABLE, fee))
    delivered: dict[int, int] = {}
    for held, take in credit_draws:
        delivered[held.asset_id] = delivered.get(held.asset_id, 0) + take
    for asset_id, amount in sorted(delivered.items()):
        rows.append(Posting(fill.seller, asset_id, State.FROZEN, -amount))
        rows.append(Posting(fill.buyer, asset_id, State.AVAILABLE, amount))
    holds = tuple(
        [HoldChange(h.hold_id, fill.buyer, CASH_ASSET, -take) for h, take in cash_draws]
        + [HoldChange(h.hold_id, fill.seller, h.asset_id, -take) for h, take in credit_draws]
    )
    payload = {
        "trade": fill.trade_id,
        "contract": fill.contract,
        "auction": fill.auction_id,
        "bid": fill.bid_id,
        "price_fen_per_t": fill.price_fen_per_t,
        "quantity_g": fill.quantity_g,
        "cash_fen": paid,
        "fee_bps": fill.fee_bps,
        "buyer_fee_fen": fee,
        "seller_fee_fen": 0,
        "released_fen": released,
        "buyer": fill.buyer,
        "seller": fill.seller,
        "holds": holds_payload(holds),
    }
    return Plan(MarketOp.AUCTION_SETTLE, payload, postings=Postings.of(rows), holds=holds)


def check_auction_settlement(entry: StoredEntry) -> Iterator[Problem]:
    """Replay: the entry moved what its payload says, at its price, fill and fee rate."""
    p = entry.header.payload
    seq = entry.header.seq
    try:
        buyer, seller = int(p["buyer"]), int(p["seller"])
        paid, qty, price = int(p["cash_fen"]), int(p["quantity_g"]), int(p["price_fen_per_t"])
        fee, bps = int(p["buyer_fee_fen"]), int(p["fee_bps"])
        released, seller_fee = int(p["released_fen"]), int(p["seller_fee_fen"])
    except (KeyError, TypeError, ValueError):
        yield Problem("market_settlement_mismatch", "the payload lacks a fill's figures", seq)
        return
    gained: dict[tuple[int, int, int], int] = {}
    for x in entry.postings:
        k = (x.account_id, x.asset_id, x.state)
        gained[k] = gained.get(k, 0) + x.delta
    delivered = sum(
        d for (a, asset, _s), d in gained.items() if a == buyer and asset != CASH_ASSET and d > 0
    )
    expected = (
        paid == cash_fen(price, qty)
        and fee == buyer_fee_fen(paid, bps)
        and seller_fee == 0
        and delivered == qty
        and gained.get((seller, CASH_ASSET, State.AVAILABLE), 0) == paid
        and gained.get((SystemAccount.FEES, CASH_ASSET, State.AVAILABLE), 0) == fee
        and gained.get((buyer, CASH_ASSET, State.AVAILABLE), 0) == released
        and gained.get((buyer, CASH_ASSET, State.FROZEN), 0) == -(paid + fee + released)
    )
    if not expected:
        yield Problem("market_settlement_mismatch", "moved other amounts than its fill", seq)
