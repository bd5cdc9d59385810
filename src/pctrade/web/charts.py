"""Charts: ECharts draws them, a table says the same to whoever cannot see a canvas.

``chart(id, option, label, table)`` renders a ``<figure>``: a ``<div role="img">``
named by ``aria-label`` with the ECharts option beside it as JSON in a
``<script type="application/json">`` (data, not code: nothing is evaluated), and the
same figures as a table inside ``<details>``. ``static/charts.js`` — our one script —
finds every such div and draws it with ECharts (``/web/vendor/echarts.min.js``); without
it, or without JavaScript, the table is still there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

CHART_ID_LEN_MAX = 64
CHART_ROWS_MAX = 1_000  # a chart's table past this many rows would help nobody


@dataclass(frozen=True, slots=True)
class ChartTable:
    """The chart's data as text: a caption, column headings, rows of formatted cells."""

    caption: str
    headings: Sequence[str]
    rows: Sequence[Sequence[str]]


def chart(chart_id: str, option: dict[str, Any], label: str, table: ChartTable) -> Markup:
    """The chart's markup (see the module)."""
    if not chart_id or len(chart_id) > CHART_ID_LEN_MAX or not chart_id.replace("-", "").isalnum():
        raise ValueError(f"a chart id is letters, digits and '-': {chart_id!r}")
    # "</" cannot end the script early once its slash is escaped; JSON reads "\/" as "/".
    option_json = json.dumps(option, ensure_ascii=False, separators=(",", ":")).replace(
        "</", "<\\/"
    )
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.headings)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{escape(cell)}</th>' if i == 0 else f"<td>{escape(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows[:CHART_ROWS_MAX]
    )
    return Markup(
        f'<figure class="chart">'
        f'<div class="chart-canvas" id="{chart_id}" role="img" aria-label="{escape(label)}" '
        f'data-chart="{chart_id}-option"></div>'
        f'<script type="application/json" id="{chart_id}-option">{option_json}</script>'
        f"<details><summary>{escape(table.caption)}</summary>"
        f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(table.caption)}">'
        f'<table><caption class="visually-hidden">{escape(table.caption)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
        f"</figure>"
    )
