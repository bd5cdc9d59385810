"""A retirement certificate as a small bilingual (中文 / English) HTML page.

Everything shown comes from the certificate, which is derived from the journal entry;
every value is escaped. The quantity is shown in tonnes (exactly, from integer grams)
next to the grams themselves.
"""

from __future__ import annotations

from html import escape

from pctrade.api.schemas import CertificatePublic
from pctrade.domain.units import format_carbon

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, "Noto Sans SC", sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 2rem; border: 3px double #2f6b3b; color: #1d2b20; }}
h1 {{ color: #2f6b3b; margin-bottom: 0; }} h2 {{ margin-top: 0; font-weight: normal; }}
th {{ text-align: left; padding: .3rem 1rem .3rem 0; vertical-align: top; }}
.hash {{ font-family: monospace; font-size: .8rem; word-break: break-all; }}
</style></head>
<body>
<h1>自愿注销证明</h1>
<h2>Retirement certificate</h2>
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
        ("受益方", "Beneficiary", cert.beneficiary),
        ("注销原因", "Reason", cert.reason),
        ("地区", "Jurisdiction", cert.jurisdiction or "—"),
        ("消费期间", "Consumption period", cert.consumption_period or "—"),
        ("注销账户", "Retired by", cert.retired_by),
        ("注销时间 (UTC)", "Retired at (UTC)", cert.retired_at),
        ("日志序号", "Journal entry", str(cert.journal_seq)),
    ]
    rows = [
        f"<tr><th>{escape(zh)}<br><small>{escape(en)}</small></th><td>{escape(value)}</td></tr>"
        for zh, en, value in fields
    ]
    rows.append(
        f'<tr><th>哈希<br><small>Entry hash</small></th><td class="hash">'
        f"{escape(cert.entry_hash)}</td></tr>"
    )
    title = f"自愿注销证明 Retirement certificate {cert.certificate_id}"
    return _PAGE.format(title=escape(title), rows="\n".join(rows))
