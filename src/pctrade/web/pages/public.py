"""The public transparency page (``/web/``), for anyone, signed in or not.

What the registry holds in aggregate, read through the contexts' queries (the same
the API and CLI read): every credit instrument's totals per jurisdiction — issued,
available, frozen, surrendered, retired, cancelled (``ledger.queries.supply_totals``);
each listed contract's closes and the last day's volume, drawn as a chart
(``market.reads``); each platform pool's aggregates (``pools.queries.public_page``); and
each sink project with its verified removals (``sinks.queries.public_projects``). Nothing
names a person or an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from pctrade.bootstrap import App
from pctrade.ledger import queries as ledger_queries
from pctrade.ledger.model import State
from pctrade.market import reads as market_reads
from pctrade.pools import queries as pool_queries
from pctrade.sinks import queries as sink_queries
from pctrade.web import formatting
from pctrade.web.charts import ChartTable
from pctrade.web.i18n import N_, Language
from pctrade.web.templating import language_of, render
from pctrade.web.wiring import app_of

router = APIRouter()

CONTRACTS_SHOWN_MAX = 50
POOLS_SHOWN_MAX = 50
CLOSES_SHOWN = 30  # trading days of closes per contract in the chart
# The states of the supply table, in the order a credit's life goes.
SUPPLY_STATES = (State.AVAILABLE, State.FROZEN, State.SURRENDERED, State.RETIRED, State.CANCELLED)
INSTRUMENT_NAMES = {
    "CEA": N_("Allowances (CEA)"),
    "CCER": N_("Certified offsets (CCER)"),
    "PCER": N_("Personal credits (PCER)"),
}
STATUS_NAMES = (N_("open"), N_("closed"), N_("registered"), N_("approved"))


@dataclass(frozen=True, slots=True)
class ContractPrices:
    """A listed contract and its closes, oldest first."""

    contract: dict[str, Any]
    closes: list[dict[str, Any]]

    @property
    def last(self) -> dict[str, Any] | None:
        return self.closes[-1] if self.closes else None


@router.get("/", include_in_schema=False)
def transparency(request: Request) -> Response:
    app = app_of(request)
    language = language_of(request)
    prices = _prices(app)
    context = {
        "supply": ledger_queries.supply_totals(app.store),
        "supply_states": SUPPLY_STATES,
        "instrument_names": INSTRUMENT_NAMES,
        "prices": prices,
        "price_chart": _price_chart(prices, language),
        "pools": _pools(app),
        "projects": sink_queries.public_projects(app.store),
    }
    return render(request, "public/index.html", context)


def _prices(app: App) -> list[ContractPrices]:
    contracts = market_reads.contracts(app.store, 0, CONTRACTS_SHOWN_MAX).items
    return [
        ContractPrices(c, list(reversed(market_reads.closes(app.store, c["code"], CLOSES_SHOWN))))
        for c in sorted(contracts, key=lambda c: str(c["code"]))
    ]


def _pools(app: App) -> list[dict[str, Any]]:
    listed = pool_queries.list_pools(app.store, "", POOLS_SHOWN_MAX).items
    return [pool_queries.public_page(app.store, p["pool_id"]) for p in listed]


def _price_chart(prices: list[ContractPrices], language: Language) -> dict[str, Any]:
    """The closes of every contract on one time axis: the ECharts option, and the same
    figures as a table."""
    days = sorted({c["day"] for p in prices for c in p.closes})
    series = []
    rows = []
    for p in prices:
        by_day = {c["day"]: c["close_fen_per_t"] for c in p.closes}
        yuan_per_t = [None if by_day.get(d) is None else by_day[d] / 100 for d in days]
        series.append(
            {"name": p.contract["code"], "type": "line", "data": yuan_per_t, "connectNulls": True}
        )
        for d in days:
            if by_day.get(d) is not None:
                rows.append(
                    [
                        p.contract["code"],
                        formatting.day(d, language),
                        formatting.price_per_t(by_day[d], language),
                    ]
                )
    option = {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "top": 0},
        "grid": {"left": 48, "right": 16, "top": 56, "bottom": 32},
        "xAxis": {"type": "category", "data": [formatting.day(d, language) for d in days]},
        "yAxis": {"type": "value", "name": language.gettext("yuan/t"), "scale": True},
        "series": series,
        "aria": {"enabled": True},
    }
    table = ChartTable(
        language.gettext("Closing prices as a table"),
        [language.gettext("Contract"), language.gettext("Day"), language.gettext("Close")],
        rows,
    )
    return {
        "option": option,
        "table": table,
        "label": language.gettext("Closing prices per tonne of each contract, by trading day"),
    }
