"""Rich renderings of registry objects: receipts, accounts, journal, batches, verify.

Each function turns one read model into one Rich renderable and does no I/O of its
own, so the same pictures serve ``pctrade registry …`` and the demo summary. Headings
are bilingual where they are short (``余额 Balances``); quantities are shown in the
unit that reads well (``1.5 t``, ``¥12.30``) while the ledger keeps integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pctrade.export import BatchTotals
from pctrade.inclusive.model import InclusiveOp
from pctrade.kernel.units import G_PER_KG, G_PER_T, format_money
from pctrade.ledger.certificates import Certificate
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.model import CASH_NAME, HOLDING_STATES, AccountStatus
from pctrade.ledger.operations import OpType
from pctrade.ledger.queries import AccountView, VerifyReport
from pctrade.ledger.service import Receipt
from pctrade.ledger.status import Standing

PAYLOAD_CHARS_MAX = 80

STATE_ZH = {
    "available": "可用",
    "frozen": "冻结",
    "surrendered": "已清缴",
    "retired": "自愿注销",
    "cancelled": "注销",
    "spent": "已使用",
    "expired": "已过期",
    "source": "来源",
}


def carbon(quantity_g: int) -> str:
    """Like ``format_carbon``, with thousands grouped: ``120,000 t``, ``9.7704 t``."""
    sign = "-" if quantity_g < 0 else ""
    g = abs(quantity_g)
    for size, unit in ((G_PER_T, "t"), (G_PER_KG, "kg")):
        if g >= size:
            return f"{sign}{Decimal(g) / size:,f} {unit}"
    return f"{sign}{g} g"


def amount_text(asset: str, amount: int) -> str:
    """Cash in yuan, credits in t/kg/g."""
    return format_money(amount) if asset == CASH_NAME else carbon(amount)


def receipt(r: Receipt) -> Text:
    """One line for a write: what was recorded, or that a retry was recognised."""
    e = r.entry
    if r.replayed:
        lead = Text("↺ replayed 重放 ", style="yellow")
    else:
        lead = Text("✓ recorded 已登记 ", style="green")
    return lead + Text(
        f"seq {e.seq} · {e.header.op_type} · key {e.header.idem_key} · {e.posting_count} postings"
    )


def account(view: AccountView) -> Group:
    a = view.account
    title = f"账户 Account {a.number} (id {a.account_id})"
    head = Text.assemble(
        ("持有人 Holder: ", "bold"),
        a.owner,
        ("   类型 Type: ", "bold"),
        str(a.holder_type),
        *((("   标签 Label: ", "bold"), a.label) if a.label else ()),
    )
    balances = Table(title="余额 Balances", title_justify="left")
    balances.add_column("资产 Asset")
    balances.add_column("状态 State")
    balances.add_column("数量 Amount", justify="right")
    for h in view.holdings:
        balances.add_row(
            h.asset, f"{STATE_ZH.get(h.state, '')} {h.state}", amount_text(h.asset, h.amount)
        )
    parts: list[Any] = [Text(title, style="bold cyan"), head, _standing(view.standing), balances]
    if view.holds:
        parts.append(_holds(view.holds))
    if view.agents:
        parts.append(Text("授权代理 Agents: " + ", ".join(view.agents)))
    return Group(*parts)


STATUS_ZH = {"open": "正常", "blocked": "限制转出", "suspended": "暂停", "closed": "已销户"}


def _standing(st: Standing) -> Text:
    """The account's status, and the reason and entry of its last change if any."""
    label = st.status.label
    line = Text.assemble(
        ("状态 Status: ", "bold"),
        (f"{STATUS_ZH[label]} {label}", "green" if st.status == AccountStatus.OPEN else "red"),
    )
    if st.seq is not None:
        line.append(f" (seq {st.seq}: {st.reason})")
    return line


def _holds(holds: Sequence[JsonDict]) -> Table:
    table = Table(title="冻结 Open holds", title_justify="left")
    for col in ("hold", "资产 Asset", "原因 Reason", "参考 Reference", "剩余 Remaining"):
        table.add_column(col, justify="right" if col.startswith("剩余") else "left")
    for h in holds:
        table.add_row(
            str(h["hold_id"]),
            str(h["asset"]),
            str(h["reason"]),
            str(h["reference"]),
            amount_text(str(h["asset"]), int(h["remaining"])),
        )
    return table


def _short(payload: JsonDict, names: Mapping[int, str] | None = None) -> str:
    """A payload on one line, with asset ids named and quantities in their units."""
    fields = {k: v for k, v in payload.items() if not isinstance(v, dict)}
    if names is not None and "asset_id" in fields:
        asset = names.get(int(fields.pop("asset_id")), "?")
        fields = {"asset": asset, **fields}
        if "quantity" in fields:
            fields["quantity"] = amount_text(asset, int(fields["quantity"]))
    if "amount_fen" in fields:
        fields["amount"] = format_money(int(fields.pop("amount_fen")))
    text = ", ".join(f"{k}={v}" for k, v in fields.items())
    return text if len(text) <= PAYLOAD_CHARS_MAX else text[: PAYLOAD_CHARS_MAX - 1] + "…"


