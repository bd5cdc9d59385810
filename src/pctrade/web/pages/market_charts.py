"""The market page's chart: daily price (the close, else the last trade) and volume.

Built from ``market.reads.bars`` for ECharts (``web.charts.chart``), with the same
figures as a table. Prices go to the chart in yuan and volumes in tonnes as decimal
strings (ECharts reads them as numbers), so no figure passes through a float here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup

from pctrade.kernel.units import G_PER_T
from pctrade.web import formatting
from pctrade.web.charts import ChartTable, chart
from pctrade.web.i18n import Language

FEN_PER_YUAN = 100
Row = dict[str, Any]


def _price(bar: Row) -> int | None:
    close = bar["close_fen_per_t"]
    return int(close) if close is not None else bar["last_fen_per_t"]


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(Decimal(fen) / FEN_PER_YUAN)


def price_volume(chart_id: str, code: str, bars: list[Row], language: Language) -> Markup:
    _ = language.gettext
    price_name, volume_name = _("Price (yuan per tonne)"), _("Volume (t)")
    days = [str(b["day"]) for b in bars]
    option = {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [price_name, volume_name], "top": 0},
        "grid": {"left": 56, "right": 56, "bottom": 32, "top": 56, "containLabel": True},
        "xAxis": {"type": "category", "data": days},
        "yAxis": [
            {"type": "value", "name": _("yuan/t"), "scale": True},
            {"type": "value", "name": _("t")},
        ],
        "series": [
            {
                "name": price_name,
                "type": "line",
                "data": [_yuan(_price(b)) for b in bars],
                "connectNulls": True,
            },
            {
                "name": volume_name,
                "type": "bar",
                "yAxisIndex": 1,
                "data": [str(Decimal(int(b["volume_g"])) / G_PER_T) for b in bars],
            },
        ],
    }
    rows = [
        (
            formatting.day(str(b["day"]), language),
            "—" if _price(b) is None else formatting.price_per_t(int(_price(b) or 0), language),
            formatting.grams(int(b["volume_g"]), language),
            formatting.number(int(b["trades"]), language),
        )
        for b in bars
    ]
    table = ChartTable(
        _("Daily price and volume of %(code)s") % {"code": code},
        (_("Day"), _("Price"), _("Volume"), _("Trades")),
        rows,
    )
    label = _("Chart of the daily price and volume of %(code)s") % {"code": code}
    return chart(chart_id, option, label, table)
