"""``pctrade pool sales|statement|sales-page|sale-fees``: what pool sales show, to whom.

    pctrade pool sales POOL --as WHO            every sale: price, volume, fees
    pctrade pool statement ACCOUNT --as WHO     the account's lines (sale, price, units,
                                                gross, fee, net) [--pool POOL]
    pctrade pool sales-page POOL                the sales in aggregate (public)
    pctrade pool sale-fees --as REG             fees charged and payout delays per platform

(``pctrade pool show`` and ``pctrade pool fees`` are the pools' own: the public page of
a pool's terms and units, and the disclosed fee levels.)

A thin entrypoint over ``pools.sale_reports``, which decides who may read what. The
commands are added to the ``pool`` group by ``register`` (the pools' own CLI module
holds the group); a refusal prints ``error [code]: …`` and exits 2, like every command.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pctrade.cli import render
from pctrade.cli.common import ActorOption, DbOption, console, guarded, open_app
from pctrade.kernel.units import format_money
from pctrade.pools import sale_reports as reports

PoolArg = Annotated[str, typer.Argument(help="The pool, e.g. POOL-GD-0001.")]


def sales(
    pool: PoolArg,
    actor: ActorOption,
    after_seq: Annotated[int, typer.Option(help="Sales after this entry.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    db: DbOption = None,
) -> None:
    """Every sale of a pool (its contributors, its platform, the authorities)."""
    with guarded():
        body = reports.sales_of_pool(open_app(db).store, actor, pool, after_seq, limit)
    table = Table("sale", "venue", "price", "units", "gross", "fees", "net", "contributors")
    for s in body["sales"]:
        table.add_row(
            str(s["sale"]),
            str(s["venue"]),
            f"{format_money(int(s['price_fen_per_t']))}/t",
            render.carbon(int(s["quantity_g"])),
            format_money(int(s["gross_fen"])),
            format_money(int(s["trade_fee_fen"]) + int(s["pool_fee_fen"])),
            format_money(int(s["net_fen"])),
            str(s["contributors"]),
        )
    console.print(table)
    if body["next_after"] is not None:
        console.print(f"more: --after-seq {body['next_after']}")


def statement(
    account: Annotated[int, typer.Argument(help="The contributor's account.")],
    actor: ActorOption,
    pool: Annotated[str | None, typer.Option(help="Only this pool.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many lines.")] = 100,
    db: DbOption = None,
) -> None:
    """A contributor's statement: a line per sale that took their units (结算单)."""
    with guarded():
        body = reports.statement(open_app(db).store, actor, account, pool, limit)
    table = Table("sale", "pool", "price", "units", "gross", "fee", "net", "paid at")
    for x in body["lines"]:
        table.add_row(
            str(x["sale"]),
            str(x["pool"]),
            f"{format_money(int(x['price_fen_per_t']))}/t",
            render.carbon(int(x["units_g"])),
            format_money(int(x["gross_fen"])),
            format_money(int(x["fee_fen"])),
            format_money(int(x["net_fen"])),
            str(x["paid_at"]),
        )
    console.print(table)
    console.print(
        f"account {account}: {render.carbon(int(body['units_g']))} sold, "
        f"{format_money(int(body['net_fen']))} paid"
    )


def page(pool: PoolArg, db: DbOption = None) -> None:
    """A pool's public page: its sales in aggregate, no one named."""
    with guarded():
        body = reports.public_pool(open_app(db).store, pool)
    for name, value in body.items():
        console.print(f"{name}: {value}")


def fees(actor: ActorOption, db: DbOption = None) -> None:
    """Fee levels and payout delays per platform (the regulator, the registry)."""
    with guarded():
        body = reports.fee_levels(open_app(db).store, actor)
    table = Table(
        "platform",
        "pools",
        "sales",
        "pool fee",
        "bps min..max",
        "effective bps",
        "payout delay max s",
    )
    for p in body["platforms"]:
        table.add_row(
            str(p["platform"]),
            str(p["pools"]),
            str(p["sales"]),
            format_money(int(p["pool_fee_fen"])),
            f"{p['pool_fee_bps_min']}..{p['pool_fee_bps_max']}",
            str(p["pool_fee_effective_bps"]),
            str(p["payout_delay_s_max"]),
        )
    console.print(table)
    console.print(str(body["payout"]))


def register(app: typer.Typer) -> None:
    """Add the sales' commands to the ``pool`` group."""
    app.command()(sales)
    app.command()(statement)
    app.command("sales-page")(page)
    app.command("sale-fees")(fees)
