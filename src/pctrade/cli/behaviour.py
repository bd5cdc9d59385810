"""``pctrade behaviour …`` and ``pctrade methodology …``: behaviour data to green energy.

    pctrade behaviour import FILE               type-check a partner's CSV / Parquet file
    pctrade behaviour quantify --date D         quantify a day and credit its energy
        [--engine spark [--spark-master spark://host:7077]]   … on Spark, here or on a cluster
    pctrade behaviour expire                    expire old energy (rule set in force; CN: 72 h)
    pctrade behaviour statement ACCOUNT         lines, balance and the innate entitlement
    pctrade behaviour spend ACCOUNT --grams N   spend energy once (the holder, or its agent)
    pctrade behaviour held --date D             a day's events held for review
    pctrade behaviour release|reject PARTNER EVENT --reason R --as REVIEWER
                                                decide a held event, once
    pctrade methodology list | show FAMILY      the published methodologies in force

Imported files and API batches are kept under the app's data folder (``--data-dir``,
``$PCTRADE_DATA_DIR``, or beside the database: ``pctrade.db`` keeps ``pctrade-data/``);
``quantify`` reads all of them unless given ``--file`` (kept there too), and the day's
credit entry records the files' digests, which ``verify`` checks (``energy.kept``).
Energy is credited and expired by the registry operator; held events are released or
rejected by it or by the regulator.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pctrade.bootstrap.settings import SparkSettings
from pctrade.cli import render
from pctrade.cli.common import (
    ActorOption,
    CursorOption,
    DataDirOption,
    DbOption,
    KeyOption,
    console,
    data_dir_of,
    fail,
    guarded,
    idempotency_key,
    open_app,
    open_store,
    print_next,
)
from pctrade.energy import daily, review
from pctrade.energy import service as energy
from pctrade.energy.behaviour.loader import load_catalogue
from pctrade.energy.behaviour.model import Methodology
from pctrade.energy.behaviour.review import Decision
from pctrade.energy.ingest import keep_imported
from pctrade.energy.pipeline import QuantifyResult, import_file, spark_engine
from pctrade.energy.pipeline.run import Engine
from pctrade.kernel.errors import PctradeError
from pctrade.kernel.limits import HELD_PAGE_MAX
from pctrade.kernel.paging import decode_cursor
from pctrade.ledger.model import parse_account_ref
from pctrade.rules import DEFAULT_JURISDICTION

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

app = typer.Typer(help="行为数据 Behaviour data → green energy 绿色能量.", no_args_is_help=True)
methodology_app = typer.Typer(help="方法学 Published methodologies.", no_args_is_help=True)


# ---- import ---------------------------------------------------------------------------
@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A partner's CSV or Parquet file.")],
    data_dir: DataDirOption = None,
    db: DbOption = None,
) -> None:
    """Type-check a file; keep its readable events for quantification; list bad rows."""
    if not file.is_file():
        raise fail("no_file", f"{file} is not a file")
    with guarded():
        folder = data_dir_of(db, data_dir)
    with tempfile.TemporaryDirectory(prefix="pctrade-import-") as work:
        try:
            imported = import_file(file, Path(work))
        except ValueError as exc:
            raise fail("bad_file", str(exc)) from None
        kept_n = 0
        if imported.source is not None:
            kept_n = keep_imported(pq.read_table(imported.source.path), file, folder)
    rejected = imported.errors
    console.print(
        f"imported 已导入: [bold]{kept_n}[/bold] events; rejected 拒绝: {rejected.num_rows}"
    )
    if rejected.num_rows:
        console.print(_rejections(rejected))


def _rejections(rejected: pa.Table) -> Table:
    table = Table("row 行", "event", "reason 原因", "detail")
    for row in rejected.select(["row_no", "event_id", "reason", "detail"]).to_pylist()[:50]:
        table.add_row(str(row["row_no"]), str(row["event_id"] or "—"), row["reason"], row["detail"])
    return table


# ---- quantify ---------------------------------------------------------------------------
@app.command()
def quantify(
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day.")],
    engine: Annotated[str, typer.Option(help="duckdb (default) or spark.")] = "duckdb",
    file: Annotated[Path | None, typer.Option(help="One events file (default: all).")] = None,
    as_of_ms: Annotated[
        int | None, typer.Option(help="The run's 'now' (default: the day's end, if past).")
    ] = None,
    jurisdiction: Annotated[
        str, typer.Option(help="Whose rule set sets the partner anomaly threshold.")
    ] = DEFAULT_JURISDICTION,
    data_dir: DataDirOption = None,
    db: DbOption = None,
    spark_master: Annotated[
        str | None,
        typer.Option(
            help="With --engine spark: spark://host:7077 (an existing standalone cluster) "
            "or local[N] ($PCTRADE_SPARK_MASTER; local[2]).",
            show_default=False,
        ),
    ] = None,
    spark_executor_memory: Annotated[
        str | None,
        typer.Option(
            help="Each executor's heap ($PCTRADE_SPARK_EXECUTOR_MEMORY; 2g).", show_default=False
        ),
    ] = None,
    spark_executor_cores: Annotated[
        int | None,
        typer.Option(
            help="Each executor's cores ($PCTRADE_SPARK_EXECUTOR_CORES; all of its worker's).",
            show_default=False,
        ),
    ] = None,
    spark_work_dir: Annotated[
        Path | None,
        typer.Option(
            help="The run's temporary files ($PCTRADE_SPARK_WORK_DIR): on a cluster, "
            "storage every worker sees at the same path, as the data folder must be.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Quantify one day's events and credit the energy (one bulk registry entry).

    A day is credited once: a rerun rejects each event already credited or held
    (``duplicate_event_processed``) and each late one (``day_already_credited``).
    Every partner's day report is kept under the data folder; the credit entry records
    the digests of the files it was quantified from and of the reports (``verify``
    checks them). A rerun of a credited day writes no report: the first stay.

    With ``--engine spark`` the day runs on Spark: in local mode, or on an existing
    standalone cluster (``--spark-master spark://host:7077`` or ``$PCTRADE_SPARK_MASTER``),
    whose workers must see the data folder and the work folder at the same paths.
    """
    if engine not in ("duckdb", "spark"):
        raise fail("bad_engine", f"unknown engine {engine!r}: use duckdb or spark")
    spark_options = {
        "master": spark_master,
        "executor_memory": spark_executor_memory,
        "executor_cores": spark_executor_cores,
        "work_dir": None if spark_work_dir is None else spark_work_dir.absolute(),
    }
    if engine != "spark" and any(v is not None for v in spark_options.values()):
        raise fail("bad_engine", "the --spark-… options need --engine spark")
    if file is not None and not file.is_file():
        raise fail("no_file", f"{file} is not a file")
    with guarded():
        spark_settings = SparkSettings.from_env().with_(**spark_options)
        the_app = open_app(db, data_dir=data_dir)
        with _spark(engine, spark_settings) as session, _progress() as progress:
            task = progress.add_task(daily.STEPS[0], total=len(daily.STEPS))
            started = iter(range(len(daily.STEPS)))

            def on_step(name: str) -> None:
                progress.update(task, description=name, completed=next(started))

            run = daily.run_day(
                the_app.registry,
                the_app.rules,
                the_app.data_dir,
                day.date(),
                now=the_app.clock(),
                as_of_ms=as_of_ms,
                engine=_engine(engine),
                jurisdiction=jurisdiction,
                file=file,
                step=on_step,
                spark=session,
                work_root=spark_settings.work_dir if session is not None else None,
            )
            progress.update(task, description="done 完成", completed=len(daily.STEPS))
    _print_quantified(run.result, run.report)


