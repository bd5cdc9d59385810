"""``pctrade market …``: the order book (挂牌协议交易) from the command line.

    pctrade market contracts                                   listed contracts
    pctrade market list-contract PCER GD 2026Q3 --as registry [--reference 80yuan]
    pctrade market place CONTRACT ACCOUNT buy|sell PRICE QTY --as P --id CLIENT-ID
    pctrade market cancel CONTRACT ORDER --as P
    pctrade market amend CONTRACT ORDER PRICE QTY --as P
    pctrade market orders --as P [--contract C]                my orders
    pctrade market trades CONTRACT [--day D]                   the contract's trades
    pctrade market depth CONTRACT                              the best five levels
    pctrade market bars CONTRACT --first D --last D            daily bars and closes
    pctrade market close-day CONTRACT DAY --as registry        expire orders, fix the close

Prices are per tonne: ``80yuan`` or a number of fen (``8000``); quantities ``2t``,
``500kg`` or grams. A thin entrypoint over ``app.market`` and ``market.reads``; a
refusal prints ``error [code]: …`` and exits 2, like every command — an ineligible
individual's refusal lists each failed condition and the pools' door.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from pctrade.cli import market_blocks, render
from pctrade.cli.common import (
    ActorOption,
    CursorOption,
    DbOption,
    KeyOption,
    LimitOption,
    console,
    err_console,
    guarded,
    idempotency_key,
    open_app,
    open_store,
    print_next,
)
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.paging import decode_cursor
from pctrade.kernel.units import format_money, parse_carbon_g, parse_money_fen
from pctrade.ledger.model import parse_account_ref
from pctrade.market import commands as mc
from pctrade.market import reads
from pctrade.market.eligibility import POOLS_HINT, NotEligible
from pctrade.market.service import Market

# The API's list names: a cursor printed here reads the same page over HTTP.
CONTRACTS, ORDERS, TRADES = "market_contracts", "me_market_orders", "market_trades"

app = typer.Typer(help="交易 Market: the order book, its data and the close.", no_args_is_help=True)
ContractArg = Annotated[str, typer.Argument(help="Contract code, e.g. PCER-GD-2026Q3.")]
OrderArg = Annotated[int, typer.Argument(help="Order id (in its contract).")]
PriceArg = Annotated[str, typer.Argument(help="Price per tonne: 80yuan, or fen (8000).")]
QtyArg = Annotated[str, typer.Argument(help="Quantity: 2t, 500kg or grams.")]


def _market(db: str | None) -> Market:
    return open_app(db).market


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"not a date: {text!r}", code="bad_date") from exc


def price(fen_per_t: int | None) -> str:
    return "—" if fen_per_t is None else f"{format_money(fen_per_t)}/t"


def _result(result: dict[str, Any]) -> None:
    replay = " (replayed 重放)" if result["replayed"] else ""
    trades = ", ".join(result["trades"]) or "none 无"
    console.print(
        f"{result['contract']} seq {result['seq']}: order 委托 {result['order_id']} "
        f"{result['state']}, filled 成交 {render.carbon(int(result['filled_g'] or 0))}{replay}"
    )
    console.print(f"  trades 成交: {trades} · entries 分录: {result['entries']}")


# ---- contracts ------------------------------------------------------------------------
@app.command()
def contracts(cursor: CursorOption = None, limit: LimitOption = 100, db: DbOption = None) -> None:
    """Listed contracts, with their open day and reference price."""
    with guarded():
        start = decode_cursor(CONTRACTS, cursor, (int,)) or (0,)
        page = reads.contracts(open_store(db), int(start[0]), limit)
    table = Table(title="合约 Contracts")
    for col in ("code", "market", "seq", "open day 交易日", "reference 基准价"):
        table.add_column(col)
    for r in page.items:
        table.add_row(
            r["code"],
            r["market"],
            str(r["last_seq"]),
            r["trading_day"] or "—",
            price(r["reference_price_fen_per_t"]),
        )
    console.print(table)
    print_next(CONTRACTS, page)


@app.command("list-contract")
def list_contract(
    instrument: Annotated[str, typer.Argument(help="CEA, CCER or PCER.")],
    jurisdiction: Annotated[str, typer.Argument(help="e.g. GD, CN.")],
    vintage: Annotated[str, typer.Argument(help="e.g. 2026Q3, 2025.")],
    actor: ActorOption,
    market: Annotated[str, typer.Option(help="Whose trading rules (rule set).")] = "CN",
    project: Annotated[str | None, typer.Option(help="Where contracts key on it.")] = None,
    reference: Annotated[
        str | None, typer.Option(help="First day's reference price per tonne.")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """List a contract (挂牌; the registry operator or the regulator)."""
    with guarded():
        ref = None if reference is None else parse_money_fen(reference)
        cmd = mc.ListContract(instrument, jurisdiction, vintage, market, project, ref)
        done = _market(db).list_contract(actor, idempotency_key(key), cmd)
    replay = " (replayed 重放)" if done["replayed"] else ""
    console.print(f"listed 挂牌 {done['contract']} under {done['rule_set']}{replay}")


# ---- orders ---------------------------------------------------------------------------
@app.command()
def place(
    contract: ContractArg,
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    side: Annotated[str, typer.Argument(help="buy or sell.")],
    price_text: PriceArg,
    quantity: QtyArg,
    actor: ActorOption,
    client_order_id: Annotated[str, typer.Option("--id", help="Your id for the order.")],
    ioc: Annotated[bool, typer.Option("--ioc", help="Immediate or cancel.")] = False,
    level: Annotated[
        list[str] | None, typer.Option(help="A taker's chosen opposite price level.")
    ] = None,
    batch: Annotated[list[str] | None, typer.Option(help="A sell's batch, in order.")] = None,
    pool: Annotated[
        str | None, typer.Option(help="Sell your pool's units (its platform): nothing frozen.")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Place an order (委托): funded or covered and frozen, matched, settled. A platform
    sells its pool's units with ``--pool``: they stay in the contributors' holds."""
    with guarded():
        cmd = mc.PlaceOrder(
            contract,
            parse_account_ref(account),
            client_order_id,
            side,
            parse_money_fen(price_text),
            parse_carbon_g(quantity),
            "ioc" if ioc else "day",
            None if not level else tuple(parse_money_fen(x) for x in level),
            None if not batch else tuple(batch),
            pool,
        )
        try:
            done = _market(db).place(actor, idempotency_key(key), cmd)
        except NotEligible as exc:
            for code, why in exc.failed:
                err_console.print(f"  ✗ {code}: {why}")
            err_console.print(f"  → {POOLS_HINT}")
            raise
    _result(done)


