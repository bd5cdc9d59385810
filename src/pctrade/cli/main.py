"""``pctrade``: the command line of the personal carbon trading registry.

    pctrade demo [--reset]              seed a demonstrative registry and summarise it
    pctrade serve [--demo]              run the HTTP API (uvicorn)
    pctrade registry …                  every registry operation and read
    pctrade behaviour …                 import, quantify, expire, statement (green energy)
    pctrade methodology list|show       the published methodologies in force
    pctrade inclusive …                 carbon-inclusive path (碳普惠): energy issued as PCER
    pctrade identity …                  logins, onboarding, real-name facts, API keys, audit
    pctrade market …                    the order book: contracts, orders, trades, depth, close
    pctrade rules list|show|in-force    the jurisdictions' rule sets (versioned, cited)
    pctrade verify                      replay the journal and check every invariant
    pctrade export --out DIR            journal, postings and balances to CSV or Parquet
    pctrade db upgrade                  migrate the schema to the newest revision
    pctrade version                     the version, and which matching engine runs

Every command takes ``--db URL`` (or ``PCTRADE_DATABASE_URL``); the default is the
embedded SQLite file ``pctrade.db`` in the working directory. Files the registry keeps
(partners' events and reports) are in its data folder: ``pctrade --data-dir DIR …`` (or
``PCTRADE_DATA_DIR``), by default beside an SQLite database (``pctrade-data/``). Exit
codes: 0 success, 1 ``verify`` found problems, 2 the request was refused (``error
[code]: message``).
"""

from __future__ import annotations

import os
import secrets
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pctrade import demo as demo_scenario
from pctrade import demo_charging, demo_compliance, demo_second_trading_day, demo_trading
from pctrade.bootstrap import App, contexts
from pctrade.bootstrap.settings import ENV_CLOCK_OFFSET_S, ServeSettings
from pctrade.cli import behaviour as behaviour_cli
from pctrade.cli import compliance as compliance_cli
from pctrade.cli import compliance_surrender as compliance_surrender_cli
from pctrade.cli import energy as energy_cli
from pctrade.cli import identity as identity_cli
from pctrade.cli import inclusive as inclusive_cli
from pctrade.cli import market as market_cli
from pctrade.cli import pools as pools_cli
from pctrade.cli import registry as registry_cli
from pctrade.cli import render
from pctrade.cli import rules as rules_cli
from pctrade.cli import sinks as sinks_cli
from pctrade.cli.common import (
    EXIT_PROBLEMS,
    CheckedArguments,
    DataDirOption,
    DbOption,
    checked_url,
    close_opened,
    console,
    data_dir_of,
    display_url,
    fail,
    guarded,
    open_app,
    open_store,
    refresh_width,
    resolve_url,
    settings,
)
from pctrade.export import ExportFormat, batch_totals, export_registry
from pctrade.kernel.clock import SystemClock
from pctrade.ledger import queries
from pctrade.ledger.model import CASH_NAME, SYSTEM_OWNER, Role, SystemAccount
from pctrade.ledger.sql.store import SqlStore
from pctrade.market.engine import IMPLEMENTATION
from pctrade.pools import queries as pool_queries

