"""The demo's second trading day: an allowance auction, a block trade, the book, the close.

Tuesday 24 November 2026, a trading day of the national market's calendar, on the
scenario clock in China Standard Time, under the national rules (``CN``):

1. before the open the operator lists the 2026 Guangdong allowances (``CEA-GD-2026``),
   referenced at the auction's published reserve;
2. 09:30-10:30, paid allocation by one-way bidding (单向竞价): the regulator issues
   20,000 t of 2026 allowances into the registry's auction account
   (``SystemAccount.AUCTION``) and offers them at a published reserve of ¥45.00/t.
   Three bidders bid sealed, each within half the offer (``[auctions]
   bidder_share_max_bps``), their cash frozen bid by bid: the two key emitters and the
   asset manager. The bids come to 25,000 t; ranked by price, the lowest accepted bid
   is filled in part and the one below it loses. Uniform pricing: every winner pays
   that lowest accepted price, and the clearing releases exactly what each bid froze
   beyond what it paid (the losing bid's in full);
3. in the morning session the power company sells CCER to the asset manager on the
   book (the CCER it bought on Monday may be sold from today: T+1); then the platform's
   pool, where those who hold less than a lot of personal credits deposit them, sells
   them to the power company on the book, each contributor paid exactly
   (``demo_pool_sale``);
4. in the afternoon block session (13:00-15:00 under CN) the power company proposes a
   block trade (大宗协议交易) to the cement works, which is short of 2025 allowances:
   its whole 2025 surplus, 100,600 t — the 600 t it bought on Monday among them, which
   T+1 lets it sell today — above the 100,000 t threshold, at ¥58.00/t, inside the
   ±30 % band around Monday's close. The cement works accepts 15 minutes later: one
   delivery-versus-payment entry;
5. after the last session the operator closes each contract's day. Block trades and
   auction fills count in volume but never set the close (the order book's do).

Every write has a ``demo:auction:…``, ``demo:block:…`` or ``demo:day2:…`` key, so a
second seeding replays the day and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pctrade.bootstrap import App
from pctrade.demo_blocks import run_allowance_auction, run_block_trade
from pctrade.demo_pool_sale import PoolCast, PoolSale, run_pool_sale
from pctrade.demo_pool_sale import summary_lines as pool_sale_lines
from pctrade.demo_trading import MARKET, close_lines, contract_of, cst, quantity, yuan
from pctrade.kernel.clock import SetClock
from pctrade.kernel.units import G_PER_T
from pctrade.ledger import queries
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import CASH_ASSET, SYSTEM_OWNER
from pctrade.ledger.operations import OpType
from pctrade.market.commands import CloseDay, ListContract, PlaceOrder
from pctrade.market.data.records import TradeMode
from pctrade.market.model import MarketOp

SECOND_DAY = date(2026, 11, 24)  # a Tuesday; no holiday in the CN calendar
AUCTION_BATCH = "CEA-GD-ALLOC-2026-001"
AUCTION_OFFER_T = 20_000
RESERVE_FEN_PER_T = 4_500
AUCTION_WINDOW_S = 3_600
BLOCK_T = 100_600  # the power company's 2025 surplus: 100,000 t + Monday's 600 t
BLOCK_FEN_PER_T = 5_800
BLOCK_PROPOSED = (13, 30)  # China Standard Time, in the afternoon block session
BLOCK_ACCEPT_AFTER_S = 900
BOOK_T = 300  # CCER the power company sells on the book
BOOK_FEN_PER_T = 7_200


@dataclass(frozen=True, slots=True)
class Cast:
    """The day's parties and batches, as ``pctrade.demo`` names them."""

    regulator: str
    emitter: str  # sells the block; bids
    cement: str  # buys the block; bids
    institution: str  # bids; buys on the book
    cea: str  # the 2025 allowances' batch (its contract trades the block)
    ccer: str


@dataclass(frozen=True, slots=True)
class Bidder:
    """One bidder's part in the auction: what it bid and froze, what it won and paid."""

    party: str
    bids: int
    bid_g: int
    frozen_fen: int
    won_g: int
    paid_fen: int  # price × quantity won, and the buyer's fee
    released_fen: int  # given back by the clearing: frozen_fen − paid_fen, to the fen


