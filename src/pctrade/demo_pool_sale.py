"""The demo's pool sale (平台整合，间接交易, issue 14): indirect trading for those who hold
too little to trade.

On the morning of Tuesday 24 November 2026 (the second trading day, national rules ``CN``),
in the platform's pool opened in October (``demo_october``, where two people's sink
credits already are):

1. 10:48, everyone who holds some of the summer's carbon-inclusive PCER but less than a
   lot of it (10 kg, ``[trading] lots.PCER``: below the holding an individual needs to
   sell directly, ``[eligibility] instrument_holding_min_g``; most of them have no
   verified real name or risk assessment either) deposits it into the pool: it stays
   theirs, frozen in a ``pool`` hold (``pools.Pools.deposit``). The saver, who sold on
   Monday in their own name, keeps the rest;
2. 10:50, the platform places a sell of the pool's units on the book
   (``PlaceOrder.pool``): the whole lots the pool holds, at Monday's close. Nothing is
   frozen for it: its reservation is the pool's free units (``market.pool_sells``);
3. 10:55, the power company (a key emitter) buys them: one ``pool_settle`` entry draws
   every contributor's hold pro rata, delivers the credits to the emitter against its
   cash, and pays each contributor their exact share of the proceeds after the trade
   fee and the pool's 5 % fee, the platform its fee, the exchange both trade fees.

Every write has a ``demo:pool-sale:…`` key; what a second run would read differently (the
people's balances, now in the pool; the pool's units, now sold) is read from what the
first run recorded, so a second seeding replays the chapter and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pctrade.bootstrap import App
from pctrade.demo_trading import MARKET, quantity, yuan
from pctrade.kernel.clock import SetClock
from pctrade.kernel.errors import IntegrityError
from pctrade.ledger.model import State
from pctrade.market import queries as market_queries
from pctrade.market.commands import PlaceOrder
from pctrade.pools import commands as pools
from pctrade.pools import queries as pool_queries

DEPOSIT_AT, SELL_AT, BUY_AT = (10, 48), (10, 50), (10, 55)


@dataclass(frozen=True, slots=True)
class PoolCast:
    """Who takes part, as ``pctrade.demo`` names them."""

    platform: str
    emitter: str  # buys the pool's units
    pool_id: str
    people: Sequence[str]  # the individuals who may deposit (not the saver)
    batch: str  # the summer's carbon-inclusive PCER (the contract's batch they deposit)
    contract: str  # the contract it trades as


@dataclass
class PoolSale:
    """What the sale did, for the summary."""

    pool_id: str = ""
    contract: str = ""
    depositors: list[tuple[str, int]] = field(default_factory=list)  # party, grams
    pooled_g: int = 0  # what the pool held when it sold
    sold_g: int = 0
    price_fen_per_t: int = 0
    gross_fen: int = 0
    trade_fee_fen: int = 0  # each side's
    pool_fee_fen: int = 0
    net_fen: int = 0
    payouts: list[tuple[str, int, int]] = field(default_factory=list)  # party, g, fen
    entry_seq: int = 0


def run_pool_sale(
    app: App,
    cast: PoolCast,
    accounts: Mapping[str, int],
    day: date,
    at: Callable[[int, int], None],
    count: Callable[[bool], None],
) -> PoolSale:
    """The chapter in ``app`` (its clock a ``SetClock``, moved by ``at``)."""
    if not isinstance(app.clock, SetClock):
        raise TypeError("the pool sale moves its own clock: run it in the demo's app")
    out = PoolSale(cast.pool_id, cast.contract)
    trading = app.rules.in_force(MARKET, day).trading
    if trading is None:
        raise IntegrityError(f"{MARKET} has no trading rules", code="no_rule")
    lot_g = trading.for_instrument("PCER").quantity_step_g
    at(*DEPOSIT_AT)
    out.depositors = _deposit(app, cast, accounts, lot_g, count)
    page = pool_queries.public_page(app.store, cast.pool_id)
    out.pooled_g = int(page["deposited_g"]) - int(page["withdrawn_g"])
    out.sold_g = out.pooled_g - out.pooled_g % lot_g
    closes = market_queries.closes(app.store, cast.contract, limit=1)
    out.price_fen_per_t = int(closes[0]["close_fen_per_t"])
    at(*SELL_AT)
    sell = PlaceOrder(
        cast.contract,
        accounts[cast.platform],
        "pool-sale-1",
        "sell",
        out.price_fen_per_t,
        out.sold_g,
        pool=cast.pool_id,
    )
    count(bool(app.market.place(cast.platform, "demo:pool-sale:sell", sell)["replayed"]))
    at(*BUY_AT)
    buy = PlaceOrder(
        cast.contract,
        accounts[cast.emitter],
        "pool-buy-1",
        "buy",
        out.price_fen_per_t,
        out.sold_g,
    )
    bought = app.market.place(cast.emitter, "demo:pool-sale:buy", buy)
    count(bool(bought["replayed"]))
    _settled(app, out, accounts, [int(seq) for seq in bought["entries"]])
    return out


def _deposit(
    app: App,
    cast: PoolCast,
    accounts: Mapping[str, int],
    lot_g: int,
    count: Callable[[bool], None],
) -> list[tuple[str, int]]:
    """Everyone holding less than a lot of the batch deposits it all: what each did.
    A deposit this chapter made already is read back (its grams left the balance)."""
    by_account = {a: p for p, a in accounts.items()}
    done = {
        by_account[int(d["account_id"])]: int(d["quantity_g"])
        for d in pool_queries.deposits_of_pool(app.store, cast.pool_id)
        if int(d["asset_id"]) == _asset(app, cast.batch)
    }
    asset = _asset(app, cast.batch)
    made = []
    for person in cast.people:
        grams = done.get(person)
        if grams is None:
            with app.store.reader() as uow:
                grams = uow.balance(accounts[person], asset, State.AVAILABLE)
            if not 0 < grams < lot_g:
                continue
        cmd = pools.DepositToPool(cast.pool_id, accounts[person], cast.batch, grams)
        receipt = app.pools.deposit(person, f"demo:pool-sale:deposit:{person}", cmd)
        count(receipt.replayed)
        made.append((person, grams))
    return made


def _asset(app: App, batch: str) -> int:
    with app.store.reader() as uow:
        found = uow.batch_named(batch)
    if found is None:
        raise IntegrityError(f"no batch {batch}", code="unknown_batch")
    return found.asset_id


def _settled(app: App, out: PoolSale, accounts: Mapping[str, int], seqs: Sequence[int]) -> None:
    """The sale's figures and payouts, from its ``pool_settle`` entry."""
    by_account = {a: p for p, a in accounts.items()}
    for seq in seqs:
        with app.store.reader() as uow:
            entry = uow.entry(seq)
        if entry is None or entry.header.op_type != "pool_settle":
            continue
        p = entry.header.payload
        out.entry_seq = seq
        out.gross_fen = int(p["gross_fen"])
        out.trade_fee_fen = int(p["seller_fee_fen"])
        out.pool_fee_fen = int(p["pool_fee_fen"])
        out.net_fen = int(p["net_fen"])
        payout = p["payout"]
        out.payouts = [
            (by_account.get(int(a), str(a)), int(g), int(fen))
            for a, g, fen in zip(
                payout["accounts"], payout["grams"], payout["net_fen"], strict=True
            )
        ]
    if not out.entry_seq:
        raise IntegrityError("the pool's sell did not settle", code="demo_pool_sale")


def _fen(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


def summary_lines(sale: PoolSale, names: Mapping[str, str]) -> list[str]:
    """The sale and each contributor's payout, for the demo's summary."""

    def short(party: str) -> str:
        return names.get(party, party).split(" ")[0]

    deposited = sum(g for _, g in sale.depositors)
    lines = [
        f"  平台整合 Pool {sale.pool_id}: {len(sale.depositors)} people holding less than a "
        f"lot deposited {quantity(deposited)}; the pool held {quantity(sale.pooled_g)} and "
        f"sold {quantity(sale.sold_g)} of {sale.contract} on the book at "
        f"{yuan(sale.price_fen_per_t)} to the key emitter, in one entry (seq {sale.entry_seq})",
        f"    gross {_fen(sale.gross_fen)} − trade fee {_fen(sale.trade_fee_fen)} − pool fee "
        f"{_fen(sale.pool_fee_fen)} = net {_fen(sale.net_fen)} to "
        f"{len(sale.payouts)} contributors (largest remainder, to the fen):",
    ]
    lines += [
        f"      {short(party)}: {quantity(grams)} sold → {_fen(fen)}"
        for party, grams, fen in sale.payouts
    ]
    return lines
