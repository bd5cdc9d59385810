"""One-way bidding (单向竞价) through the registry: the pure auction's events made real.

    auctions = Auctions(app.market)
    a = auctions.announce("reg", "k1", AnnounceAuction(code, reg_acct, 500_000 * T, 4_000,
                                                       opens_at_s, closes_at_s))
    auctions.bid("steel", "k2", SubmitBid(code, a["auction_id"], steel_acct, 4_200, 10_000 * T))
    auctions.clear("reg", "k3", ClearAuction(code, a["auction_id"]))   # the public result

The seller is the regulator's account for paid allocation of allowances (CEA are issued
to the regulator's own holder account, which then offers them: the registry's
``SystemAccount.AUCTION`` receives no issuance, see ``Registry.issue``), or any eligible
large seller such as a platform. Each command runs in the market's command frame
(``Market._command``) of the auctioned contract, so an auction's id and each bid's id
and time priority are the contract's ``seq`` of the command that made it.

- ``announce``: the terms are the announcement's numbers with the defaults of the rule
  set's ``[auctions]`` (pricing, lot, tick, smallest bid, whether the reserve is
  published and bids revisable, one bidder's share) and ``[fees] trade_fee_bps`` as the
  buyer's fee; the offered credits are frozen (reason ``order``, ``auc:<contract>:<id>``,
  oldest batches first, T+n respected);
- ``bid``: in the window, the bidder eligible as for an order and within its position
  limit; its cash frozen exactly as ``BidAccepted.frozen_fen`` (``bid:<contract>:<id>``);
  after the window the refusal is ``auction_closed``;
- ``clear`` (after the window; the seller, the regulator or the operator): one
  ``auction_settle`` entry per winning bid (DvP: credits to the bidder, the price to the
  seller, the buyer's fee to the fee account, the rest of the bid's hold back), each
  losing bid's hold released exactly, what is unsold released to the seller, and the
  result published (clearing price, quantity, cover ratio; no bidder named). Each fill
  has its ``market_trades`` row of mode ``auction``: volume, never the close.

A platform may auction its pool's units (``AnnounceAuction.pool``, issue 14,
``market.pool_sells``): nothing is frozen for the offer, which claims the pool's free
units until the clearing; bids are taken in the contract's own lot and tick; each
winning bid settles in one ``pool_settle`` entry straight from the contributors' holds,
and what is unsold stays in them. A contributor of the pool does not bid in it.
"""

from __future__ import annotations

import json
from typing import Any

from pctrade.kernel.errors import Forbidden, IntegrityError, NotFound, ValidationError
from pctrade.ledger import access
from pctrade.ledger.journal import JsonDict, canonical_json
from pctrade.ledger.model import CASH_ASSET, SystemAccount
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import AUTHORITIES, account_of, require_holder
from pctrade.ledger.write import RowsBeside, acting_party
from pctrade.market import pool_sells
from pctrade.market import venue_commands as vc
from pctrade.market.auction import (
    Allocation,
    Auction,
    AuctionRefusal,
    AuctionTerms,
    Bid,
    BidAccepted,
    Clear,
    Cleared,
    Pricing,
    Rejected,
    bidder_share_cap_g,
    refusal_error,
)
from pctrade.market.auction import SubmitBid as PureBid
from pctrade.market.frame import _fixed, _Run, answers_races
from pctrade.market.pool_seller import AUCTION, PoolSaleFacts
from pctrade.market.service import Market
from pctrade.market.sql import store as db
from pctrade.market.sql import venues as vdb
from pctrade.market.venue_model import AuctionFill, plan_auction_settle
from pctrade.market.venues import (
    as_int,
    freeze,
    held,
    now_s,
    open_day,
    owner_of,
    release,
    require_eligible,
    require_position,
)

OPEN, CLEARED = "open", "cleared"