app = typer.Typer(
    cls=CheckedArguments,
    help="pctrade — 个人碳交易 personal carbon trading: registry, credits, market.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(registry_cli.app, name="registry")
app.add_typer(behaviour_cli.app, name="behaviour")
app.add_typer(energy_cli.app, name="energy")
app.add_typer(behaviour_cli.methodology_app, name="methodology")
app.add_typer(sinks_cli.app, name="sink")
app.add_typer(inclusive_cli.app, name="inclusive")
app.add_typer(rules_cli.app, name="rules")
app.add_typer(identity_cli.app, name="identity")
app.add_typer(market_cli.app, name="market")
app.add_typer(pools_cli.app, name="pool")
# 履约: caps, allocation and MRV (``cli.compliance``); surrender, status and integrity
# (``cli.compliance_surrender``) in the same group.
compliance_surrender_cli.register(compliance_cli.app)
app.add_typer(compliance_cli.app, name="compliance")
db_app = typer.Typer(help="数据库 Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


# The web pages' CSRF key made for a run of ``serve`` (ServeSettings.web_secret).
WEB_SECRET_BYTES = 32


@app.callback()
def root(ctx: typer.Context, db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Options here apply to every subcommand (``pctrade --db URL demo``)."""
    ctx.call_on_close(close_opened)
    settings.db = db
    settings.data_dir = data_dir
    refresh_width()


# ---- demo ----------------------------------------------------------------------------
@app.command()
def demo(
    db: DbOption = None,
    reset: Annotated[bool, typer.Option("--reset", help="Start from an empty database.")] = False,
    people: Annotated[
        int, typer.Option(help="How many individuals the platform signs up.")
    ] = demo_scenario.PEOPLE_DEFAULT,
) -> None:
    """Seed a demonstrative registry (idempotent) and print a bilingual summary."""
    url = resolve_url(db)
    with guarded():
        result = _seed(url, reset, people)
    try:
        _print_summary(url, result)
    finally:
        result[0].close()  # close the pool's connections (a server would see them linger)


def _story_offset_s() -> float:
    """The clock offset that puts a served demo at the story's last moment
    (``demo_compliance.STORY_ENDS``): the seeded journal runs into 2027, and pages read on
    today's wall clock would stand before most of it. Time then runs on from there."""
    return (demo_compliance.STORY_ENDS - SystemClock()()).total_seconds()


def _seed(url: str, reset: bool, people: int) -> tuple[App, demo_scenario.DemoResult]:
    if reset:
        demo_scenario.reset(url)
        console.print(f"[yellow]已重置 Reset[/yellow] {display_url(url)}")
    the_app = checked_url(lambda: demo_scenario.build_app(url))
    columns = (
        TextColumn("{task.description:<46}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("演示数据 Seeding", total=len(demo_scenario.STEPS))

        started = iter(range(len(demo_scenario.STEPS)))

        def on_step(name: str) -> None:
            progress.update(task, description=name, completed=next(started))

        result = demo_scenario.seed(the_app, people, on_step)
        progress.update(task, description="完成 Done", completed=len(demo_scenario.STEPS))
    return the_app, result


def _print_summary(url: str, seeded: tuple[App, demo_scenario.DemoResult]) -> None:
    store, result = seeded[0].store, seeded[1]
    console.print(
        Panel.fit(
            f"pctrade 演示登记簿 Demo registry · {display_url(url)}\n"
            f"本次写入 written: {result.written} · 已存在 replayed: {result.replayed}",
            border_style="cyan",
        )
    )
    with guarded():
        console.print(_parties_table(result))
        console.print(_chain_table(result))
        console.print(_accounts_table(store, result))
        console.print(render.batches(batch_totals(store).items))
        console.print(render.certificate(queries.certificate(store, result.retirement_seq)))
        if result.pool_id:
            console.print(pools_cli.pool_line(pool_queries.public_page(store, result.pool_id)))
    if result.report is None or not result.report.ok:
        if result.report is not None:
            console.print(render.verify_failed(result.report))
        raise typer.Exit(EXIT_PROBLEMS)
    if result.trading is not None:
        for line in demo_trading.summary_lines(result.trading, result.names):
            console.print(line)
    if result.second_day is not None:
        for line in demo_second_trading_day.summary_lines(result.second_day, result.names):
            console.print(line)
    if result.compliance:
        for line in demo_compliance.summary_lines(result.compliance, result.names):
            console.print(line)
    console.print(render.verify_ok(result.report))
    _print_next_steps(url, result)


ROLE_ZH = {
    "registry_operator": "注册登记机构",
    "regulator": "主管部门",
    "platform": "碳普惠平台",
    "emitter": "重点排放单位",
    "institution": "机构",
    "project_owner": "碳汇项目业主",
    "verifier": "核查机构",
    "individual": "个人",
}
INDIVIDUALS_SHOWN = 5
INSTRUMENTS = ("CEA", "CCER", "PCER")


def _parties_table(result: demo_scenario.DemoResult) -> Table:
    table = Table(title="参与方 Parties", title_justify="left")
    table.add_column("角色 Role")
    table.add_column("名称 Name")
    table.add_column("id")
    table.add_row("注册登记机构 registry_operator", "注册登记机构 Registry (genesis)", "registry")
    for o in demo_scenario.ORGS:
        table.add_row(f"{ROLE_ZH[str(o.role)]} {o.role}", o.name, o.party_id)
    last = demo_scenario.person_id(result.people - 1)
    table.add_row("个人 individual", f"{result.people} 位个人 individuals", f"u000001…{last}")
    return table


def _chain_table(result: demo_scenario.DemoResult) -> Table:
    """低碳足迹 → 碳汇 → 碳排放额: what each link of the chain produced."""
    table = Table(
        title="低碳足迹 → 碳汇 → 碳排放额 Footprint → sink → credit", title_justify="left"
    )
    table.add_column("环节 Step")
    table.add_column("结果 Outcome", overflow="fold")
    for day in result.days:
        table.add_row(
            f"行为 Trips {day.day}",
            f"{day.events:,} 事件 events · 拒绝 rejected {day.rejected} · "
            f"待审 held {day.held} → 绿色能量 energy "
            f"{render.amount_text('GE', day.credited_g)} to {day.people:,} 人 people",
        )
    travel = result.travel
    if travel is not None:
        table.add_row(
            f"收取 Collected, {travel.days} days",
            f"{travel.travellers} 位出行者 travellers · {travel.events:,} 事件 events after the "
            f"first day → {render.amount_text('GE', travel.credited_g)}; "
            f"{travel.collections:,} 次收取 collections → 已收取 collected "
            f"{render.amount_text('GE', travel.collected_g)}, 过期 lapsed "
            f"{render.amount_text('GE', travel.lapsed_g)}",
        )
    sink = result.sink_issuance
    if sink is not None:
        table.add_row(
            f"碳汇 Sink {demo_scenario.PROJECT}",
            f"核证清除 verified removals {render.amount_text('PCER', sink.removals_g)} → "
            f"缓冲池 buffer {render.amount_text('PCER', sink.buffer_g)} + "
            f"{sink.sponsors:,} 位认养人 sponsors {render.amount_text('PCER', sink.attributed_g)}"
            f" + 未签发 unissued {render.amount_text('PCER', sink.unissued_g)} ({sink.batch})",
        )
    conv = result.conversion
    if conv is not None:
        start, end = conv.crediting
        table.add_row(
            "换算 Conversion",
            f"能量 energy spent {render.amount_text('GE', conv.energy_g)} on {conv.units:,} m² "
            f"of {conv.units_total:,}, at {render.amount_text('GE', conv.unit_price_g)}/m²\n"
            f"→ 预期清除 expected removal {render.amount_text('PCER', conv.expected_g)} over "
            f"the crediting period {start} … {end} (model {conv.model_version}, "
            f"{conv.rule_set}: 1 g of energy per g)\n"
            f"→ 本季核证 verified this quarter {render.amount_text('PCER', conv.verified_g)}: "
            f"缓冲 buffer {render.amount_text('PCER', conv.buffer_g)}, "
            f"签发 issued {render.amount_text('PCER', conv.issued_g)}\n"
            f"→ 待来 still to come {render.amount_text('PCER', conv.to_come_g)}, as later "
            f"periods are verified",
        )
    rev = result.reversal
    if rev is not None:
        table.add_row(
            "山火 Fire (reversal)",
            f"损失 loss {render.amount_text('PCER', rev.loss_g)} of the project → 信用份额 "
            f"credits' share {render.amount_text('PCER', rev.issued_loss_g)} → 缓冲注销 buffer "
            f"cancelled {render.amount_text('PCER', rev.covered_g)}, 缺口 shortfall "
            f"{render.amount_text('PCER', rev.shortfall_g)}",
        )
    table.add_row(
        "过期 Lapsed",
        f"{render.amount_text('GE', result.expired_g)} never collected within 72 h",
    )
    for label, ci in (
        ("碳普惠 Carbon-inclusive, summer", result.summer),
        ("碳普惠 Carbon-inclusive, November", result.inclusive),
    ):
        if ci is not None:
            table.add_row(
                label,
                f"{ci.people:,} 人 people ≥ 最低 minimum → "
                f"{render.amount_text('PCER', ci.issued_g)} ({ci.batch}, {ci.rule_set})",
            )
    charge = result.charging
    if charge is not None:
        who = result.names.get(charge.person, charge.person)
        table.add_row(
            f"充电 EV charge {charge.day.day}",
            f"{charge.day.events} 事件 event → 绿色能量 energy "
            f"{render.amount_text('GE', charge.day.credited_g)} to {who} ({charge.person}), "
            f"已收取 collected {render.amount_text('GE', charge.collected_g)} → at the story's "
            f"end holds {render.amount_text('GE', charge.available_g)}: enough to sponsor "
            f"{charge.units} m² at {render.amount_text('GE', charge.unit_price_g)}/m² "
            f"(the wallet's sponsor form)",
        )
    return table


def _accounts_table(store: SqlStore, result: demo_scenario.DemoResult) -> Table:
    table = Table(
        title="账户 Accounts (可用 available; 冻结 frozen in brackets)", title_justify="left"
    )
    table.add_column("账号 Account", no_wrap=True)
    table.add_column("持有人 Holder", overflow="fold")
    table.add_column("现金 Cash", justify="right", no_wrap=True)
    for instrument in INSTRUMENTS:
        table.add_column(instrument, justify="right", no_wrap=True)
    holders = [o.party_id for o in demo_scenario.ORGS if o.party_id in result.accounts]
    holders += [demo_scenario.person_id(i) for i in range(INDIVIDUALS_SHOWN)]
    for party in holders:
        view = queries.account_view(store, result.accounts[party])
        short_name = result.names[party].split(" ")[0]
        table.add_row(view.account.number, short_name, *_holding_cells(view))
    buffer = queries.account_view(store, int(SystemAccount.BUFFER))
    table.add_row(buffer.account.number, "缓冲池 Buffer", *_holding_cells(buffer))
    more = result.people - INDIVIDUALS_SHOWN
    if more > 0:
        table.add_row("…", f"另有 {more} 位个人 {more} more")
    return table


def _holding_cells(view: queries.AccountView) -> list[str]:
    """Cash, then each instrument's units summed over its batches, frozen in brackets."""
    sums: dict[tuple[str, str], int] = {}
    for h in view.holdings:
        kind = h.asset.split("-")[0]
        sums[kind, h.state] = sums.get((kind, h.state), 0) + h.amount
    cells = []
    for kind in (CASH_NAME, *INSTRUMENTS):
        available, frozen = sums.get((kind, "available"), 0), sums.get((kind, "frozen"), 0)
        text = render.amount_text(kind, available) if available else "—"
        if frozen:
            text += f"\n({render.amount_text(kind, frozen)})"
        cells.append(text)
    return cells


def _print_next_steps(url: str, result: demo_scenario.DemoResult) -> None:
    db_flag = "" if url == resolve_url(None) else f" --db {display_url(url)}"
    if result.users:
        console.print(_logins_table(result.users))
    console.print(
        "下一步 Next:\n"
        f"  pctrade serve --demo{db_flag}      # HTTP API on http://127.0.0.1:8000/docs\n"
        f"  pctrade registry journal{db_flag}  # browse the journal\n"
        f"  pctrade export --out export{db_flag}"
    )


def _logins_table(users: list[tuple[str, str]]) -> Table:
    """The demo's logins, for the API (POST /auth/token) and the web pages (/web/login)."""
    roles = {o.party_id: str(o.role) for o in demo_scenario.ORGS}
    roles[SYSTEM_OWNER] = str(Role.REGISTRY_OPERATOR)
    table = Table(title="演示登录 Demo logins (web + API)", title_justify="left")
    for column in ("username", "party", "role", "password"):
        table.add_column(column)
    for username, party in users:
        role = roles.get(party, str(Role.INDIVIDUAL))
        if party == demo_scenario.person_id(demo_scenario.SAVER):
            role += " (the saver: eligible to sell directly)"
        elif party == demo_scenario.person_id(demo_charging.DRIVER):
            role += " (holds collected energy: may sponsor a m²)"
        table.add_row(username, party, role, demo_scenario.DEMO_PASSWORD)
    return table


# ---- serve ---------------------------------------------------------------------------
def _option(help_text: str) -> Any:
    return typer.Option(help=help_text, show_default=False)


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    with_demo: Annotated[bool, typer.Option("--demo", help="Seed the demo data first.")] = False,
    workers: Annotated[
        int | None, _option("Worker processes (PCTRADE_WORKERS; 1). Each has its own books.")
    ] = None,
    clock_offset_s: Annotated[
        float | None,
        _option("Seconds added to the wall clock (PCTRADE_CLOCK_OFFSET_S; 0): rehearsals only."),
    ] = None,
    stream_poll_s: Annotated[
        float | None, _option("How often a market stream reads its seq (PCTRADE_STREAM_POLL_S).")
    ] = None,
    stream_idle_s: Annotated[
        float | None, _option("A stream ends after this long idle (PCTRADE_STREAM_IDLE_S).")
    ] = None,
    stream_events_max: Annotated[
        int | None, _option("A stream ends after this many events (PCTRADE_STREAM_EVENTS_MAX).")
    ] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs) with uvicorn, in one or more workers.

    Options not given are read from their environment variables (``bootstrap.settings``);
    the workers read all of them from there.
    """
    url = resolve_url(db)
    with guarded():
        settings = ServeSettings.from_env().with_(
            database_url=url,
            data_dir=data_dir_of(db),
            workers=workers,
            clock_offset_s=clock_offset_s,
            stream_poll_s=stream_poll_s,
            stream_idle_s=stream_idle_s,
            stream_events_max=stream_events_max,
        )
        if settings.web_secret is None:
            # One CSRF key for every worker of this run: a form one renders, another checks.
            settings = settings.with_(web_secret=secrets.token_hex(WEB_SECRET_BYTES))
        if with_demo:
            seeded, result = _seed(url, False, demo_scenario.PEOPLE_DEFAULT)
            seeded.close()
            console.print(
                f"演示数据 Demo data ready: {result.written} written, {result.replayed} replayed"
            )
            console.print(_logins_table(result.users))
            if clock_offset_s is None and not os.environ.get(ENV_CLOCK_OFFSET_S):
                settings = settings.with_(clock_offset_s=_story_offset_s())
                story_now = SystemClock(settings.clock_offset_s)()
                console.print(f"时钟 Clock: where the story ends, {story_now:%Y-%m-%d %H:%M} UTC")
        # Migrate and write the genesis entry once, here, before any worker starts.
        open_app(url).close()
    try:
        import pctrade.api.serve  # noqa: F401  (the workers import it)
    except ImportError as exc:
        raise fail("unavailable", f"the HTTP API is not installed: {exc}") from None
    import uvicorn

    console.print(
        f"serving 服务 {display_url(url)} on http://{host}:{port}  (docs: /docs), "
        f"{settings.workers} worker(s)"
    )
    console.print(f"web pages 网页 http://{host}:{port}/web/  (sign in: /web/login)")
    console.print(f"data folder 数据目录 {settings.data_dir}")
    # The workers are new interpreters: the settings reach them through the environment.
    os.environ.update(settings.to_env())
    uvicorn.run(
        "pctrade.api.serve:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        timeout_worker_healthcheck=settings.worker_healthcheck_s,
    )


# ---- verify --------------------------------------------------------------------------
@app.command()
def verify(db: DbOption = None, data_dir: DataDirOption = None) -> None:
    """Replay the journal alone; exit 1 and list the problems if anything disagrees.

    The files kept in the data folder are checked against the digests the journal
    recorded: ``behaviour_file_missing`` or ``behaviour_file_altered``.
    """
    with guarded(), open_app(db, data_dir=data_dir, writes=False) as the_app:
        report = contexts.verify(the_app.store, data_dir=the_app.data_dir)
    if not report.ok:
        console.print(render.verify_failed(report))
        raise typer.Exit(EXIT_PROBLEMS)
    console.print(render.verify_ok(report))


# ---- export --------------------------------------------------------------------------
@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory to write into.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = (
        ExportFormat.CSV
    ),
    db: DbOption = None,
) -> None:
    """Write journal, postings and balances (with batch names) from one snapshot."""
    with guarded():
        files = export_registry(open_store(db), out, fmt)
    table = Table(title="导出 Export", title_justify="left")
    table.add_column("table")
    table.add_column("rows 行数", justify="right")
    table.add_column("file")
    for f in files:
        table.add_row(f.table, f"{f.rows:,}", str(f.path))
    console.print(table)


# ---- db ------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply Alembic migrations up to the newest revision."""
    url = resolve_url(db)
    with guarded():
        open_app(url, writes=False).close()
    console.print(f"[green]✓[/green] 数据库已是最新 schema at head: {display_url(url)}")


@app.command()
def version() -> None:
    """The installed version, and which matching engine runs: compiled (mypyc) or Python."""
    console.print(f"pctrade {installed_version('pctrade')}")
    console.print(f"matching engine 撮合引擎: {IMPLEMENTATION}")
