"""``pctrade market …`` (block trades, auctions, statements, reports): a thin entrypoint.

The lead mounts this Typer app under ``pctrade market`` beside the order book's
commands. It parses text (``100000t`` quantities, account numbers, ISO days) into the
market's commands, calls the services (``market.blocks``, ``market.auctions``,
``market.reports``) and prints their answers; a refusal prints ``error [code]:
message`` and exits 2, like every command.

pctrade market block-propose CONTRACT --as plat --account 1005 --to steel --side sell \\
        --quantity 100000t --price 6300 [--expires-in 600]
pctrade market block-accept|block-decline|block-withdraw CONTRACT PROPOSAL --as …
pctrade market auction-announce CONTRACT --as registry --account 3 --quantity 10000t \\
        --reserve 4000 [--window 600]
pctrade market auction-bid CONTRACT AUCTION --as steel --account 1003 --price 4200 \\
        --quantity 5000t
pctrade market auction-clear CONTRACT AUCTION --as registry
pctrade market statement ACCOUNT DAY --as steel
pctrade market bars CONTRACT FIRST LAST
pctrade market surveillance CONTRACT FIRST LAST --as reg
pctrade market large-holders MARKET DAY --as reg
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    DbOption,
    KeyOption,
    console,
    guarded,
    idempotency_key,
    open_app,
)
from pctrade.kernel.units import parse_carbon_g
from pctrade.ledger.model import parse_account_ref
from pctrade.market import venue_commands as vc

app = typer.Typer(
    help="大宗协议交易 · 单向竞价 Block trades, auctions, statements, market reports.",
    no_args_is_help=True,
)

ContractArg = Annotated[str, typer.Argument(help="Contract code, e.g. PCER-GD-2026.")]
IdArg = Annotated[int, typer.Argument(help="Proposal or auction id.")]
AccountOpt = Annotated[str, typer.Option("--account", help="Account id or number.")]
QuantityOpt = Annotated[str, typer.Option("--quantity", help="e.g. 100000t.")]
PriceOpt = Annotated[int, typer.Option("--price", help="Price, fen per tonne.")]
DayArg = Annotated[str, typer.Argument(help="A day, YYYY-MM-DD.")]


def _print(result: dict[str, Any]) -> None:
    replay = " (replayed)" if result.get("replayed") else ""
    text = json.dumps(result, ensure_ascii=False, indent=1, default=str)
    console.print(text + replay, soft_wrap=True)


@app.command("block-propose")
def block_propose(
    contract: ContractArg,
    actor: ActorOption,
    account: AccountOpt,
    to: Annotated[str, typer.Option("--to", help="The counterparty (party id).")],
    side: Annotated[str, typer.Option(help="Your side: buy or sell.")],
    quantity: QuantityOpt,
    price: PriceOpt,
    expires_in: Annotated[int, typer.Option(help="Seconds the proposal stands.")] = 600,
    pool: Annotated[
        str | None, typer.Option(help="Sell your pool's units (its platform): nothing frozen.")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Propose a block trade (大宗协议交易): your side is frozen until it ends (a pool's
    units stay in its contributors' holds until the trade settles)."""
    with guarded():
        cmd = vc.ProposeBlock(
            contract,
            parse_account_ref(account),
            to,
            side,
            parse_carbon_g(quantity),
            price,
            expires_in,
            pool,
        )
        result = open_app(db).blocks.propose(actor, idempotency_key(key), cmd)
    _print(result)