def _engine(name: str) -> Engine:
    return "spark" if name == "spark" else "duckdb"


@contextmanager
def _spark(engine: str, settings: SparkSettings) -> Iterator[SparkSession | None]:
    """The Spark session the day runs on (None for DuckDB), stopped afterwards: on a
    cluster, stopping it hands the executors' cores back to the other applications."""
    if engine != "spark":
        yield None
        return
    try:
        session = spark_engine.session_for(
            settings.master,
            executor_memory=settings.executor_memory,
            executor_cores=settings.executor_cores,
        )
    except Exception as exc:  # pyspark and py4j raise kinds of their own (no Java, …)
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise PctradeError(
            f"cannot start Spark on {settings.master}: {first_line}", code="spark_unavailable"
        ) from None
    try:
        yield session
    finally:
        session.stop()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _print_quantified(result: QuantifyResult, report: energy.PostDayReport) -> None:
    entry = f"entry {report.seq}" if report.seq is not None else "no entry"
    if report.replayed:
        entry += " (already posted 已记入)"
    console.print(
        f"{report.day}: {result.energy.num_rows} energy rows, "
        f"{report.credited_g} g credited to {report.people} people ({entry}); "
        f"rejected {result.rejected.num_rows}, held {result.held.num_rows}"
    )
    reasons = result.partner_report().group_by("reason").aggregate([("events_n", "sum")])
    for row in sorted(reasons.to_pylist(), key=lambda r: str(r["reason"])):
        console.print(f"  {row['reason']}: {row['events_n_sum']}")
    for partner in result.anomalous_partners():
        console.print(
            f"[yellow]partner anomaly 数据方异常: {partner}'s events are held for review[/yellow]"
        )
    if report.unmatched_people:
        sample = ", ".join(report.unmatched_sample[:10])
        console.print(
            f"[yellow]no account 无账户: {report.unmatched_people} people, "
            f"{report.unmatched_g} g not credited ({sample})[/yellow]"
        )


