"""``pctrade sink …``: forest-sink projects, sponsorship, reports, issuance, reversal.

A thin entrypoint over ``services.sinks``: it parses text (dates, ``1.5t``-style
quantities, ``id:area_m2:years_not_forest[:wetland]`` parcels) into calls and prints
what the service returns. Every rule lives in the service and the pure ``sinks``
package; a refusal prints ``error [code]: message`` and exits 2, like every command.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from pctrade.cli import render, render_sinks
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
    open_store,
    print_next,
)
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.paging import decode_cursor
from pctrade.kernel.units import parse_carbon_g
from pctrade.ledger.model import parse_account_ref
from pctrade.sinks.certificates import issuance_certificate, sponsor_certificate
from pctrade.sinks.monitoring import Period
from pctrade.sinks.project import Parcel, ProjectSpec, ProjectType, SponsorUnit, UnitKind
from pctrade.sinks.queries import mine, unit_offer
from pctrade.sinks.service import Sinks

MINE = "me_sinks"  # the API's list name: a cursor printed here reads it over HTTP too

app = typer.Typer(
    help="碳汇 Forest sinks: register, approve, sponsor, report, verify, issue, reverse,"
    " certificate.",
    no_args_is_help=True,
)

CodeArg = Annotated[str, typer.Argument(help="Project code, e.g. AFF0007.")]
DateOpt = Annotated[str, typer.Option(help="A date, YYYY-MM-DD.")]


def _sinks(db: str | None) -> Sinks:
    return open_app(db).sinks


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"not a date: {text!r}", code="bad_date") from exc


def parse_parcel(text: str) -> Parcel:
    """``MZ-01:600000:12`` or ``MZ-01:600000:12:wetland``."""
    parts = text.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "wetland"):
        raise ValidationError(
            f"parcel {text!r}: use id:area_m2:years_not_forest[:wetland]", code="bad_parcel"
        )
    if not (parts[1].isdigit() and parts[2].isdigit()):
        raise ValidationError(
            f"parcel {text!r}: area and years are whole numbers", code="bad_parcel"
        )
    return Parcel(parts[0], int(parts[1]), int(parts[2]), wetland=len(parts) == 4)


@app.command()
def register(
    code: CodeArg,
    actor: ActorOption,
    name: Annotated[str, typer.Option(help="Project name.")],
    project_type: Annotated[ProjectType, typer.Option("--type", help="Project type.")],
    forest_type: Annotated[str, typer.Option(help="Removal model, e.g. chinese_fir.")],
    parcel: Annotated[list[str], typer.Option(help="id:area_m2:years_not_forest[:wetland]")],
    start: DateOpt,
    end: DateOpt,
    unit_energy: Annotated[str, typer.Option(help="Green energy per sponsor unit, e.g. 17.9kg.")],
    units: Annotated[int, typer.Option(help="Sponsor units on offer.")],
    jurisdiction: Annotated[str, typer.Option(help="e.g. GD.")] = "GD",
    affiliate: Annotated[
        list[str] | None, typer.Option(help="Party barred from verifying.")
    ] = None,
    stand_age: Annotated[int, typer.Option(help="Stand age at the start, years.")] = 0,
    unit_kind: Annotated[
        UnitKind | None, typer.Option(help="What one unit is: tree, or area (m² of parcels).")
    ] = None,
    units_total: Annotated[
        int | None, typer.Option(help="Units in the whole project (default: units offered).")
    ] = None,
    m2_per_unit: Annotated[int, typer.Option(help="m² per unit, for area units.")] = 0,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Register a sink project (项目登记); it waits for the regulator's approval.

    A sponsor unit is a defined part of the project: a tree (--unit-kind tree, with
    --units-total trees in the project) or so many m² of its parcels (--unit-kind area
    --m2-per-unit N). --unit-energy must be the published price: the removal the
    removal model expects of one unit from --start to --end (the crediting period) ×
    the rule set's [sinks] energy_per_removal_bps; a project priced off it is refused
    with the rule cited. `pctrade sink offer CODE` shows a project's unit, expected
    removal, crediting period and price before anyone spends.
    """
    with guarded():
        spec = ProjectSpec(
            code,
            name,
            project_type,
            jurisdiction,
            forest_type,
            tuple(parse_parcel(p) for p in parcel),
            _date(start),
            _date(end),
            parse_carbon_g(unit_energy),
            units,
            tuple(affiliate or ()),
        )
        if unit_kind is not None:
            unit = SponsorUnit(unit_kind, units_total or units, spec.area_m2, m2_per_unit)
            spec = dataclasses.replace(spec, unit=unit)
        row = _sinks(db).register(actor, idempotency_key(key), spec, stand_age)
    console.print(f"project {row['code']} registered: {row['area_m2']} m², {row['status']}")