@dataclass
class SecondDay:
    """What the day did, for the summary."""

    day: date = SECOND_DAY
    auction: JsonDict = field(default_factory=dict)  # the published result
    bidders: list[Bidder] = field(default_factory=list)
    block: JsonDict = field(default_factory=dict)
    block_parties: tuple[str, str] = ("", "")  # seller, buyer
    trades: list[tuple[str, int, int]] = field(default_factory=list)  # the book's
    closes: list[tuple[str, int | None, int]] = field(default_factory=list)
    pool_sale: PoolSale | None = None  # the platform's pool sells to the emitter


def run_second_day(
    app: App,
    cast: Cast,
    accounts: Mapping[str, int],
    count: Callable[[bool], None],
    contracts: Sequence[str],
    pool: PoolCast | None = None,
) -> SecondDay:
    """Run the day in ``app`` (its clock a ``SetClock``); ``contracts``: those listed
    before, closed again tonight with the day's own. ``count`` hears each write.
    ``pool``: the platform's pool, which sells on the book in the morning
    (``demo_pool_sale``)."""
    clock = app.clock
    if not isinstance(clock, SetClock):
        raise TypeError("the trading day moves its own clock: run it in the demo's app")
    out = SecondDay()

    def at(hh: int, mm: int) -> None:
        clock.now = cst(SECOND_DAY, hh, mm)

    # ---- before the open ---------------------------------------------------------------
    at(9, 0)
    listing = contract_of(AUCTION_BATCH)
    cmd = ListContract(
        listing.instrument,
        listing.jurisdiction,
        listing.vintage,
        MARKET,
        reference_price_fen_per_t=RESERVE_FEN_PER_T,
    )
    listed = app.market.list_contract(SYSTEM_OWNER, "demo:day2:list:cea-2026", cmd)
    count(bool(listed["replayed"]))
    auctioned = str(listed["contract"])

    # ---- the auction -------------------------------------------------------------------
    at(9, 30)
    out.auction = _auction(app, cast, accounts, auctioned, count)
    out.bidders = _bidders(app, accounts, out.auction)

    # ---- the morning session: the book --------------------------------------------------
    ccer = contract_code(cast.ccer)
    at(10, 40)
    sell = PlaceOrder(
        ccer, accounts[cast.emitter], "d2-emt-ccer", "sell", BOOK_FEN_PER_T, BOOK_T * G_PER_T
    )
    count(bool(app.market.place(cast.emitter, "demo:day2:order:emt-ccer", sell)["replayed"]))
    at(10, 45)
    buy = PlaceOrder(
        ccer, accounts[cast.institution], "d2-ins-ccer", "buy", BOOK_FEN_PER_T, BOOK_T * G_PER_T
    )
    count(bool(app.market.place(cast.institution, "demo:day2:order:ins-ccer", buy)["replayed"]))
    if pool is not None:
        out.pool_sale = run_pool_sale(app, pool, accounts, SECOND_DAY, at, count)

    # ---- the afternoon: the block ---------------------------------------------------------
    at(*BLOCK_PROPOSED)
    out.block = run_block_trade(
        app,
        contract_code(cast.cea),
        seller=cast.emitter,
        seller_account=accounts[cast.emitter],
        buyer=cast.cement,
        buyer_account=accounts[cast.cement],
        quantity_g=BLOCK_T * G_PER_T,
        price_fen_per_t=BLOCK_FEN_PER_T,
        expires_in_s=1_800,
        accept_after_s=BLOCK_ACCEPT_AFTER_S,
        count=count,
    )
    out.block_parties = (cast.emitter, cast.cement)

    # ---- after the close ------------------------------------------------------------------
    at(15, 5)
    day = SECOND_DAY.isoformat()
    for code in [*contracts, auctioned]:
        closed = app.market.close_day(SYSTEM_OWNER, f"demo:day2:close:{code}", CloseDay(code, day))
        count(bool(closed["replayed"]))
        out.closes.append((code, closed["close_fen_per_t"], int(closed["volume_g"])))
    records = app.market_reports.trade_records(None, day, day)
    out.trades = [
        (t.contract, t.price_fen_per_t, t.quantity_g)
        for t in records
        if t.mode is TradeMode.LISTING
    ]
    return out


def contract_code(batch: str) -> str:
    listing = contract_of(batch)
    return f"{listing.instrument}-{listing.jurisdiction}-{listing.vintage}"


