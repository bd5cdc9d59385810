"""``pctrade inclusive …``: the carbon-inclusive path (碳普惠), energy issued as PCER.

    pctrade inclusive open JURISDICTION --start D --end D --as REG   open under the rules
    pctrade inclusive verify ID --as VERIFIER [--reject --reason …]  fix or refuse the claim
    pctrade inclusive issue ID --as REG [--key K]                    one bulk entry
    pctrade inclusive list | show ID                                 issuances
    pctrade inclusive mine ACCOUNT                                   my carbon-inclusive credits

A thin entrypoint over ``services.inclusive``; a refusal prints ``error [code]: …`` and
exits 2, like every command.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    CursorOption,
    DbOption,
    KeyOption,
    LimitOption,
    console,
    guarded,
    idempotency_key,
    open_app,
    print_next,
)
from pctrade.inclusive.claim import Period
from pctrade.inclusive.service import CarbonInclusive
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.paging import decode_cursor
from pctrade.ledger.model import parse_account_ref

# The API's list names: a cursor printed here reads the same page over HTTP.
ISSUANCES, MINE = "inclusive_issuances", "me_inclusive"

app = typer.Typer(
    help="碳普惠 Carbon-inclusive path: verified avoided emissions issued as PCER.",
    no_args_is_help=True,
)
IdArg = Annotated[int, typer.Argument(help="Issuance number.")]
DateOpt = Annotated[str, typer.Option(help="A date, YYYY-MM-DD.")]


def _ci(db: str | None) -> CarbonInclusive:
    return open_app(db).inclusive


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"not a date: {text!r}", code="bad_date") from exc


def _summary(row: dict[str, Any]) -> str:
    claim = ""
    if row["status"] in ("verified", "issued"):
        claim = (
            f", claim 核证 {row['claim_people']} people {render.carbon(int(row['claim_g']))}"
            f" ({row['below_min_people']} below the minimum 未达下限)"
        )
    batch = f", batch {row['batch']} (entry #{row['issue_seq']})" if row["batch"] else ""
    return (
        f"issuance {row['issuance_id']} {row['jurisdiction']} "
        f"{row['period_start']}..{row['period_end']}: {row['status']} · rule set 规则 "
        f"{row['rule_set']}{claim}{batch}"
    )


@app.command("open")
def open_(
    jurisdiction: Annotated[str, typer.Argument(help="e.g. GD.")],
    actor: ActorOption,
    start: DateOpt,
    end: DateOpt,
    methodology: Annotated[
        list[str] | None, typer.Option(help="Count only these, e.g. bus/v1 (default: all).")
    ] = None,
    affiliate: Annotated[
        list[str] | None, typer.Option(help="Party barred from verifying.")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Open an issuance (申请签发) under the rule set in force (regulator, registry)."""
    with guarded():
        period = Period(_date(start), _date(end))
        row = _ci(db).open(
            actor, idempotency_key(key), jurisdiction, period, methodology or (), affiliate or ()
        )
    console.print(_summary(row))
    console.print(f"  methodologies 方法学: {row['methodologies']}")


@app.command()
def verify(
    issuance_id: IdArg,
    actor: ActorOption,
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead.")] = False,
    reason: Annotated[str, typer.Option(help="Reasons (required to reject).")] = "",
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Verify (核证, fixing the claim) or reject an issuance (verifier)."""
    with guarded():
        row = _ci(db).verify(actor, idempotency_key(key), issuance_id, not reject, reason)
    console.print(_summary(row))


@app.command()
def issue(
    issuance_id: IdArg, actor: ActorOption, db: DbOption = None, key: KeyOption = None
) -> None:
    """Spend qualifying energy and issue the same grams as one PCER batch (签发)."""
    with guarded():
        i = _ci(db).issue(actor, idempotency_key(key), issuance_id)
    replay = " (replayed 重放)" if i.replayed else ""
    console.print(
        f"entry #{i.issue_seq}: batch {i.batch}{replay}\n"
        f"  {i.people} people, {render.carbon(i.issued_g)} issued = green energy spent 已消耗, "
        f"rule set 规则 {i.rule_set}"
    )


@app.command("list")
def list_(
    jurisdiction: Annotated[str | None, typer.Option(help="Only this one, e.g. GD.")] = None,
    cursor: CursorOption = None,
    limit: LimitOption = 50,
    db: DbOption = None,
) -> None:
    """Carbon-inclusive issuances, oldest first, a page at a time."""
    with guarded():
        key = decode_cursor(ISSUANCES, cursor, (int,))
        page = _ci(db).issuances(jurisdiction, 0 if key is None else int(key[0]), limit)
    for row in page.items:
        console.print(_summary(row))
    if not page.items:
        console.print("no issuances 无")
    print_next(ISSUANCES, page)


@app.command()
def show(issuance_id: IdArg, db: DbOption = None) -> None:
    """One issuance: its rules, claim and batch."""
    with guarded():
        row = _ci(db).issuance(issuance_id)
    console.print(_summary(row))
    console.print(
        f"  methodologies 方法学: {row['methodologies']} · minimum 下限 "
        f"{render.carbon(int(row['person_min_g']))} · requested by {row['requested_by']} · "
        f"verifier {row['verifier'] or '—'} {row['reason']}"
    )


@app.command("mine")
def show_mine(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    cursor: CursorOption = None,
    limit: LimitOption = 50,
    db: DbOption = None,
) -> None:
    """My carbon-inclusive credits (我的碳普惠减排量) and the energy behind them."""
    with guarded():
        key = decode_cursor(MINE, cursor, (int,))
        page = _ci(db).mine(parse_account_ref(account), 0 if key is None else int(key[0]), limit)
    credits = page.items
    table = Table(title="我的碳普惠 My carbon-inclusive credits")
    for column in ("batch", "period", "rule set", "credited", "held", "energy lines"):
        table.add_column(column)
    for m in credits:
        table.add_row(
            f"{m.batch} (#{m.issue_seq})",
            f"{m.period_start}..{m.period_end}",
            m.rule_set,
            render.carbon(m.credited_g),
            render.carbon(m.available_g),
            f"{m.first_line[0]}:{m.first_line[1]} .. {m.last_line[0]}:{m.last_line[1]}",
        )
    console.print(table)
    print_next(MINE, page)
