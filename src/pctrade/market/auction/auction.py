"""One-way bidding (单向竞价) for one auction: sealed bids in a window, then clearing.

One seller offers a quantity at a reserve price (``AuctionTerms``); buyers submit sealed
bids (price, quantity) while the window is open, each bid freezing its cash
(``BidAccepted.frozen_fen``). Where the terms allow it a bidder may revise or withdraw
a bid until the close (Guangdong's bids are irrevocable, 一经提交不可撤销). After the
close ``Clear`` ranks and fills the bids (``clearing``) and says, per bid, what it got,
what it pays and exactly what of its hold is released; the public result names no
bidder. The auction reads no clock: ``at_s`` on each command is checked against the
window, and time priority is the command's ``seq``.

Refusals are checked in this order, and the first that applies is the code:
    SubmitBid   — sequence_not_increasing, auction_closed (cleared, or at or after the
                  close), auction_not_open, duplicate_bid_id, then the numbers:
                  quantity_not_positive, quantity_off_lot, bid_below_min, bid_above_max,
                  price_not_positive, price_off_tick, bid_below_reserve (a published
                  reserve only: an unpublished one is not revealed by a refusal),
                  bidder_limit_exceeded
    ReviseBid   — sequence_not_increasing, the window as SubmitBid, bid_not_found,
                  not_bid_owner, bid_withdrawn, revision_not_allowed, then the numbers
    WithdrawBid — as ReviseBid, without the numbers
    Clear       — sequence_not_increasing, auction_already_cleared, auction_not_closed
A refused command changes nothing but the last seq seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pctrade.kernel.errors import IntegrityError
from pctrade.market.auction.clearing import clear
from pctrade.market.auction.codes import AuctionRefusal
from pctrade.market.auction.messages import (
    AuctionCommand,
    AuctionEvent,
    AuctionResult,
    Bid,
    BidAccepted,
    BidRevised,
    BidWithdrawn,
    Clear,
    Cleared,
    Rejected,
    ReviseBid,
    SubmitBid,
    WithdrawBid,
)
from pctrade.market.auction.terms import AuctionTerms

R = AuctionRefusal


class Auction:
    """One auction. Drive it with ``apply``."""

    def __init__(self, terms: AuctionTerms, *, last_seq: int = 0, bids: Iterable[Bid] = ()) -> None:
        self.terms = terms
        self._last_seq = last_seq
        self._bids: dict[int, Bid] = {}
        for b in bids:
            if b.bid_id in self._bids or b.priority_seq > last_seq:
                raise IntegrityError(f"bid {b.bid_id}: twice or after last_seq", code="auction")
            self._bids[b.bid_id] = b
        self._result: AuctionResult | None = None
        self._handlers: dict[type, Callable[[Any], AuctionEvent]] = {
            SubmitBid: self.submit,
            ReviseBid: self.revise,
            WithdrawBid: self.withdraw,
            Clear: self.clear,
        }

    def apply(self, command: AuctionCommand) -> list[AuctionEvent]:
        return [self._handlers[type(command)](command)]

    @property
    def result(self) -> AuctionResult | None:
        """The published result, once cleared."""
        return self._result

    def bids(self) -> tuple[Bid, ...]:
        """Every bid, withdrawn ones included, by id: what the registry keeps."""
        return tuple(self._bids[i] for i in sorted(self._bids))

    def frozen_fen(self, bidder: str) -> int:
        """What the bidder's open bids hold frozen together."""
        return sum(
            self.terms.frozen_fen(b.price_fen_per_t, b.quantity_g)
            for b in self._bids.values()
            if b.bidder == bidder and not b.withdrawn
        )

    # ---- commands --------------------------------------------------------------------

    def submit(self, c: SubmitBid) -> AuctionEvent:
        refusal = self._refuse_sequence_or_window(c.seq, c.at_s)
        if refusal is None and c.bid_id in self._bids:
            refusal = R.DUPLICATE_BID_ID
        if refusal is None:
            refusal = self._refuse_numbers(c.bidder, c.price_fen_per_t, c.quantity_g, 0)
        if refusal is not None:
            return Rejected(c.seq, c.bid_id, refusal)
        self._bids[c.bid_id] = Bid(c.bid_id, c.bidder, c.price_fen_per_t, c.quantity_g, c.seq)
        frozen = self.terms.frozen_fen(c.price_fen_per_t, c.quantity_g)
        return BidAccepted(c.seq, c.bid_id, c.bidder, c.price_fen_per_t, c.quantity_g, frozen)

    def revise(self, c: ReviseBid) -> AuctionEvent:
        refusal = self._refuse_change(c.seq, c.at_s, c.bid_id, c.bidder)
        bid = self._bids.get(c.bid_id)
        if refusal is None and bid is not None:
            refusal = self._refuse_numbers(
                c.bidder, c.price_fen_per_t, c.quantity_g, bid.quantity_g
            )
        if refusal is not None or bid is None:
            return Rejected(c.seq, c.bid_id, refusal or R.BID_NOT_FOUND)
        kept = c.price_fen_per_t == bid.price_fen_per_t and c.quantity_g <= bid.quantity_g
        self._bids[c.bid_id] = bid._replace(
            price_fen_per_t=c.price_fen_per_t,
            quantity_g=c.quantity_g,
            priority_seq=bid.priority_seq if kept else c.seq,
        )
        return BidRevised(
            c.seq,
            c.bid_id,
            c.bidder,
            c.price_fen_per_t,
            c.quantity_g,
            self.terms.frozen_fen(bid.price_fen_per_t, bid.quantity_g),
            self.terms.frozen_fen(c.price_fen_per_t, c.quantity_g),
            kept,
        )

    def withdraw(self, c: WithdrawBid) -> AuctionEvent:
        refusal = self._refuse_change(c.seq, c.at_s, c.bid_id, c.bidder)
        bid = self._bids.get(c.bid_id)
        if refusal is not None or bid is None:
            return Rejected(c.seq, c.bid_id, refusal or R.BID_NOT_FOUND)
        self._bids[c.bid_id] = bid._replace(withdrawn=True)
        released = self.terms.frozen_fen(bid.price_fen_per_t, bid.quantity_g)
        return BidWithdrawn(c.seq, c.bid_id, c.bidder, released)

    def clear(self, c: Clear) -> AuctionEvent:
        refusal = self._refuse_sequence(c.seq)
        if refusal is None and self._result is not None:
            refusal = R.AUCTION_ALREADY_CLEARED
        if refusal is None and c.at_s < self.terms.closes_at_s:
            refusal = R.AUCTION_NOT_CLOSED
        if refusal is not None:
            return Rejected(c.seq, None, refusal)
        self._result, allocations = clear(self.terms, self._bids.values())
        return Cleared(c.seq, self._result, allocations)

    # ---- refusals --------------------------------------------------------------------

    def _refuse_sequence(self, seq: int) -> AuctionRefusal | None:
        if seq <= self._last_seq:
            return R.SEQUENCE_NOT_INCREASING
        self._last_seq = seq
        return None

    def _refuse_sequence_or_window(self, seq: int, at_s: int) -> AuctionRefusal | None:
        refusal = self._refuse_sequence(seq)
        if refusal is not None:
            return refusal
        if self._result is not None or at_s >= self.terms.closes_at_s:
            return R.AUCTION_CLOSED
        if at_s < self.terms.opens_at_s:
            return R.AUCTION_NOT_OPEN
        return None

    def _refuse_change(
        self, seq: int, at_s: int, bid_id: int, bidder: str
    ) -> AuctionRefusal | None:
        refusal = self._refuse_sequence_or_window(seq, at_s)
        if refusal is not None:
            return refusal
        bid = self._bids.get(bid_id)
        if bid is None:
            return R.BID_NOT_FOUND
        if bid.bidder != bidder:
            return R.NOT_BID_OWNER
        if bid.withdrawn:
            return R.BID_WITHDRAWN
        if not self.terms.bid_revision_allowed:
            return R.REVISION_NOT_ALLOWED
        return None

    def _refuse_numbers(
        self, bidder: str, price: int, quantity_g: int, replaced_g: int
    ) -> AuctionRefusal | None:
        t = self.terms
        checks = (
            (quantity_g <= 0, R.QUANTITY_NOT_POSITIVE),
            (quantity_g % t.quantity_step_g != 0, R.QUANTITY_OFF_LOT),
            (quantity_g < t.bid_quantity_min_g, R.BID_BELOW_MIN),
            (quantity_g > t.bid_quantity_max_g, R.BID_ABOVE_MAX),
            (price <= 0, R.PRICE_NOT_POSITIVE),
            (price % t.price_step_fen_per_t != 0, R.PRICE_OFF_TICK),
            (t.reserve_published and price < t.reserve_price_fen_per_t, R.BID_BELOW_RESERVE),
        )
        for failed, code in checks:
            if failed:
                return code
        cap = t.bidder_quantity_max_g
        if cap is not None and self._open_quantity_g(bidder) - replaced_g + quantity_g > cap:
            return R.BIDDER_LIMIT_EXCEEDED
        return None

    def _open_quantity_g(self, bidder: str) -> int:
        return sum(
            b.quantity_g for b in self._bids.values() if b.bidder == bidder and not b.withdrawn
        )
