"""``pctrade compliance surrender|status|integrity``: 清缴 and what it reports.

    pctrade compliance surrender ACCOUNT JURISDICTION PERIOD BATCH=QTY [BATCH=QTY …] --as EMITTER
    pctrade compliance status JURISDICTION PERIOD ACCOUNT --as EMITTER [--price-fen-per-t P]
    pctrade compliance status JURISDICTION PERIOD --as REGULATOR [--json]   the period's report
    pctrade compliance integrity --as REGULATOR [--json]

(``pctrade compliance report`` is MRV's: an emitter's emissions report.)

A thin entrypoint over ``compliance.surrender_service`` and ``compliance.reports``; a
refusal prints ``error [code]: …`` and exits 2, like every command. The commands are
added to the ``pctrade compliance`` group (``register``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

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
)
from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import parse_carbon_g
from pctrade.ledger.model import parse_account_ref

AccountArg = Annotated[str, typer.Argument(help="The emitter's account id or number.")]
JurisdictionArg = Annotated[str, typer.Argument(help="e.g. GD, CN.")]
PeriodArg = Annotated[str, typer.Argument(help="e.g. 2025 or 2019-2020.")]
Price = Annotated[
    int | None,
    typer.Option(
        help="Price valuing a shortfall, fen per tonne (market-value fines); overrides the "
        "average of the registry's allowance trades in the rule's window."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the whole report as JSON.")]


def _units(specs: list[str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    batches, grams = [], []
    for spec in specs:
        batch, sep, quantity = spec.partition("=")
        if not sep or not batch or not quantity:
            raise ValidationError(f"{spec!r} is not BATCH=QUANTITY", code="bad_request")
        batches.append(batch)
        grams.append(parse_carbon_g(quantity))
    return tuple(batches), tuple(grams)


def surrender(
    account: AccountArg,
    jurisdiction: JurisdictionArg,
    period: PeriodArg,
    units: Annotated[
        list[str], typer.Argument(help="BATCH=QUANTITY, e.g. CEA-GD-ALLOC-2025-001=720t.")
    ],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Surrender allowances and offsets for a period, in one entry (the emitter)."""
    with guarded():
        batches, grams = _units(units)
        cmd = SurrenderUnits(parse_account_ref(account), jurisdiction, period, batches, grams)
        r = open_app(db).surrenders.surrender(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    after = r.payload["after"]
    console.print(
        f"  counted 已清缴 {render.carbon(after['allowances_g'] + after['offsets_g'])} "
        f"(offsets 抵销 {render.carbon(after['offsets_g'])}, cap 上限 "
        f"{render.carbon(r.payload['offset_cap_g'])}) · rule set 规则 {r.payload['rule_set']}"
    )


def status(
    jurisdiction: JurisdictionArg,
    period: PeriodArg,
    actor: ActorOption,
    account: Annotated[
        str | None, typer.Argument(help="An emitter's account; without it, every emitter.")
    ] = None,
    price_fen_per_t: Price = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """An emitter's status (A, B or C, shortfall, penalty), or every emitter's."""
    if account is None:
        _period_report(jurisdiction, period, actor, price_fen_per_t, as_json, db)
        return
    with guarded():
        reports = open_app(db, writes=False).compliance_reports
        account_id = parse_account_ref(account)
        reports.require_reader(actor, account_id)
        s = reports.status(account_id, jurisdiction, period, price_fen_per_t).as_json()
    if as_json:
        console.print_json(json.dumps(s))
    else:
        _print_status(s)


def _print_status(s: dict[str, Any]) -> None:
    owed = "not verified 未核证" if s["owed_g"] is None else render.carbon(s["owed_g"])
    if s["debt_g"]:
        owed += f" (incl. true-up debt 核定差额 {render.carbon(s['debt_g'])})"
    final = "final 已过期限" if s["final"] else f"provisional 截止 {s['deadline']}"
    console.print(
        f"account {s['account_id']} · {s['jurisdiction']} {s['period']}: status {s['status']} "
        f"({final}) · owed 应清缴 {owed} · surrendered 已清缴 {render.carbon(s['surrendered_g'])} "
        f"· shortfall 缺口 {render.carbon(s['shortfall_g'])}"
    )
    if s["penalty"] is not None:
        console.print(f"  penalty 处罚 {_penalty_text(s['penalty'])}")
        if s["penalty"]["price"] is not None:
            console.print(f"  valued at 计价 {_price_text(s['penalty']['price'])}")


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _penalty_text(p: dict[str, Any]) -> str:
    low, high = p["fine_min_fen"], p["fine_max_fen"]
    if low is not None:
        fine = _yuan(low) if high in (None, low) else f"{_yuan(low)} – {_yuan(high)}"
    elif high is not None:
        fine = f"up to 至多 {_yuan(high)}"
    else:
        fine = "fine not known 罚款尚不可知"
    deduction = f" · deducted 核减 {render.carbon(p['deduction_g'])}" if p["deduction_g"] else ""
    return f"{fine}{deduction} · rule set 规则 {p['rule_set']}"


def _price_text(price: dict[str, Any]) -> str:
    """Where the price valuing a shortfall came from (``compliance.status.PriceBasis``)."""
    window = f"{price['first_day']} – {price['last_day']}"
    basis = price["basis"]
    if basis == "market":
        count = price["trades"]
        return (
            f"{_yuan(price['price_fen_per_t'])}/t, the average of {count} allowance "
            f"trade{'' if count == 1 else 's'} ({render.carbon(price['quantity_g'])}) {window} "
            f"配额成交均价"
        )
    if basis == "given":
        return f"{_yuan(price['price_fen_per_t'])}/t, the price given 给定价格"
    if basis == "no_trades":
        return f"no allowance trade {window}: market-value fine not known 无成交，罚款尚不可知"
    return "the rules name no price window: give --price-fen-per-t 规则未定计价期间"


def _period_report(
    jurisdiction: str,
    period: str,
    actor: str,
    price_fen_per_t: int | None,
    as_json: bool,
    db: str | None,
) -> None:
    """The regulator's compliance report of a period."""
    with guarded():
        reports = open_app(db, writes=False).compliance_reports
        reports.require_reader(actor)
        r = reports.compliance_report(jurisdiction, period, price_fen_per_t)
    if as_json:
        console.print_json(json.dumps(r))
        return
    counts = " ".join(f"{k}={v}" for k, v in r["by_status"].items())
    console.print(
        f"{jurisdiction} {period}: {r['emitters']} emitters · {counts} · surrendered 已清缴 "
        f"{render.carbon(r['surrendered_g'])} (offsets 抵销 {render.carbon(r['offsets_g'])}) "
        f"· shortfall 缺口 {render.carbon(r['shortfall_g'])}"
    )
    for row in r["rows"]:
        _print_status(row)


def integrity(actor: ActorOption, as_json: JsonOption = False, db: DbOption = None) -> None:
    """The cap-integrity report from the journal alone; exits 1 if an identity fails."""
    with guarded():
        reports = open_app(db, writes=False).compliance_reports
        reports.require_reader(actor)
        r = reports.integrity().as_json()
    if as_json:
        console.print_json(json.dumps(r))
    else:
        for j, figures in r["jurisdictions"].items():
            a = figures["allowances"]
            console.print(
                f"{j}: surrendered + banked = {render.carbon(a['surrendered_plus_banked_g'])}; "
                "allocated + offsets − cancelled = "
                f"{render.carbon(a['allocated_plus_offsets_minus_cancelled_g'])} · "
                + ("reconciles 平衡" if a["reconciles"] else "DOES NOT RECONCILE 不平衡")
            )
            for period, f in figures["periods"].items():
                if f["cap"] is not None:
                    console.print(
                        f"  {period}: cap 总量 {render.carbon(f['cap']['grams'])} = free "
                        f"{render.carbon(f['free_allocation']['grams'])} + auctioned "
                        f"{render.carbon(f['auctioned']['grams'])} + reserve "
                        f"{render.carbon(f['reserve_g'])}"
                    )
        for p in r["problems"]:
            console.print(f"  problem {p['code']} (seq {p['seq']}): {p['message']}")
        console.print(f"integrity: {'OK' if not r['problems'] else 'FAILED'}")
    if r["problems"]:
        raise typer.Exit(1)


def register(group: typer.Typer) -> None:
    """Add the surrender side's commands to ``pctrade compliance``."""
    group.command()(surrender)
    group.command()(status)
    group.command()(integrity)