# ---- expire and statement ------------------------------------------------------------------
@app.command()
def expire(
    expiry_h: Annotated[
        int | None,
        typer.Option(help="Override: energy older than this many hours expires."),
    ] = None,
    jurisdiction: Annotated[
        str, typer.Option(help="Whose rule set sets the period (national: CN, 72 h).")
    ] = DEFAULT_JURISDICTION,
    db: DbOption = None,
) -> None:
    """Lapse uncollected energy older than the rule, in one entry (collected energy stays)."""
    with guarded():
        the_app = open_app(db)
        expiry_s = None if expiry_h is None else expiry_h * 3600
        report = energy.expire(
            the_app.registry,
            the_app.clock(),
            rules=the_app.rules,
            expiry_s=expiry_s,
            jurisdiction=jurisdiction,
        )
    rule = f"rule set 规则 {report.rule_set}, " if report.rule_set else ""
    period = f"{rule}{report.expiry_s // 3600} h"
    if report.seq is None:
        console.print(f"nothing to expire 无过期能量 (cutoff {report.cutoff}; {period})")
        return
    console.print(
        f"expired 已过期: {report.expired_g} g in {report.accounts} accounts "
        f"(entry {report.seq}; {period})"
    )


@app.command()
def statement(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    day_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")
    ] = None,
    day_to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")
    ] = None,
    db: DbOption = None,
) -> None:
    """An account's energy lines (behaviour, factor, methodology) and balance."""
    with guarded():
        the_app = open_app(db, writes=False)
        last = day_to.date() if day_to else the_app.clock().date()
        first = day_from.date() if day_from else last - timedelta(days=29)
        st = energy.statement(
            the_app.store,
            parse_account_ref(account),
            first,
            last,
            now=the_app.clock(),
            rules=the_app.rules,
        )
    table = Table(
        "day", "behaviour 行为", "methodology 方法学", "quantity", "factor µg/unit", "credited 计入"
    )
    for item in st.lines:
        line = item.line
        table.add_row(
            line.day,
            line.behaviour,
            line.methodology,
            f"{line.quantity} {line.base_unit}",
            str(line.factor_ug_per_unit),
            render.carbon(line.credited_g),
        )
    console.print(f"{st.account_number}  {st.day_from} … {st.day_to}")
    console.print(table)
    console.print(
        f"uncollected 待收取 {render.carbon(st.uncollected_g)} · collected, available 可用 "
        f"{render.carbon(st.available_g)} · spent 已用 {render.carbon(st.spent_g)} · "
        f"expired 过期 {render.carbon(st.expired_g)}"
    )
    for credit in st.pending.credits if st.pending is not None else ():
        console.print(
            f"  uncollected 待收取 {render.carbon(credit.credited_g)} of entry {credit.seq}:"
            f" lapses at 过期于 {credit.expires_at}"
        )
    console.print(
        f"[dim]innate entitlement 先天 (information only, not tradable): "
        f"{render.carbon(st.innate.entitlement_g)}, {st.innate.period}[/dim]"
    )