@app.command("block-accept")
def block_accept(
    contract: ContractArg,
    proposal: IdArg,
    actor: ActorOption,
    account: AccountOpt,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Accept a proposal made to you: it settles at once, delivery versus payment."""
    with guarded():
        cmd = vc.AcceptBlock(contract, proposal, parse_account_ref(account))
        result = open_app(db).blocks.accept(actor, idempotency_key(key), cmd)
    _print(result)


# Declining (the counterparty) and withdrawing (the proposer) end a proposal alike: the
# same command but for the service method it calls and its help.
_ENDINGS = (
    (
        "block-decline",
        "decline",
        "Decline a proposal made to you; the proposer's hold is released.",
    ),
    (
        "block-withdraw",
        "withdraw",
        "Withdraw your proposal before an answer; its hold is released.",
    ),
)


def _ending(method: str) -> Callable[..., None]:
    def command(
        contract: ContractArg,
        proposal: IdArg,
        actor: ActorOption,
        db: DbOption = None,
        key: KeyOption = None,
    ) -> None:
        with guarded():
            blocks, k = open_app(db).blocks, idempotency_key(key)
            if method == "decline":
                result = blocks.decline(actor, k, vc.DeclineBlock(contract, proposal))
            else:
                result = blocks.withdraw(actor, k, vc.WithdrawBlock(contract, proposal))
        _print(result)

    return command


for _name, _method, _help in _ENDINGS:
    app.command(_name, help=_help)(_ending(_method))


@app.command("block-lapse")
def block_lapse(
    contract: ContractArg, actor: ActorOption, db: DbOption = None, key: KeyOption = None
) -> None:
    """End every proposal whose expiry has come (the operator's scheduler)."""
    with guarded():
        result = open_app(db).blocks.lapse(actor, idempotency_key(key), vc.LapseBlocks(contract))
    _print(result)


@app.command("auction-announce")
def auction_announce(
    contract: ContractArg,
    actor: ActorOption,
    account: AccountOpt,
    quantity: QuantityOpt,
    reserve: Annotated[int, typer.Option(help="Reserve price, fen per tonne.")],
    window: Annotated[int, typer.Option(help="Seconds the bids are taken, from now.")] = 600,
    pool: Annotated[
        str | None, typer.Option(help="Auction your pool's units (its platform): nothing frozen.")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Announce a one-way auction (单向竞价) from now: the offered credits are frozen (a
    pool's stay in its contributors' holds until each winning bid settles)."""
    with guarded():
        wired = open_app(db)
        now_s = int(wired.clock().timestamp())
        cmd = vc.AnnounceAuction(
            contract,
            parse_account_ref(account),
            parse_carbon_g(quantity),
            reserve,
            now_s,
            now_s + window,
            pool=pool,
        )
        result = wired.auctions.announce(actor, idempotency_key(key), cmd)
    _print(result)


@app.command("auction-bid")
def auction_bid(
    contract: ContractArg,
    auction: IdArg,
    actor: ActorOption,
    account: AccountOpt,
    price: PriceOpt,
    quantity: QuantityOpt,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """A sealed bid in the window: its cash and fee are frozen."""
    with guarded():
        cmd = vc.SubmitBid(
            contract, auction, parse_account_ref(account), price, parse_carbon_g(quantity)
        )
        result = open_app(db).auctions.bid(actor, idempotency_key(key), cmd)
    _print(result)


@app.command("auction-clear")
def auction_clear(
    contract: ContractArg,
    auction: IdArg,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Clear an auction after its window and print the published result."""
    with guarded():
        cmd = vc.ClearAuction(contract, auction)
        result = open_app(db).auctions.clear(actor, idempotency_key(key), cmd)
    _print(result)


@app.command()
def statement(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    day: DayArg,
    actor: ActorOption,
    db: DbOption = None,
) -> None:
    """The account's daily settlement statement (结算单): each trade, fees, net."""
    with guarded():
        st = open_app(db).market_reports.statement(actor, parse_account_ref(account), day)
    table = Table(
        title=f"结算单 Statement · account {st['account']} · {st['day']}", title_justify="left"
    )
    for column in (
        "trade",
        "mode",
        "side",
        "quantity",
        "price fen/t",
        "gross",
        "fee",
        "net",
        "entry",
    ):
        table.add_column(column)
    for x in st["lines"]:
        table.add_row(
            str(x["trade"]),
            str(x["mode"]),
            str(x["side"]),
            render.carbon(int(x["quantity_g"])),
            str(x["price_fen_per_t"]),
            str(x["gross_fen"]),
            str(x["fee_fen"]),
            str(x["net_fen"]),
            f"#{x['entry_seq']}",
        )
    console.print(table)
    console.print(
        f"opening {st['opening']} · closing {st['closing']} · net cash {st['net_cash_fen']} fen"
    )


@app.command()
def bars(contract: ContractArg, first: DayArg, last: DayArg, db: DbOption = None) -> None:
    """Daily open, high, low, close (order book only) and volume (every mode)."""
    with guarded():
        rows = open_app(db).market_reports.daily_bars(contract, first, last)
    for row in rows:
        console.print(json.dumps(row, default=str), soft_wrap=True)


@app.command()
def surveillance(
    contract: ContractArg, first: DayArg, last: DayArg, actor: ActorOption, db: DbOption = None
) -> None:
    """The abnormal-trading report of a contract and period (the regulator)."""
    with guarded():
        report = open_app(db).market_reports.abnormal_trading(actor, contract, first, last)
    _print(report)


@app.command("large-holders")
def large_holders(
    market: Annotated[str, typer.Argument(help="Rule set, e.g. BJ.")],
    day: DayArg,
    actor: ActorOption,
    db: DbOption = None,
) -> None:
    """Holders above the disclosure threshold of ``[positions]`` (the regulator)."""
    with guarded():
        report = open_app(db).market_reports.large_holders(actor, market, day)
    _print(report)