@app.command()
def approve(code: CodeArg, actor: ActorOption, db: DbOption = None, key: KeyOption = None) -> None:
    """Approve a project (regulator); sponsorship opens."""
    with guarded():
        row = _sinks(db).approve(actor, idempotency_key(key), code)
    console.print(f"project {row['code']} {row['status']}")


@app.command()
def close(code: CodeArg, actor: ActorOption, db: DbOption = None, key: KeyOption = None) -> None:
    """Close sponsorship of a project (owner or regulator)."""
    with guarded():
        row = _sinks(db).close(actor, idempotency_key(key), code)
    console.print(f"project {row['code']} {row['status']}")


@app.command()
def offer(code: CodeArg, db: DbOption = None) -> None:
    """Before spending: what a unit is, what it is expected to remove, its price, and
    when its credits come."""
    with guarded():
        o = unit_offer(open_app(db).registry, code)
    expected = (
        "unpublished" if o.expected_removal_g is None else render.carbon(o.expected_removal_g)
    )
    ratio = "" if o.energy_per_removal_bps is None else f" at {o.energy_per_removal_bps} bps"
    console.print(
        f"{o.code} ({o.status}): one unit is {o.unit_definition}; {o.units_left:,} of "
        f"{o.units_total:,} left\n"
        f"  price {render.carbon(o.price_g)} of green energy = expected removal {expected} "
        f"over {o.crediting_start} – {o.crediting_end}{ratio} ({o.rule_set}, model "
        f"{o.model_version})\n  credits: {o.credits}"
    )