def journal(entries: Sequence[Entry], names: Mapping[int, str]) -> Table:
    """A page of entries; ``names`` maps asset ids to batch names (0 is CNY)."""
    table = Table(title="日记账 Journal", title_justify="left")
    table.add_column("seq", justify="right")
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("type 类型")
    table.add_column("actor 操作方")
    table.add_column("postings", justify="right")
    table.add_column("details 摘要")
    for e in entries:
        h = e.header
        details = _short(h.payload, names)
        if h.op_type in (OpType.ISSUE, InclusiveOp.ISSUE):
            details = f"{h.payload['batch']['denomination']} · " + details
        table.add_row(str(e.seq), h.ts[:19], h.op_type, h.actor, str(e.posting_count), details)
    return table


def entry(e: Entry, detail: JsonDict) -> Group:
    h = e.header
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    for label, value in (
        ("seq", str(e.seq)),
        ("类型 type", h.op_type),
        ("操作方 actor", h.actor),
        ("幂等键 key", h.idem_key),
        ("时间 time", h.ts),
        ("内容 payload", _short(h.payload) or "—"),
        ("前哈希 prev", e.prev_hash),
        ("哈希 hash", e.hash),
    ):
        info.add_row(label, value)
    postings = Table(title=f"分录 Postings ({detail['posting_count']})", title_justify="left")
    for col in ("account", "asset", "state", "delta"):
        postings.add_column(col, justify="right" if col == "delta" else "left")
    for p in detail["postings"]:
        postings.add_row(
            str(p["account_id"]), p["asset"], p["state"], amount_text(p["asset"], p["delta"])
        )
    return Group(Text(f"日记账条目 Journal entry {e.seq}", style="bold cyan"), info, postings)


def certificate(cert: Certificate) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    published = "public 公开" if cert.beneficiary_published else "withheld from the public 不公开"
    rows = (
        ("证书编号 Certificate", cert.certificate_id),
        ("批次 Batch", cert.batch),
        ("数量 Quantity", carbon(cert.quantity_g)),
        ("受益人 Beneficiary", f"{cert.beneficiary or '—'} ({published})"),
        ("原因 Reason", cert.reason),
        ("地区 Jurisdiction", cert.jurisdiction or "—"),
        ("消费期 Period", cert.consumption_period or "—"),
        ("注销账户 Retired by", cert.retired_by or "—"),
        ("时间 Retired at", cert.retired_at),
        ("日记账 Journal seq", str(cert.journal_seq)),
        ("条目哈希 Entry hash", cert.entry_hash),
    )
    for label, value in rows:
        grid.add_row(label, str(value))
    return Panel(
        grid, title="自愿注销证明 Retirement certificate", border_style="green", expand=False
    )


def batches(totals: Sequence[BatchTotals]) -> Table:
    table = Table(title="批次 Batches", title_justify="left")
    table.add_column("批次\nBatch", overflow="fold")
    table.add_column("签发\nIssued", justify="right", no_wrap=True)
    for state in HOLDING_STATES:
        header = f"{STATE_ZH[state.label]}\n{state.label.capitalize()}"
        table.add_column(header, justify="right", no_wrap=True)
    for bt in totals:
        cells = [carbon(bt.amount(s)) if bt.amount(s) else "—" for s in HOLDING_STATES]
        table.add_row(bt.denomination, carbon(bt.issued_g), *cells)
    return table


def verify_ok(report: VerifyReport) -> Group:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("条目 Entries", f"{report.entries:,}")
    grid.add_row("分录 Postings", f"{report.postings:,}")
    grid.add_row("余额 Balances", f"{report.balances:,}")
    grid.add_row("链头 Head", f"seq {report.head_seq} · {report.head_hash}")
    line = Text(
        f"verify: OK ({report.entries} entries, {report.postings} postings)", style="bold green"
    )
    return Group(Text("校验 Verify: 哈希链与余额均由日记账重算", style="bold cyan"), grid, line)


def verify_failed(report: VerifyReport) -> Group:
    table = Table(title="问题 Problems", title_justify="left")
    table.add_column("code")
    table.add_column("seq", justify="right")
    table.add_column("message")
    for p in report.problems:
        table.add_row(p.code, "—" if p.seq is None else str(p.seq), p.message)
    line = Text(
        f"verify: FAILED ({len(report.problems)} problems in {report.entries} entries)",
        style="bold red",
    )
    return Group(table, line)