def terms_of(row: db.Row) -> AuctionTerms:
    return AuctionTerms(
        auction_id=str(row["auction_id"]),
        seller=str(row["seller"]),
        quantity_g=int(row["quantity_g"]),
        reserve_price_fen_per_t=int(row["reserve_price_fen_per_t"]),
        opens_at_s=int(row["opens_at_s"]),
        closes_at_s=int(row["closes_at_s"]),
        bid_quantity_min_g=int(row["bid_quantity_min_g"]),
        bid_quantity_max_g=int(row["bid_quantity_max_g"]),
        quantity_step_g=int(row["quantity_step_g"]),
        price_step_fen_per_t=int(row["price_step_fen_per_t"]),
        pricing=Pricing(row["pricing"]),
        bid_revision_allowed=bool(row["bid_revision_allowed"]),
        reserve_published=bool(row["reserve_published"]),
        bidder_quantity_max_g=row["bidder_quantity_max_g"],
        fee_bps=int(row["fee_bps"]),
    )


def public_result(row: db.Row) -> JsonDict | None:
    """The published result of a cleared auction (no bidder named), or None."""
    return None if row["result"] is None else dict(json.loads(row["result"]))


class Auctions:
    """Announcement, sealed bids and clearing of one-way auctions, over the market's frame."""

    def __init__(self, market: Market) -> None:
        self.m = market

    # ---- announce ------------------------------------------------------------------
    @answers_races
    def announce(self, actor: str, key: str, cmd: vc.AnnounceAuction) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            uow = run.uow
            account = account_of(uow, as_int(cmd.account_id, "account"))
            who = acting_party(uow, actor)
            if account.account_id == SystemAccount.AUCTION:  # paid allocation
                access.require_role(who, AUTHORITIES, "auction allowances")
            else:
                require_holder(uow, who, account)
            owner = owner_of(uow, account)
            pool = None if cmd.pool is None else self._pool_seller(run, cmd, account)
            rule_set, trading, day = open_day(self.m, run)
            rules = rule_set.require_auctions()
            quantity = as_int(cmd.quantity_g, "quantity")
            bid_max = quantity if cmd.bid_quantity_max_g is None else cmd.bid_quantity_max_g
            share = rules.bidder_share_max_bps
            fees = rule_set.fees
            # [auctions]' bid figures are an allowance auction's (thousands of tonnes); a
            # pool's auction of personal credits takes bids in the contract's lot and tick.
            bid_min, bid_step, tick = (
                (rules.bid_quantity_min_g, rules.bid_quantity_step_g, rules.price_step_fen_per_t)
                if pool is None
                else (
                    trading.quantity_step_g,
                    trading.quantity_step_g,
                    trading.price_step_fen_per_t,
                )
            )
            terms = AuctionTerms(
                auction_id=str(run.seq),
                seller=owner.party_id,
                quantity_g=quantity,
                reserve_price_fen_per_t=as_int(cmd.reserve_price_fen_per_t, "reserve price"),
                opens_at_s=as_int(cmd.opens_at_s, "opening"),
                closes_at_s=as_int(cmd.closes_at_s, "closing"),
                bid_quantity_min_g=bid_min,
                bid_quantity_max_g=as_int(bid_max, "largest bid"),
                quantity_step_g=bid_step,
                price_step_fen_per_t=tick,
                pricing=Pricing(str(rules.pricing)),
                bid_revision_allowed=rules.bid_revision_allowed,
                reserve_published=rules.reserve_published,
                bidder_quantity_max_g=None
                if share is None
                else bidder_share_cap_g(quantity, share, bid_step),
                fee_bps=0 if fees is None else fees.trade_fee_bps or 0,
            )
            if terms.closes_at_s <= now_s(self.m):
                raise ValidationError("the window closes in the past", code="bad_auction_terms")
            if pool is not None:  # nothing frozen: the pool's holds deliver (``pool_sells``)
                require_eligible(run, owner, rule_set, day, None)
                pool_sells.require_floor(self.m, run, pool, terms.reserve_price_fen_per_t)
                pool_sells.require_free(self.m, run, pool, quantity)
                pool_sells.require_of_contract(self.m, run, pool)
            else:
                held_g = self.m.holdings.credits(run, account)[1]
                if owner.role not in AUTHORITIES:  # paid allocation: the regulator sells
                    require_eligible(run, owner, rule_set, day, held_g)
                picks = self.m.holdings.pick(run, account, quantity, None, trading)
                for asset_id, grams in picks:
                    freeze(run, vdb.OFFER, run.seq, account, asset_id, grams)
            row = _auction_row(run, terms, account.account_id, rule_set.version)
            vdb.add_auction(uow, {**row, "pool_id": pool})
            result: JsonDict = {
                "contract": run.code,
                "seq": run.seq,
                "auction_id": run.seq,
                "state": OPEN,
                "terms": _public_terms(terms),
                "entries": run.entries,
            }
            run.log("auction_announce", key, cmd.fingerprint(), result)
            return {**result, "replayed": False}

    # ---- bid -----------------------------------------------------------------------
    @answers_races
    def bid(self, actor: str, key: str, cmd: vc.SubmitBid) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            uow = run.uow
            account = account_of(uow, as_int(cmd.account_id, "account"))
            require_holder(uow, acting_party(uow, actor), account)
            owner = owner_of(uow, account)
            row, auction = self._auction(run, cmd.auction_id)
            if row["state"] != OPEN:
                raise refusal_error(AuctionRefusal.AUCTION_CLOSED, "the auction is cleared")
            if owner.party_id == row["seller"] or account.account_id == row["seller_account"]:
                raise Forbidden("a seller does not bid in its own auction", code="own_auction")
            pool = row["pool_id"]
            if pool is not None and self.m.pools.contributes(uow, pool, account.account_id):
                raise Forbidden(
                    f"account {account.number} sells in {pool}'s auction: it has units there",
                    code="own_auction",
                )
            rule_set, _trading, day = open_day(self.m, run)
            price = as_int(cmd.price_fen_per_t, "price")
            quantity = as_int(cmd.quantity_g, "quantity")
            at = now_s(self.m)
            event = auction.apply(PureBid(run.seq, run.seq, owner.party_id, price, quantity, at))[0]
            if isinstance(event, Rejected):
                raise refusal_error(event.code, f"auction {row['auction_id']}: {event.code}")
            if not isinstance(event, BidAccepted):
                raise IntegrityError("the auction answered no bid", code="auction")
            require_eligible(run, owner, rule_set, day, None)
            require_position(uow, rule_set, owner, str(run.contract["instrument"]), quantity)
            self.m.holdings.require_cash(run, account, event.frozen_fen)
            freeze(run, vdb.BID, event.bid_id, account, CASH_ASSET, event.frozen_fen)
            vdb.add_bid(
                uow,
                {
                    "contract_id": run.cid,
                    "auction_id": int(row["auction_id"]),
                    "bid_id": event.bid_id,
                    "bidder": owner.party_id,
                    "account_id": account.account_id,
                    "price_fen_per_t": price,
                    "quantity_g": quantity,
                    "priority_seq": run.seq,
                    "frozen_fen": event.frozen_fen,
                    "withdrawn": False,
                    "outcome": None,
                    "filled_g": 0,
                    "trade_id": None,
                },
            )
            result: JsonDict = {
                "contract": run.code,
                "seq": run.seq,
                "auction_id": int(row["auction_id"]),
                "bid_id": event.bid_id,
                "frozen_fen": event.frozen_fen,
                "entries": run.entries,
            }
            run.log("auction_bid", key, cmd.fingerprint(), result)
            return {**result, "replayed": False}

    # ---- clear ---------------------------------------------------------------------
    @answers_races
    def clear(self, actor: str, key: str, cmd: vc.ClearAuction) -> JsonDict:
        with self.m._command(actor, key, cmd.contract, cmd) as (run, replay):
            if replay is not None:
                return replay
            uow = run.uow
            row, auction = self._auction(run, cmd.auction_id)
            who = acting_party(uow, actor)
            if who.role not in AUTHORITIES:
                require_holder(uow, who, account_of(uow, int(row["seller_account"])))
            if row["state"] != OPEN:
                raise refusal_error(AuctionRefusal.AUCTION_ALREADY_CLEARED, "cleared already")
            event = auction.apply(Clear(run.seq, now_s(self.m)))[0]
            if isinstance(event, Rejected):
                raise refusal_error(event.code, f"auction {row['auction_id']}: {event.code}")
            if not isinstance(event, Cleared):
                raise IntegrityError("the auction answered no clearing", code="auction")
            day = str(run.contract["trading_day"] or open_day(self.m, run)[2].isoformat())
            aid = int(row["auction_id"])
            for allocation in event.allocations:
                self._allocate(run, row, allocation, day)
            # A pool's unsold units stay in its contributors' holds: no offer hold to release.
            unsold = release(run, vdb.OFFER, aid)
            if row["pool_id"] is None and unsold != event.result.unsold_g:
                raise IntegrityError(f"released {unsold} g, unsold {event.result.unsold_g}")
            published = _published(event)
            vdb.update_auction(
                uow,
                run.cid,
                aid,
                state=CLEARED,
                result=canonical_json(published),
                cleared_seq=run.seq,
            )
            result: JsonDict = {
                "contract": run.code,
                "seq": run.seq,
                "auction_id": aid,
                "state": CLEARED,
                "result": published,
                "trades": run.trades,
                "entries": run.entries,
            }
            run.log("auction_clear", key, cmd.fingerprint(), result)
            return {**result, "replayed": False}

    # ---- inside --------------------------------------------------------------------
    def _pool_seller(self, run: _Run, cmd: vc.AnnounceAuction, account: Any) -> str:
        """A pool's auction: its pool, if the actor is its platform on its account."""
        pool = pool_sells.pool_id_of(cmd.pool)
        pool_sells.require_platform(self.m, run, pool, account)
        return pool

    def _auction(self, run: _Run, auction_id: Any) -> tuple[db.Row, Auction]:
        aid = as_int(auction_id, "auction id")
        row = vdb.auction(run.uow, run.cid, aid) if 0 < aid < 2**63 else None
        if row is None:
            raise NotFound(f"no auction {aid} of {run.code}", code="unknown_auction")
        bids = [
            Bid(
                int(b["bid_id"]),
                str(b["bidder"]),
                int(b["price_fen_per_t"]),
                int(b["quantity_g"]),
                int(b["priority_seq"]),
                bool(b["withdrawn"]),
            )
            for b in vdb.bids_of(run.uow, run.cid, aid)
        ]
        return row, Auction(terms_of(row), last_seq=run.seq - 1, bids=bids)

    def _allocate(self, run: _Run, row: db.Row, a: Allocation, day: str) -> None:
        aid = int(row["auction_id"])
        bid = next(b for b in vdb.bids_of(run.uow, run.cid, aid) if int(b["bid_id"]) == a.bid_id)
        trade_id = None
        if a.filled_g and a.price_paid_fen_per_t is not None:
            trade_id = self._settle(run, row, bid, a, day)
        else:
            released = release(run, vdb.BID, a.bid_id)
            if released != a.released_fen:
                raise IntegrityError(f"bid {a.bid_id}: released {released}, not {a.released_fen}")
        vdb.update_bid(
            run.uow,
            run.cid,
            aid,
            a.bid_id,
            outcome=str(a.outcome),
            filled_g=a.filled_g,
            trade_id=trade_id,
        )

    def _settle(self, run: _Run, row: db.Row, bid: db.Row, a: Allocation, day: str) -> str:
        aid = int(row["auction_id"])
        trade_id = f"{run.code}-{run.seq}-{len(run.trades) + 1}"
        price = a.price_paid_fen_per_t
        if price is None:
            raise IntegrityError("a fill without a price", code="auction")
        fill = AuctionFill(
            trade_id,
            run.code,
            aid,
            a.bid_id,
            price,
            a.filled_g,
            int(row["fee_bps"]),
            int(bid["account_id"]),
            int(row["seller_account"]),
        )

        def beside(uow: UnitOfWork, entry: Any) -> None:
            p = entry.header.payload
            db.add_trade(
                uow,
                {
                    "trade_id": trade_id,
                    "entry_seq": entry.seq,
                    "contract_id": run.cid,
                    "day": day,
                    "seq": run.seq,
                    "buy_order_id": None,
                    "sell_order_id": None,
                    "taker_side": "buy",
                    "buyer_account": fill.buyer,
                    "seller_account": fill.seller,
                    "price_fen_per_t": price,
                    "quantity_g": a.filled_g,
                    "cash_fen": a.paid_fen,
                    "buyer_fee_fen": p["buyer_fee_fen"],
                    "seller_fee_fen": p["seller_fee_fen"],
                    "ts": run.ts,
                    "mode": "auction",
                    "ref": f"auction:{aid}:{a.bid_id}",
                },
            )

        pool = row["pool_id"]
        if pool is None:
            plan = plan_auction_settle(
                fill, held(run, vdb.BID, a.bid_id), held(run, vdb.OFFER, aid)
            )
            p = plan.payload
            if (p["cash_fen"], p["buyer_fee_fen"], p["released_fen"]) != (
                a.paid_fen,
                a.fee_fen,
                a.released_fen,
            ):
                raise IntegrityError(f"bid {a.bid_id}: settlement differs from the clearing")
            run.entry("auction", _fixed(plan), RowsBeside(beside))
        else:
            # A pool's fill pays the market's trade fee on each side, rounded down, as
            # every pool sale does (``pools.settle``): the bid's hold, which covers the
            # auction's fee rounded up, is drawn whole and the rest released.
            sale = PoolSaleFacts(
                str(pool), trade_id, AUCTION, price, a.filled_g, fill.buyer, fill.fee_bps
            )
            cash = [(h.hold_id, h.remaining) for h in held(run, vdb.BID, a.bid_id)]
            plan = pool_sells.settle(self.m, run, sale, cash, 0, beside)
            if plan.payload["gross_fen"] != a.paid_fen:
                raise IntegrityError(f"bid {a.bid_id}: settlement differs from the clearing")
        run.trades.append(trade_id)
        db.add_bought(run.uow, run.cid, day, fill.buyer, a.filled_g)
        return trade_id