@app.command()
def sponsor(
    code: CodeArg,
    actor: ActorOption,
    account: Annotated[str, typer.Argument(help="Account paying the energy.")],
    units: Annotated[int, typer.Option(help="Units to sponsor.")] = 1,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Spend green energy on sponsor units (认养), exactly once."""
    with guarded():
        s = _sinks(db).sponsor(actor, idempotency_key(key), parse_account_ref(account), code, units)
    replay = " (replayed)" if s.replayed else ""
    console.print(
        f"entry #{s.spend_seq}: {s.units} units of {s.project_code} for "
        f"{render.carbon(s.energy_g)} green energy{replay}"
    )


@app.command()
def report(
    code: CodeArg,
    actor: ActorOption,
    start: DateOpt,
    end: DateOpt,
    removals: Annotated[str, typer.Option(help="Measured removals, e.g. 400t.")],
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """File a monitoring report for a period (owner)."""
    with guarded():
        period = Period(_date(start), _date(end))
        removals_g = parse_carbon_g(removals)
        row = _sinks(db).file_report(actor, idempotency_key(key), code, period, removals_g)
    console.print(
        f"report {row['report_id']} filed: {render.carbon(int(row['removals_g']))} "
        f"(model expects {render.carbon(int(row['expected_g']))}), {row['status']}"
    )


@app.command()
def verify(
    report_id: Annotated[int, typer.Argument(help="Report number.")],
    actor: ActorOption,
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead.")] = False,
    reason: Annotated[str, typer.Option(help="Reasons (required to reject).")] = "",
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Verify or reject a monitoring report (verifier)."""
    with guarded():
        row = _sinks(db).verify(actor, idempotency_key(key), report_id, not reject, reason)
    console.print(f"report {row['report_id']} {row['status']} by {row['verifier']}")


@app.command()
def issue(
    report_id: Annotated[int, typer.Argument(help="Verified report number.")],
    actor: ActorOption,
    quantity: Annotated[str | None, typer.Option(help="Part of the report, e.g. 100t.")] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Issue a PCER batch to every sponsor and the buffer (regulator), in one entry."""
    with guarded():
        grams = None if quantity is None else parse_carbon_g(quantity)
        i = _sinks(db).issue(actor, idempotency_key(key), report_id, grams)
    replay = " (replayed)" if i.replayed else ""
    console.print(
        f"entry #{i.issue_seq}: batch {i.batch}{replay}\n"
        f"  removals {render.carbon(i.removals_g)} = buffer {render.carbon(i.buffer_g)} "
        f"+ {i.sponsors} sponsors {render.carbon(i.attributed_g)} "
        f"({i.leftover_g} g by largest remainder) + unissued {render.carbon(i.unissued_g)} "
        "(units nobody sponsored)"
    )


@app.command()
def reverse(
    code: CodeArg,
    actor: ActorOption,
    loss: Annotated[str, typer.Option(help="Lost removals, e.g. 20t.")],
    cause: Annotated[str, typer.Option(help="Fire, pests, illegal logging …")],
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Record a project's loss: its credits' share is covered from the buffer first."""
    with guarded():
        r = _sinks(db).reverse(actor, idempotency_key(key), code, parse_carbon_g(loss), cause)
    console.print(
        f"reversal {r.reversal_id}: loss {render.carbon(r.loss_g)}, of which credits stand "
        f"for {render.carbon(r.issued_loss_g)}: buffer cancelled "
        f"{render.carbon(r.covered_g)}, shortfall {render.carbon(r.shortfall_g)}"
    )


@app.command("mine")
def show_mine(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    cursor: CursorOption = None,
    limit: LimitOption = 50,
    db: DbOption = None,
) -> None:
    """My trees, my credits (我的树 我的碳汇): projects sponsored and credits received."""
    with guarded():
        key = decode_cursor(MINE, cursor, (str,))
        after = "" if key is None else str(key[0])
        page = mine(open_app(db).registry, parse_account_ref(account), after, limit)
    projects = page.items
    table = Table(title="我的碳汇 My sinks")
    for column in ("project", "type", "units", "energy", "verified", "batch", "credited", "held"):
        table.add_column(column)
    for p in projects:
        head = [p.code, f"{p.project_type}/{p.forest_type}", f"{p.units}/{p.units_sold}"]
        money = [render.carbon(p.energy_g), render.carbon(p.verified_g)]
        if not p.credits:
            table.add_row(*head, *money, "—", "—", "—")
        for credit in p.credits:
            table.add_row(
                *head,
                *money,
                f"{credit.batch} (#{credit.issue_seq})",
                render.carbon(credit.credited_g),
                render.carbon(credit.available_g),
            )
    console.print(table)
    print_next(MINE, page)


@app.command("certificate")
def show_certificate(
    seq: Annotated[int, typer.Argument(help="Seq of the issue entry (see `sink issue`).")],
    account: Annotated[
        str | None, typer.Option(help="A sponsor's account: add its own credits.")
    ] = None,
    db: DbOption = None,
) -> None:
    """A PCER batch's issuance certificate (签发证明); with --account, a sponsor's share."""
    with guarded():
        store = open_store(db)
        if account is None:
            cert, credit = issuance_certificate(store, seq), None
        else:
            cert, credit = sponsor_certificate(store, seq, parse_account_ref(account))
    console.print(render_sinks.issuance_certificate(cert, credit))
