"""``pctrade compliance …``: caps, allocation runs with a preview, emissions reports (履约).

    pctrade compliance cap CN 2025 4500Mt --as REGULATOR              the period's cap
    pctrade compliance cap-show CN 2025                               cap, drawn, reserve
    pctrade compliance allocate CN 2025 free --unit 1001:gas:supply_g_per_mwh:5000[:9950,10100]
        [--unit …] [--units-file FILE.csv] [--auctioned 2Mt] [--preview] --as REGULATOR
    pctrade compliance report CN 2025 ACCOUNT --stream coal:1000000:kg:2661 [--stream …]
        [--affiliate PARTY] --as EMITTER                              an annual report
    pctrade compliance verify REPORT GRAMS --as VERIFIER              the verified figure
    pctrade compliance send-back REPORT --reason "…" --as VERIFIER
    pctrade compliance confirm REPORT --as REGULATOR                  the obligation
    pctrade compliance show REPORT --as WHO

``--units-file`` is a CSV with the columns account, unit_type, output, output_units and
factors_bps (factors separated by spaces; may be empty), one installation a line.
A thin entrypoint over ``compliance.service`` and ``compliance.queries``; a refusal
prints ``error [code]: …`` and exits 2, like every command. Figures given as text
(activity data, factors, the verified grams) are handed to the service as written, so a
fraction is refused there with ``not_integer``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    DbOption,
    KeyOption,
    console,
    guarded,
    idempotency_key,
    open_app,
    open_store,
)
from pctrade.compliance import commands as c
from pctrade.compliance import queries
from pctrade.compliance.emissions import SourceStream
from pctrade.compliance.service import Preview
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import parse_carbon_g
from pctrade.ledger.model import parse_account_ref

app = typer.Typer(
    help="履约 Compliance: caps, allocation runs, emissions reports and their verification.",
    no_args_is_help=True,
)
JurisdictionArg = Annotated[str, typer.Argument(help="e.g. CN or GD.")]
PeriodArg = Annotated[str, typer.Argument(help='e.g. 2025 or "2019-2020".')]
ReportArg = Annotated[str, typer.Argument(help="Report id, e.g. ER-CN-2025-1001.")]
UNITS_FILE_ROWS_MAX = 1_000_000


def _figure(text: str, what: str) -> int | float:
    """A whole number as written; a fraction is passed on for the service to refuse."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise ValidationError(f"{what} is not a number: {text!r}", code="not_integer") from None


def _installation(text: str) -> c.InstallationOf:
    parts = text.split(":")
    if len(parts) not in (4, 5):
        raise ValidationError(
            f"a unit is ACCOUNT:UNIT_TYPE:OUTPUT:UNITS[:F1,F2], not {text!r}", code="bad_request"
        )
    factors = parts[4].replace(",", " ").split() if len(parts) == 5 else []
    return c.InstallationOf(
        parse_account_ref(parts[0]),
        parts[1],
        parts[2],
        _figure(parts[3], "output"),  # type: ignore[arg-type]
        tuple(_figure(f, "a factor") for f in factors),  # type: ignore[misc]
    )


def _installations_file(path: Path) -> list[c.InstallationOf]:
    out: list[c.InstallationOf] = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if len(out) >= UNITS_FILE_ROWS_MAX:
                raise ValidationError(f"at most {UNITS_FILE_ROWS_MAX} units", code="too_many")
            factors = (row.get("factors_bps") or "").replace(",", " ").split()
            spec = ":".join(
                [row["account"], row["unit_type"], row["output"], row["output_units"]]
                + ([",".join(factors)] if factors else [])
            )
            out.append(_installation(spec))
    return out


def _stream(text: str) -> SourceStream:
    parts = text.rsplit(":", 3)
    if len(parts) != 4:
        raise ValidationError(
            f"a stream is NAME:ACTIVITY:UNIT:FACTOR_MG, not {text!r}", code="bad_request"
        )
    name, activity, unit, factor = parts
    return SourceStream(
        name,
        _figure(activity, "activity data"),  # type: ignore[arg-type]
        unit,
        _figure(factor, "an emission factor"),  # type: ignore[arg-type]
    )


