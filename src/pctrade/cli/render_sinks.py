"""Rich renderings of sink results: the PCER issuance certificate."""

from __future__ import annotations

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from pctrade.cli.render import carbon
from pctrade.sinks.certificates import (
    REMAINDER_RULE_ZH,
    IssuanceCertificate,
    SponsorCredit,
)


def _grid(rows: list[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def issuance_certificate(c: IssuanceCertificate, credit: SponsorCredit | None) -> Panel:
    rows = [
        ("证书编号 Certificate", credit.certificate_id if credit else c.certificate_id),
        ("批次 Batch", c.batch),
        ("项目 Project", f"{c.project_code} {c.project_name} ({c.project_type})"),
        ("监测期 Period", f"{c.period_start} – {c.period_end}"),
        ("核查 Verifier", f"{c.verifier} ({c.verified_at})"),
        ("核证清除量 Verified", carbon(c.verified_removals_g)),
        ("本批签发 Issued", carbon(c.issued_g)),
        ("缓冲库 Buffer", f"{carbon(c.buffer_g)} ({c.buffer_bps / 100:g} %)"),
        ("认养单位 Unit", c.unit_definition),
        (
            "认养人 Sponsors",
            f"{c.sponsors:,} sponsors, {c.total_shares:,} of {c.project_units:,} units",
        ),
        ("份额 Share rule", c.share_rule),
        ("分得 Attributed", f"{carbon(c.attributed_g)} ({c.leftover_g:,} g by remainder)"),
        ("未签发 Unissued", carbon(c.unissued_g)),
        ("模型 Model", c.model_version),
        ("签发 Issued by/at", f"{c.issued_by} {c.issued_at}"),
        ("日记账 Journal seq", str(c.journal_seq)),
        ("条目哈希 Entry hash", c.entry_hash),
    ]
    parts = [_grid(rows)]
    if credit is not None:
        exact = (
            f"{c.attributed_g:,} × {credit.shares:,} ÷ {credit.total_shares:,} = "
            f"{credit.floor_g:,} g + {credit.remainder:,}/{credit.total_shares:,}"
        )
        mine = [
            ("账户 Account", str(credit.account_id)),
            (
                "份额 My shares",
                f"{credit.shares:,} / {credit.total_shares:,} sponsored "
                f"(of {c.project_units:,} units in the project)",
            ),
            ("精确 Exact share", exact),
            ("补 1 克 Leftover gram", "yes 是" if credit.rounded_up else "no 否"),
            ("签发给我 Credited", carbon(credit.credited_g)),
            ("现持有 Held now", carbon(credit.available_g)),
        ]
        parts.append(_grid(mine))
    parts.append(_grid([("规则 Rule", f"{REMAINDER_RULE_ZH}\n{c.remainder_rule}")]))
    return Panel(
        Group(*parts),
        title="个人核证减排量签发证明 PCER issuance certificate",
        border_style="green",
        expand=False,
    )
