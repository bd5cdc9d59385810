"""``pctrade energy …``: collect green energy (收取能量) and see what waits for collection.

Green energy is credited uncollected: its holder (or a party they authorised) collects
it, and what is not collected within the expiry period lapses (``energy.model``).
"""

from __future__ import annotations

from typing import Annotated

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
from pctrade.energy import service as energy
from pctrade.ledger.model import parse_account_ref
from pctrade.rules import DEFAULT_JURISDICTION

app = typer.Typer(help="绿色能量 Green energy: collect it, see what waits.", no_args_is_help=True)

JurisdictionOption = Annotated[
    str, typer.Option(help="Whose rule set sets the expiry period (national: CN, 72 h).")
]


@app.command()
def collect(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    actor: ActorOption,
    jurisdiction: JurisdictionOption = DEFAULT_JURISDICTION,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Collect an account's energy (收取): what is past the expiry period lapses instead."""
    with guarded():
        the_app = open_app(db)
        report = energy.collect(
            the_app.registry,
            actor,
            idempotency_key(key),
            parse_account_ref(account),
            the_app.clock(),
            rules=the_app.rules,
            jurisdiction=jurisdiction,
        )
    console.print(render.receipt(report.receipt))
    console.print(
        f"collected 已收取 {render.carbon(report.collected_g)} · lapsed 过期 "
        f"{render.carbon(report.lapsed_g)} (credited at or before {report.cutoff})"
    )


@app.command()
def pending(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    jurisdiction: JurisdictionOption = DEFAULT_JURISDICTION,
    db: DbOption = None,
) -> None:
    """What waits for collection now (待收取), each credit with the time it lapses."""
    with guarded():
        the_app = open_app(db, writes=False)
        found = energy.pending(
            the_app.store,
            parse_account_ref(account),
            the_app.clock(),
            rules=the_app.rules,
            jurisdiction=jurisdiction,
        )
    table = Table("entry", "credited at 计入时间", "grams", "lapses at 过期时间")
    for credit in found.credits:
        table.add_row(
            str(credit.seq), credit.credited_at, render.carbon(credit.credited_g), credit.expires_at
        )
    console.print(f"{found.account_number}  (expiry {found.expiry_s // 3600} h {found.rule_set})")
    console.print(table)
    console.print(
        f"to collect 可收取 {render.carbon(found.collectable_g)} · past the period, lapsing "
        f"过期待清 {render.carbon(found.lapsed_g)}"
    )