@app.command()
def cancel(
    contract: ContractArg,
    order_id: OrderArg,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Cancel an open order (撤单): its holds are released exactly."""
    with guarded():
        done = _market(db).cancel(actor, idempotency_key(key), mc.CancelOrder(contract, order_id))
    _result(done)


@app.command()
def amend(
    contract: ContractArg,
    order_id: OrderArg,
    price_text: PriceArg,
    quantity: Annotated[str, typer.Argument(help="New total quantity, filled part included.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Amend an order (改单): down keeps time priority, up or a new price loses it."""
    with guarded():
        cmd = mc.AmendOrder(
            contract, order_id, parse_money_fen(price_text), parse_carbon_g(quantity)
        )
        done = _market(db).amend(actor, idempotency_key(key), cmd)
    _result(done)


@app.command()
def orders(
    actor: ActorOption,
    contract: Annotated[str | None, typer.Option(help="Only this contract.")] = None,
    cursor: CursorOption = None,
    limit: LimitOption = 100,
    db: DbOption = None,
) -> None:
    """My orders (我的委托), by contract, oldest first."""
    with guarded():
        start = decode_cursor(ORDERS, cursor, (int, int)) or (0, 0)
        after = (int(start[0]), int(start[1]))
        page = reads.my_orders(open_store(db), actor, contract, after, limit)
    table = Table(title=f"委托 Orders of {actor}")
    for col in ("contract", "order", "id", "side", "price", "quantity", "filled", "state", "day"):
        table.add_column(col)
    for o in page.items:
        table.add_row(
            o["contract"],
            str(o["order_id"]),
            o["client_order_id"],
            o["side"],
            price(int(o["price_fen_per_t"])),
            render.carbon(int(o["quantity_g"])),
            render.carbon(int(o["filled_g"])),
            o["state"],
            o["day"],
        )
    console.print(table)
    print_next(ORDERS, page)


# ---- market data ----------------------------------------------------------------------
@app.command()
def trades(
    contract: ContractArg,
    day: Annotated[str | None, typer.Option(help="Only this day, YYYY-MM-DD.")] = None,
    cursor: CursorOption = None,
    limit: LimitOption = 100,
    db: DbOption = None,
) -> None:
    """The contract's trades (成交), oldest first."""
    with guarded():
        shown = None if day is None else _day(day).isoformat()
        start = decode_cursor(TRADES, cursor, (int,)) or (0,)
        page = reads.public_trades(open_store(db), contract, shown, int(start[0]), limit)
    table = Table(title=f"成交 Trades · {contract}")
    for col in ("trade", "day", "seq", "taker", "price", "quantity"):
        table.add_column(col)
    for t in page.items:
        table.add_row(
            t["trade_id"],
            t["day"],
            str(t["seq"]),
            t["taker_side"],
            price(int(t["price_fen_per_t"])),
            render.carbon(int(t["quantity_g"])),
        )
    console.print(table)
    print_next(TRADES, page)


@app.command()
def depth(contract: ContractArg, db: DbOption = None) -> None:
    """The best five levels of each side (五档行情)."""
    with guarded():
        book = reads.depth_at(open_store(db), contract)
    table = Table(title=f"五档 Depth · {contract} · seq {book['seq']}")
    for col in ("level 档", "bid qty 买量", "bid 买价", "ask 卖价", "ask qty 卖量"):
        table.add_column(col, justify="right")
    bids, asks = book["bids"], book["asks"]
    for i in range(max(len(bids), len(asks), 1)):
        b = bids[i] if i < len(bids) else None
        a = asks[i] if i < len(asks) else None
        table.add_row(
            str(i + 1),
            "" if b is None else render.carbon(b["quantity_g"]),
            "" if b is None else price(b["price_fen_per_t"]),
            "" if a is None else price(a["price_fen_per_t"]),
            "" if a is None else render.carbon(a["quantity_g"]),
        )
    console.print(table)


@app.command()
def bars(
    contract: ContractArg,
    first: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    last: Annotated[str, typer.Option(help="Last day, YYYY-MM-DD.")],
    db: DbOption = None,
) -> None:
    """Daily bars (日K): open, high, low, last, volume, and the close."""
    with guarded():
        rows = reads.bars(open_store(db), contract, _day(first), _day(last))
    table = Table(title=f"日K Bars · {contract}")
    for col in ("day", "open", "high", "low", "last", "volume", "trades", "close 收盘"):
        table.add_column(col, justify="right")
    for r in rows:
        close = price(r["close_fen_per_t"]) + (" (carried 沿用)" if r["carried"] else "")
        table.add_row(
            r["day"],
            price(r["open_fen_per_t"]),
            price(r["high_fen_per_t"]),
            price(r["low_fen_per_t"]),
            price(r["last_fen_per_t"]),
            render.carbon(int(r["volume_g"])),
            str(r["trades"]),
            close,
        )
    console.print(table)


@app.command("close-day")
def close_day(
    contract: ContractArg,
    day: Annotated[str, typer.Argument(help="The trading day, YYYY-MM-DD.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Close a trading day (收盘; the operator): expire what is open, fix the close."""
    with guarded():
        cmd = mc.CloseDay(contract, _day(day).isoformat())
        done = _market(db).close_day(actor, idempotency_key(key), cmd)
    carried = " (carried over 沿用)" if done["carried"] else ""
    replay = " (replayed 重放)" if done["replayed"] else ""
    lapsed = len(done.get("lapsed_proposals", []))
    ended = f", {lapsed} block proposals lapsed 大宗申报失效" if lapsed else ""
    console.print(
        f"{done['contract']} {done['day']}: close 收盘 {price(done['close_fen_per_t'])}"
        f"{carried}, volume 成交量 {render.carbon(int(done['volume_g']))}{ended}{replay}"
    )


# Block trades, auctions, statements and reports (cli/market_blocks.py) join these
# commands (`pctrade market block-propose …`, `pctrade market auction-bid …`); where both
# name a command (``bars``), the order book's, above, is the one mounted.
_OWN = {
    command.name or command.callback.__name__
    for command in app.registered_commands
    if command.callback
}
app.registered_commands += [
    command
    for command in market_blocks.app.registered_commands
    if (command.name or (command.callback.__name__ if command.callback else None)) not in _OWN
]
