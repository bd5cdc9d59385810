"""``pctrade pool …``: platform pools (平台整合), indirect trading for every individual.

    pctrade pool open JURISDICTION PLATFORM_ACCOUNT --name N --admitted PCER-GD --fee-bps 500 …
    pctrade pool terms POOL --fee-bps … --as PLATFORM [--apply-to-existing]  a new version
    pctrade pool deposit POOL ACCOUNT BATCH QUANTITY --as HOLDER          frozen in a pool hold
    pctrade pool withdraw POOL ACCOUNT QUANTITY --as HOLDER               unsold units back
    pctrade pool notice POOL ACCOUNT --as HOLDER                          notice of withdrawal
    pctrade pool consent POOL ACCOUNT VERSION --as HOLDER                 move to later terms
    pctrade pool show POOL [--terms]                                      public page, terms
    pctrade pool list | deposits ACCOUNT --as HOLDER | fees --as REGULATOR

A thin entrypoint over ``pools.service`` and ``pools.queries``; a refusal prints
``error [code]: …`` and exits 2, like every command.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pctrade.cli import pool_sales, render
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
from pctrade.kernel.paging import decode_cursor
from pctrade.kernel.units import format_money, parse_carbon_g
from pctrade.ledger.model import parse_account_ref
from pctrade.pools import commands as c
from pctrade.pools import queries
from pctrade.pools.model import Terms

# The API's list names: a cursor printed here reads the same page over HTTP.
POOLS, DEPOSITS, FEES = "pools", "pool_deposits", "pool_fees"

app = typer.Typer(
    help="平台整合 Platform pools: deposit PCER, the platform sells, contributors are paid.",
    no_args_is_help=True,
)
PoolArg = Annotated[str, typer.Argument(help="Pool id, e.g. POOL-GD-0001.")]
AccountArg = Annotated[str, typer.Argument(help="Account id or number.")]
QuantityArg = Annotated[str, typer.Argument(help="Quantity, e.g. 500kg or 2t.")]
Admitted = Annotated[list[str], typer.Option(help="Admitted credits, e.g. PCER-GD (repeat).")]
FeeBps = Annotated[int, typer.Option(help="The pool's fee, in basis points of the proceeds.")]
Floor = Annotated[int | None, typer.Option(help="Lowest sale price, fen per tonne.")]
DrawOrder = Annotated[str, typer.Option(help="pro_rata (default) or fifo.")]
Schedule = Annotated[str, typer.Option(help="When the pool sells, in words.")]
Days = Annotated[int | None, typer.Option(help="Days.")]


def _terms(
    admitted: list[str],
    fee_bps: int,
    floor: int | None,
    draw_order: str,
    schedule: str,
    payout_delay_days: int | None,
    notice_days: int | None,
    lock_in_days: int | None,
) -> Terms:
    return Terms(
        admitted=tuple(admitted),
        fee_bps=fee_bps,
        floor_fen_per_t=floor,
        draw_order=draw_order,
        sale_schedule=schedule,
        payout_delay_days=payout_delay_days,
        withdrawal_notice_days=notice_days,
        lock_in_days=lock_in_days,
    )


def pool_line(page: dict[str, Any]) -> str:
    """One line of a pool's public page (the demo's summary prints it)."""
    floor = page["floor_fen_per_t"]
    floor_text = "—" if floor is None else f"{format_money(floor)}/t"
    return (
        f"平台池 Pool {page['pool_id']} ({page['platform']}, {page['rule_set']}): "
        f"{page['contributors']} contributors 贡献者, {render.carbon(page['deposited_g'])} "
        f"deposited 存入, {render.carbon(page['unsold_g'])} unsold 未售; fee 费率 "
        f"{page['fee_bps']} bps, floor 底价 {floor_text}"
    )


@app.command("open")
def open_(
    jurisdiction: Annotated[str, typer.Argument(help="e.g. GD.")],
    platform_account: Annotated[str, typer.Argument(help="The platform's account (paid the fee).")],
    actor: ActorOption,
    name: Annotated[str, typer.Option(help="The pool's name.")],
    admitted: Admitted,
    fee_bps: FeeBps,
    floor_fen_per_t: Floor = None,
    draw_order: DrawOrder = "pro_rata",
    schedule: Schedule = "",
    payout_delay_days: Days = None,
    notice_days: Days = None,
    lock_in_days: Days = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Open a pool (platform) under terms checked against the jurisdiction's rules."""
    with guarded():
        terms = _terms(
            admitted,
            fee_bps,
            floor_fen_per_t,
            draw_order,
            schedule,
            payout_delay_days,
            notice_days,
            lock_in_days,
        )
        cmd = c.OpenPool(parse_account_ref(platform_account), jurisdiction, name, terms)
        r = open_app(db).pools.open(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    console.print(f"  pool 池 {r.payload['pool_id']} · rule set 规则 {r.payload['rule_set']}")


@app.command("terms")
def terms_(
    pool_id: PoolArg,
    actor: ActorOption,
    admitted: Admitted,
    fee_bps: FeeBps,
    floor_fen_per_t: Floor = None,
    draw_order: DrawOrder = "pro_rata",
    schedule: Schedule = "",
    payout_delay_days: Days = None,
    notice_days: Days = None,
    lock_in_days: Days = None,
    apply_to_existing: Annotated[
        bool, typer.Option(help="Ask to move existing deposits too (needs consent).")
    ] = False,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Publish a new version of a pool's terms (its platform): new deposits only."""
    with guarded():
        terms = _terms(
            admitted,
            fee_bps,
            floor_fen_per_t,
            draw_order,
            schedule,
            payout_delay_days,
            notice_days,
            lock_in_days,
        )
        cmd = c.PublishTerms(pool_id, terms, apply_to_existing)
        r = open_app(db).pools.publish_terms(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    console.print(f"  terms version 条款版本 {r.payload['version']}")


@app.command()
def deposit(
    pool_id: PoolArg,
    account: AccountArg,
    batch: Annotated[str, typer.Argument(help="A PCER batch, e.g. PCER-GD-CI-2026Q3-001.")],
    quantity: QuantityArg,
    actor: ActorOption,
    terms_version: Annotated[int | None, typer.Option(help="The version you accept.")] = None,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Deposit PCER into a pool: it stays yours, frozen in one pool hold."""
    with guarded():
        cmd = c.DepositToPool(
            pool_id, parse_account_ref(account), batch, parse_carbon_g(quantity), terms_version
        )
        r = open_app(db).pools.deposit(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    console.print(f"  deposit 存入 {r.seq} under terms version {r.payload['terms_version']}")


@app.command()
def withdraw(
    pool_id: PoolArg,
    account: AccountArg,
    quantity: QuantityArg,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Withdraw unsold units, per the terms each deposit accepted."""
    with guarded():
        cmd = c.WithdrawFromPool(pool_id, parse_account_ref(account), parse_carbon_g(quantity))
        r = open_app(db).pools.withdraw(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))


@app.command()
def notice(
    pool_id: PoolArg,
    account: AccountArg,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Give notice of withdrawal, when the terms require one."""
    with guarded():
        logged = open_app(db).pools.give_notice(
            actor, idempotency_key(key), pool_id, parse_account_ref(account)
        )
    console.print(f"notice 通知 given at {logged.result['given_at']}")


@app.command()
def consent(
    pool_id: PoolArg,
    account: AccountArg,
    version: Annotated[int, typer.Argument(help="The terms version you accept.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Move your deposits in a pool to a later version of its terms."""
    with guarded():
        cmd = c.ConsentToTerms(pool_id, parse_account_ref(account), version)
        r = open_app(db).pools.consent(actor, idempotency_key(key), cmd)
    console.print(render.receipt(r))
    console.print(f"  deposits moved 已转 {len(r.payload['deposits'])}")


@app.command()
def show(
    pool_id: PoolArg,
    terms: Annotated[bool, typer.Option("--terms", help="Every version of the terms.")] = False,
    db: DbOption = None,
) -> None:
    """A pool's public page (aggregates, no personal data), or its terms' versions."""
    with guarded():
        store = open_store(db)
        page = queries.public_page(store, pool_id)
        versions = queries.terms_versions(store, pool_id) if terms else []
    console.print(
        f"{page['pool_id']} {page['name']} · platform 平台 {page['platform']} · "
        f"{page['jurisdiction']} ({page['rule_set']}) · {page['state']} · terms v"
        f"{page['terms_version']}"
    )
    console.print(
        f"  fee 费率 {page['fee_bps']} bps · floor 底价 {page['floor_fen_per_t']} fen/t · "
        f"contributors 贡献者 {page['contributors']}"
    )
    console.print(
        f"  deposited 存入 {render.carbon(page['deposited_g'])} · unsold 未售 "
        f"{render.carbon(page['unsold_g'])} · sold 已售 {render.carbon(page['sold_g'])} · "
        f"withdrawn 已取回 {render.carbon(page['withdrawn_g'])}"
    )
    for v in versions:
        console.print(
            f"  v{v['version']} (entry #{v['entry_seq']}, {v['rule_set']}, sha256 "
            f"{v['digest'][:12]}): {v['terms']}"
        )


@app.command("list")
def list_(cursor: CursorOption = None, limit: LimitOption = 50, db: DbOption = None) -> None:
    """Pools, by id, a page at a time."""
    with guarded():
        found = decode_cursor(POOLS, cursor, (str,))
        start = "" if found is None else str(found[0])
        page = queries.list_pools(open_store(db), start, limit)
    for p in page.items:
        console.print(
            f"{p['pool_id']} {p['name']} · {p['platform_party']} · {p['jurisdiction']} · "
            f"{p['state']} · terms v{p['terms_version']}"
        )
    print_next(POOLS, page)


@app.command()
def deposits(
    account: AccountArg,
    actor: ActorOption,
    cursor: CursorOption = None,
    limit: LimitOption = 50,
    db: DbOption = None,
) -> None:
    """An account's deposits in every pool (its holder, an agent or an authority)."""
    with guarded():
        found = decode_cursor(DEPOSITS, cursor, (int,))
        start = 0 if found is None else int(found[0])
        page = queries.my_deposits(open_store(db), actor, parse_account_ref(account), start, limit)
    for d in page.items:
        console.print(
            f"deposit {d['deposit_id']} in {d['pool_id']}: {render.carbon(d['quantity_g'])} · "
            f"left 剩余 {render.carbon(d['remaining_g'])} · terms v{d['terms_version']}"
        )
    print_next(DEPOSITS, page)


@app.command()
def fees(
    actor: ActorOption, cursor: CursorOption = None, limit: LimitOption = 50, db: DbOption = None
) -> None:
    """Fee levels and payout delays across platforms' pools (regulator)."""
    with guarded():
        found = decode_cursor(FEES, cursor, (str,))
        start = "" if found is None else str(found[0])
        page = queries.fee_levels(open_store(db), actor, start, limit)
    for f in page.items:
        console.print(
            f"{f['pool_id']} · {f['platform']} · {f['jurisdiction']} ({f['rule_set']}) · fee "
            f"{f['fee_bps']} bps · payout within {f['payout_delay_days']} days"
        )
    print_next(FEES, page)


# The sales' commands (sales, statement, sales-page, sale-fees) live in their own module.
pool_sales.register(app)