def _auction_row(run: _Run, terms: AuctionTerms, account_id: int, rule_set: str) -> db.Row:
    return {
        "contract_id": run.cid,
        "auction_id": run.seq,
        "seller": terms.seller,
        "seller_account": account_id,
        "quantity_g": terms.quantity_g,
        "reserve_price_fen_per_t": terms.reserve_price_fen_per_t,
        "opens_at_s": terms.opens_at_s,
        "closes_at_s": terms.closes_at_s,
        "bid_quantity_min_g": terms.bid_quantity_min_g,
        "bid_quantity_max_g": terms.bid_quantity_max_g,
        "quantity_step_g": terms.quantity_step_g,
        "price_step_fen_per_t": terms.price_step_fen_per_t,
        "pricing": str(terms.pricing),
        "bid_revision_allowed": terms.bid_revision_allowed,
        "reserve_published": terms.reserve_published,
        "bidder_quantity_max_g": terms.bidder_quantity_max_g,
        "fee_bps": terms.fee_bps,
        "rule_set": rule_set,
        "state": OPEN,
        "result": None,
        "cleared_seq": None,
    }


def _public_terms(t: AuctionTerms) -> JsonDict:
    return {
        "quantity_g": t.quantity_g,
        "reserve_price_fen_per_t": t.reserve_price_fen_per_t if t.reserve_published else None,
        "opens_at_s": t.opens_at_s,
        "closes_at_s": t.closes_at_s,
        "bid_quantity_min_g": t.bid_quantity_min_g,
        "bid_quantity_max_g": t.bid_quantity_max_g,
        "bidder_quantity_max_g": t.bidder_quantity_max_g,
        "pricing": str(t.pricing),
        "fee_bps": t.fee_bps,
    }


def _published(event: Cleared) -> JsonDict:
    r = event.result
    return {
        "auction": r.auction_id,
        "pricing": str(r.pricing),
        "offered_g": r.offered_g,
        "sold_g": r.sold_g,
        "unsold_g": r.unsold_g,
        "clearing_price_fen_per_t": r.clearing_price_fen_per_t,
        "average_price_fen_per_t": r.average_price_fen_per_t,
        "revenue_fen": r.revenue_fen,
        "reserve_price_fen_per_t": r.reserve_price_fen_per_t,
        "bid_count": r.bid_count,
        "bidder_count": r.bidder_count,
        "bid_quantity_g": r.bid_quantity_g,
        "cover_ratio_bps": r.cover_ratio_bps,
        "winning_bid_count": r.winning_bid_count,
        "winning_bidder_count": r.winning_bidder_count,
    }