@app.command()
def spend(
    account: Annotated[str, typer.Argument(help="Account id or number.")],
    grams: Annotated[int, typer.Option(help="Grams of energy to spend (positive).")],
    purpose: Annotated[str, typer.Option(help="What it is spent on, e.g. redeem.")],
    reference: Annotated[str, typer.Option(help="Voucher, order or project reference.")],
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Spend collected green energy once (消耗能量): it moves to spent, for good."""
    with guarded():
        registry = open_app(db).registry
        receipt = energy.spend_receipt(
            registry,
            actor,
            idempotency_key(key),
            parse_account_ref(account),
            grams,
            purpose,
            reference,
        )
    console.print(render.receipt(receipt))


# ---- review of held events ---------------------------------------------------------------
HELD_LIST = "behaviour_held"  # the API's list name: a cursor printed here reads it too


@app.command()
def held(
    day: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="The day.")],
    partner: Annotated[str | None, typer.Option(help="One data partner only.")] = None,
    cursor: CursorOption = None,
    limit: Annotated[int, typer.Option(help=f"At most this many (≤ {HELD_PAGE_MAX}).")] = 100,
    db: DbOption = None,
) -> None:
    """A day's events held for review (待审核): reason, what each would earn, decision."""
    with guarded():
        key = decode_cursor(HELD_LIST, cursor, (str, str))
        start = ("", "") if key is None else (str(key[0]), str(key[1]))
        page = review.held(open_store(db), day.date(), partner, start, limit)
    events = page.items
    table = Table(
        "partner 数据方", "event", "person 个人", "behaviour 行为", "methodology 方法学",
        "reason 原因", "would earn 可得", "decision 决定",
    )  # fmt: skip
    for h in events:
        decided = "—"
        if h.decision is not None:
            decided = f"{h.decision.decision} ({render.carbon(h.decision.credited_g)})"
        table.add_row(
            h.partner_id,
            h.event_id,
            h.person_id,
            f"{h.quantity} {h.unit} {h.behaviour}",
            h.methodology,
            h.reason,
            f"{h.avoided_ug // 1_000_000} g",
            decided,
        )
    console.print(f"{day.date().isoformat()}: {len(events)} held 待审核")
    console.print(table)
    print_next(HELD_LIST, page)


PartnerArg = Annotated[str, typer.Argument(help="The data partner that sent the event.")]
EventArg = Annotated[str, typer.Argument(help="The partner's event id.")]
ReasonOption = Annotated[str, typer.Option(help="Why (recorded with the decision).")]


@app.command()
def release(
    partner: PartnerArg,
    event_id: EventArg,
    reason: ReasonOption,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Release a held event (放行): credit it under the day's and year's caps, once."""
    _decide(partner, event_id, Decision.RELEASE, reason, actor, db, key)


@app.command()
def reject(
    partner: PartnerArg,
    event_id: EventArg,
    reason: ReasonOption,
    actor: ActorOption,
    db: DbOption = None,
    key: KeyOption = None,
) -> None:
    """Reject a held event (驳回): it is never credited."""
    _decide(partner, event_id, Decision.REJECT, reason, actor, db, key)


def _decide(
    partner: str,
    event_id: str,
    decision: Decision,
    reason: str,
    actor: str,
    db: str | None,
    key: str | None,
) -> None:
    with guarded():
        registry = open_app(db).registry
        report = review.decide(
            registry, actor, idempotency_key(key), partner, event_id, decision, reason
        )
    again = " (already recorded 已记录)" if report.replayed else ""
    if report.decision == "rejected":
        console.print(f"rejected 已驳回: {partner}/{event_id}{again}")
        return
    entry = f"entry {report.seq}" if report.seq is not None else "no entry"
    console.print(
        f"released 已放行: {partner}/{event_id}: {render.carbon(report.credited_g)} credited "
        f"of {report.avoided_ug // 1_000_000} g avoided ({entry}){again}"
    )
    if report.cap_flag:
        console.print(f"[yellow]capped 已封顶 ({report.cap_flag}): only the room left[/yellow]")


# ---- methodologies ---------------------------------------------------------------------
@methodology_app.command("list")
def methodology_list() -> None:
    """Every methodology version in force, with its caps."""
    table = Table("family 类别", "version", "name 名称", "behaviours", "cap/day", "cap/year")
    for m in load_catalogue().methodologies:
        table.add_row(
            m.family,
            m.key,
            f"{m.name} {m.name_zh}",
            str(len(m.behaviours)),
            render.carbon(m.cap_day_g),
            render.carbon(m.cap_year_g),
        )
    console.print(table)


@methodology_app.command("show")
def methodology_show(family: Annotated[str, typer.Argument(help="e.g. metro")]) -> None:
    """A methodology's behaviours, factors and cited sources."""
    try:
        m = load_catalogue().methodology(family)
    except KeyError:
        raise fail("unknown_methodology", f"no methodology {family!r}") from None
    console.print(_methodology_table(m))
    for source in m.sources:
        flag = " [yellow](assumption)[/yellow]" if source.assumption else ""
        console.print(f"[{source.key}] {source.figure} — {source.publisher}{flag}")


def _methodology_table(m: Methodology) -> Table:
    table = Table(
        "behaviour", "base unit", "baseline µg", "project µg", "avoided µg", "source",
        title=f"{m.key} {m.name} {m.name_zh}",
    )  # fmt: skip
    for b in m.behaviours:
        table.add_row(
            b.id,
            b.base_unit,
            str(b.baseline_ug_per_unit),
            str(b.project_ug_per_unit),
            str(b.avoided_ug_per_unit),
            b.factor_source.key,
        )
    return table