def _auction(
    app: App,
    cast: Cast,
    accounts: Mapping[str, int],
    contract: str,
    count: Callable[[bool], None],
) -> JsonDict:
    t = G_PER_T
    # (bidder, price, tonnes): 25,000 t for 20,000 t offered; each bidder within 10,000 t.
    bids = [
        (cast.emitter, 5_200, 8_000),
        (cast.cement, 5_050, 6_000),
        (cast.institution, 4_800, 5_000),
        (cast.cement, 4_700, 4_000),  # the marginal bid: filled in part
        (cast.institution, 4_600, 2_000),  # below the clearing price: loses
    ]
    return run_allowance_auction(
        app,
        contract,
        quantity_g=AUCTION_OFFER_T * t,
        reserve_price_fen_per_t=RESERVE_FEN_PER_T,
        bids=[(who, accounts[who], price, tonnes * t) for who, price, tonnes in bids],
        window_s=AUCTION_WINDOW_S,
        regulator=cast.regulator,
        issue_batch=AUCTION_BATCH,
        count=count,
    )


def _bidders(app: App, accounts: Mapping[str, int], auction: JsonDict) -> list[Bidder]:
    """Each bidder's bids, and what the clearing's own registry entries did with its
    cash: each ``auction_settle`` paid the price and the fee from the bid's hold and
    released the rest; each release (``unfreeze``) gave a losing bid's hold back."""
    paid: dict[int, int] = {}
    won: dict[int, int] = {}
    released: dict[int, int] = {}
    for seq in auction["entries"]:
        entry, _detail = queries.entry_detail(app.store, int(seq), postings_max=0)
        p, op = entry.header.payload, entry.header.op_type
        if op == MarketOp.AUCTION_SETTLE:
            buyer = int(p["buyer"])
            paid[buyer] = paid.get(buyer, 0) + int(p["cash_fen"]) + int(p["buyer_fee_fen"])
            won[buyer] = won.get(buyer, 0) + int(p["quantity_g"])
            released[buyer] = released.get(buyer, 0) + int(p["released_fen"])
        elif op == OpType.UNFREEZE and int(p["asset_id"]) == CASH_ASSET:
            account = int(p["account"])
            released[account] = released.get(account, 0) + int(p["quantity"])
    parties = list(dict.fromkeys(str(b["bidder"]) for b in auction["bids"]))
    found = []
    for party in parties:
        mine = [b for b in auction["bids"] if b["bidder"] == party]
        account = accounts[party]
        found.append(
            Bidder(
                party,
                len(mine),
                sum(int(b["quantity_g"]) for b in mine),
                sum(int(b["frozen_fen"]) for b in mine),
                won.get(account, 0),
                paid.get(account, 0),
                released.get(account, 0),
            )
        )
    return found


def _fen(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def summary_lines(day: SecondDay, names: Mapping[str, str]) -> list[str]:
    """A few lines for the demo's summary: the auction, the block, the book, the closes."""

    def short(party: str) -> str:
        return names.get(party, party).split(" ")[0]

    a = day.auction
    lines = [
        f"交易日 Trading day {day.day} (CN rules): auction 单向竞价, block 大宗协议, "
        f"order book 挂牌",
        f"  竞价 Auction {a['contract']} ({a['pricing']} price, from the auction account): "
        f"{quantity(int(a['offered_g']))} offered at reserve "
        f"{yuan(int(a['reserve_price_fen_per_t']))}; {a['bid_count']} bids by "
        f"{a['bidder_count']} bidders for {quantity(int(a['bid_quantity_g']))} → "
        f"cleared at {yuan(a['clearing_price_fen_per_t'])}, "
        f"{quantity(int(a['sold_g']))} sold, cover {int(a['cover_ratio_bps']) / 100:.0f} %",
    ]
    for b in day.bidders:
        lines.append(
            f"    {short(b.party)}: {b.bids} bid(s) {quantity(b.bid_g)}, frozen "
            f"{_fen(b.frozen_fen)} → 中标 won {quantity(b.won_g)}, paid {_fen(b.paid_fen)}"
            f", 释放 released {_fen(b.released_fen)}"
        )
    blk = day.block
    seller, buyer = day.block_parties
    lines.append(
        f"  大宗 Block {blk['contract']}: {quantity(int(blk['quantity_g']))} at "
        f"{yuan(int(blk['price_fen_per_t']))}, {short(seller)} → {short(buyer)}: proposed "
        f"{BLOCK_PROPOSED[0]:02d}:{BLOCK_PROPOSED[1]:02d}, accepted "
        f"{BLOCK_ACCEPT_AFTER_S // 60} min later ({blk['state']})"
    )
    for code, price, grams in day.trades:
        lines.append(f"  成交 {code}: {quantity(grams)} at {yuan(price)}")
    if day.pool_sale is not None:
        lines += pool_sale_lines(day.pool_sale, names)
    lines += close_lines(day.closes)
    return lines
