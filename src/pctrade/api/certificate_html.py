"""Certificates as small bilingual (中文 / English) HTML pages: retirement, and PCER issuance.

Everything shown comes from the certificate, which is derived from the journal entry;
every value is escaped. The quantity is shown in tonnes (exactly, from integer grams)
next to the grams themselves.
"""

from __future__ import annotations

from html import escape

from pctrade.api.schemas import CertificatePublic
from pctrade.api.sink_schemas import IssuanceCertificatePublic, SponsorCreditPublic
from pctrade.kernel.units import format_carbon
from pctrade.sinks.certificates import REMAINDER_RULE_ZH

# Personal data the certificate does not publish (see ``ledger.certificates``).
WITHHELD = "不公开 withheld"

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans SC", sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 2rem; border: 3px double #2f6b3b; color: #1d2b20; }}
h1 {{ color: #2f6b3b; margin-bottom: 0; }} h2 {{ margin-top: 0; font-weight: normal; }}
th {{ text-align: left; padding: .3rem 1rem .3rem 0; vertical-align: top; }}
.hash {{ font-family: monospace; font-size: .8rem; word-break: break-all; }}
h3 {{ color: #2f6b3b; margin: 1.5rem 0 .3rem; }}
</style></head>
<body>
<h1>{heading_zh}</h1>
<h2>{heading_en}</h2>
<table>
{rows}
</table>
<p>本证明由注册登记系统的日志生成；凭日志序号与哈希可核验。<br>
Generated from the registry journal; verify it by the journal sequence number and hash.</p>
</body></html>
"""


def render(cert: CertificatePublic) -> str:
    fields = [
        ("证书编号", "Certificate", cert.certificate_id),
        ("批次", "Batch", cert.batch),
        ("注销数量", "Quantity", f"{format_carbon(cert.quantity_g)} CO2e ({cert.quantity_g} g)"),
        ("受益方", "Beneficiary", cert.beneficiary or WITHHELD),
        ("注销原因", "Reason", cert.reason),
        ("地区", "Jurisdiction", cert.jurisdiction or "—"),
        ("消费期间", "Consumption period", cert.consumption_period or "—"),
        ("注销账户", "Retired by", cert.retired_by or WITHHELD),
        ("注销时间 (UTC)", "Retired at (UTC)", cert.retired_at),
        ("日志序号", "Journal entry", str(cert.journal_seq)),
    ]
    rows = _rows(fields)
    rows.append(_hash_row(cert.entry_hash))
    title = f"自愿注销证明 Retirement certificate {cert.certificate_id}"
    return _PAGE.format(
        title=escape(title),
        heading_zh="自愿注销证明",
        heading_en="Retirement certificate",
        rows="\n".join(rows),
    )


def _rows(fields: list[tuple[str, str, str]]) -> list[str]:
    return [
        f"<tr><th>{escape(zh)}<br><small>{escape(en)}</small></th><td>{escape(value)}</td></tr>"
        for zh, en, value in fields
    ]


def _hash_row(entry_hash: str) -> str:
    return (
        f'<tr><th>哈希<br><small>Entry hash</small></th><td class="hash">'
        f"{escape(entry_hash)}</td></tr>"
    )


# ---- PCER issuance certificates (issue 5) -------------------------------------------------
def _grams(quantity_g: int) -> str:
    return f"{format_carbon(quantity_g)} CO2e ({quantity_g:,} g)"


def render_issuance(cert: IssuanceCertificatePublic, credit: SponsorCreditPublic | None) -> str:
    """The batch's issuance record; with ``credit``, the sponsor's own line below it."""
    fields = [
        ("证书编号", "Certificate", credit.certificate_id if credit else cert.certificate_id),
        ("批次", "Batch", cert.batch),
        ("项目", "Project", f"{cert.project_code} {cert.project_name} ({cert.project_type})"),
        ("业主", "Project owner", cert.owner),
        ("监测期", "Monitoring period", f"{cert.period_start} – {cert.period_end}"),
        ("核查机构", "Verifier", f"{cert.verifier} ({cert.verified_at})"),
        ("核证清除量", "Verified removals", _grams(cert.verified_removals_g)),
        ("本批签发", "Issued in this batch", _grams(cert.issued_g)),
        ("缓冲库", "Buffer", f"{_grams(cert.buffer_g)}, {cert.buffer_bps / 100:g} %"),
        ("认养单位", "Sponsor unit", cert.unit_definition),
        (
            "认养份额",
            "Units sponsored",
            f"{cert.total_shares:,} of {cert.project_units:,} units · {cert.share_rule}",
        ),
        ("认养人分得", "Attributed to sponsors", _grams(cert.attributed_g)),
        ("未签发", "Unissued (unsponsored units)", _grams(cert.unissued_g)),
        ("认养人 / 份额", "Sponsors / shares", f"{cert.sponsors:,} / {cert.total_shares:,}"),
        ("清除模型", "Removal model", cert.model_version),
        ("余数补足", "Leftover grams", f"{cert.leftover_g:,} g"),
        ("签发机构", "Issued by", cert.issued_by),
        ("签发时间 (UTC)", "Issued at (UTC)", cert.issued_at),
        ("日志序号", "Journal entry", str(cert.journal_seq)),
    ]
    rows = _rows(fields)
    rows.append(_hash_row(cert.entry_hash))
    if credit is not None:
        rows.append('<tr><th colspan="2"><h3>我的信用 · My credits</h3></th></tr>')
        rows.extend(_rows(_credit_fields(cert, credit)))
    rows.append(
        f"<tr><th>分配规则<br><small>Remainder rule</small></th><td>{escape(REMAINDER_RULE_ZH)}"
        f"<br><small>{escape(cert.remainder_rule)}</small></td></tr>"
    )
    title = f"PCER 签发证明 Issuance certificate {cert.certificate_id}"
    return _PAGE.format(
        title=escape(title),
        heading_zh="个人核证减排量签发证明",
        heading_en="PCER issuance certificate",
        rows="\n".join(rows),
    )


def _credit_fields(
    cert: IssuanceCertificatePublic, c: SponsorCreditPublic
) -> list[tuple[str, str, str]]:
    share = (
        f"{c.shares:,} / {c.total_shares:,} sponsored (of {cert.project_units:,} units in the"
        " project)"
    )
    exact = (
        f"{cert.attributed_g:,} × {c.shares:,} ÷ {c.total_shares:,} = {c.floor_g:,} g"
        f" + {c.remainder:,}/{c.total_shares:,}"
    )
    up = "是 yes, +1 g" if c.rounded_up else "否 no"
    return [
        ("账户", "Account", str(c.account_id)),
        ("我的份额", "My shares", share),
        ("精确计算", "Exact share", exact),
        ("获补 1 克", "Received a leftover gram", up),
        ("签发给我", "Credited to me", _grams(c.credited_g)),
        ("现持有", "Held now", _grams(c.available_g)),
    ]