@app.command()
def cap(
    jurisdiction: JurisdictionArg,
    period: PeriodArg,
    quantity: Annotated[str, typer.Argument(help="The cap, e.g. 4500Mt or 2t.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Set a jurisdiction's cap for a compliance period (the regulator), once."""
    with guarded():
        cmd = c.SetCap(jurisdiction, period, parse_carbon_g(quantity))
        r = open_app(db).compliance.set_cap(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    console.print(
        f"  cap 总量 {render.carbon(r.payload['cap_g'])} · rule set 规则 {r.payload['rule_set']}"
    )


@app.command("cap-show")
def cap_show(jurisdiction: JurisdictionArg, period: PeriodArg, db: DbOption = None) -> None:
    """A period's cap: free and auctioned allocation drawn from it, and the reserve."""
    with guarded():
        s = queries.cap_status(open_store(db), jurisdiction.upper(), period)
    console.print(f"{s['jurisdiction']} {s['period']} · rule set 规则 {s['rule_set']}")
    for label, name in (
        ("cap 总量", "cap_g"),
        ("free 免费分配", "free_g"),
        ("auctioned 有偿分配", "auctioned_g"),
        ("reserve 储备", "reserve_g"),
        ("owed by true-ups 待扣", "debt_g"),
    ):
        console.print(f"  {label} {render.carbon(s[name])}")
    for run in s["runs"]:
        console.print(
            f"  #{run['entry_seq']} {run['kind']} {run['denomination'] or '-'} "
            f"+{render.carbon(run['granted_g'])} −{render.carbon(run['taken_g'])} "
            f"to {run['recipients']}"
        )


def _print_preview(p: Preview) -> None:
    console.print(f"preview 预览 {p.jurisdiction} {p.period} {p.kind} · rule set 规则 {p.rule_set}")
    for line in p.lines:
        taken = f" taken back 收回 {render.carbon(line.taken_g)}" if line.taken else ""
        debt = f" owed 待扣 {render.carbon(line.debt_g)}" if line.debt_g else ""
        console.print(f"  {line.account_id} +{render.carbon(line.granted_g)}{taken}{debt}")
    console.print(
        f"  cap 总量 {render.carbon(p.cap.cap_g)} · free 免费 {render.carbon(p.cap.free_g)} · "
        f"auctioned 有偿 {render.carbon(p.cap.auctioned_g)} · "
        f"reserve 储备 {render.carbon(p.cap.reserve_g)}"
    )


@app.command()
def allocate(
    jurisdiction: JurisdictionArg,
    period: PeriodArg,
    kind: Annotated[str, typer.Argument(help="free | preallocation | true_up | auction")],
    actor: ActorOption,
    unit: Annotated[
        list[str] | None, typer.Option(help="ACCOUNT:UNIT_TYPE:OUTPUT:UNITS[:F1,F2] (repeat).")
    ] = None,
    units_file: Annotated[Path | None, typer.Option(help="A CSV of installations.")] = None,
    auctioned: Annotated[str | None, typer.Option(help="An auction's quantity, e.g. 2Mt.")] = None,
    preview: Annotated[bool, typer.Option(help="Show the run; write nothing.")] = False,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """An allocation run: previewed, or written as one registry entry."""
    with guarded():
        installations = [_installation(u) for u in unit or ()]
        if units_file is not None:
            installations.extend(_installations_file(units_file))
        grams = parse_carbon_g(auctioned) if auctioned is not None else 0
        cmd = c.RunAllocation(jurisdiction, period, kind, tuple(installations), grams)
        service = open_app(db).compliance
        if preview:
            _print_preview(service.preview(actor, cmd))
            return
        r = service.run_allocation(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    batch = r.payload.get("batch") or {}
    console.print(
        f"  {batch.get('denomination', 'no batch 未发放')} · granted 发放 "
        f"{render.carbon(r.payload['granted_g'])} · taken back 收回 "
        f"{render.carbon(r.payload['taken_g'])} · reserve 储备 "
        f"{render.carbon(r.payload['cap_g'] - r.payload['drawn_g'])} · "
        f"rule set 规则 {r.payload['rule_set']}"
    )


@app.command()
def report(
    jurisdiction: JurisdictionArg,
    period: PeriodArg,
    account: Annotated[str, typer.Argument(help="The emitter's account id or number.")],
    actor: ActorOption,
    stream: Annotated[list[str], typer.Option(help="NAME:ACTIVITY:UNIT:FACTOR_MG (repeat).")],
    affiliate: Annotated[
        list[str] | None, typer.Option(help="A party that may not verify (repeat).")
    ] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Submit an annual emissions report by source stream (the emitter)."""
    with guarded():
        cmd = c.SubmitReport(
            jurisdiction,
            period,
            parse_account_ref(account),
            tuple(_stream(s) for s in stream),
            tuple(affiliate or ()),
        )
        r = open_app(db).compliance.submit_report(actor, idempotency_key(key), cmd)
    _print_step(r.payload)
    console.print(render.receipt(r))


def _print_step(p: dict[str, object]) -> None:
    figure = p.get("figure_g")
    shown = render.carbon(figure) if isinstance(figure, int) else "-"
    console.print(
        f"report 报告 {p['report_id']} · {p['step']} · {shown} · rule set 规则 {p['rule_set']}"
    )


@app.command()
def verify(
    report_id: ReportArg,
    grams: Annotated[str, typer.Argument(help="The verified emissions, in grams.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """A verifier not affiliated with the emitter states the verified figure."""
    with guarded():
        cmd = c.VerifyReport(report_id, _figure(grams, "the verified figure"))  # type: ignore[arg-type]
        r = open_app(db).compliance.verify_report(actor, idempotency_key(key), cmd)
    _print_step(r.payload)
    console.print(render.receipt(r))


@app.command("send-back")
def send_back(
    report_id: ReportArg,
    actor: ActorOption,
    reason: Annotated[str, typer.Option(help="Why the report goes back.")],
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """A verifier sends a submitted report back to its emitter."""
    with guarded():
        cmd = c.SendBackReport(report_id, reason)
        r = open_app(db).compliance.send_back(actor, idempotency_key(key), cmd)
    _print_step(r.payload)
    console.print(render.receipt(r))


@app.command()
def confirm(
    report_id: ReportArg, actor: ActorOption, db: DbOption = None, key: KeyOption = None
) -> None:
    """The regulator confirms a report's verified figure: the emitter's obligation."""
    with guarded():
        cmd = c.ConfirmReport(report_id)
        r = open_app(db).compliance.confirm_report(actor, idempotency_key(key), cmd)
    _print_step(r.payload)
    console.print(render.receipt(r))


@app.command()
def show(report_id: ReportArg, actor: ActorOption, db: DbOption = None) -> None:
    """A report: its state, figures, streams and every step."""
    with guarded():
        r = queries.report(open_store(db), actor, report_id)
    console.print(f"report 报告 {r['report_id']} · {r['state']} · v{r['version']}")
    for label, name in (
        ("reported 报告", "reported_g"),
        ("verified 核查", "verified_g"),
        ("confirmed 确认", "confirmed_g"),
    ):
        value = r[name]
        console.print(f"  {label} {'-' if value is None else render.carbon(int(value))}")
    for s in r["streams"]:
        console.print(
            f"  stream 排放源 {s['name']} {s['activity_units']} {s['unit']} × "
            f"{s['factor_mg_per_unit']} mg"
        )
    for s in r["steps"]:
        console.print(f"  #{s['entry_seq']} {s['step']} by {s['actor']} {s['reason']}".rstrip())
