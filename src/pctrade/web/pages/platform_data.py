"""What the platform console shows a platform: its pools, their terms, sales and payouts.

The reads are the pools context's, the same the API's routes make:
``pools.queries.pools_of_platform`` (each pool's public page: contributor count,
deposited, unsold, sold, fee), ``pools.queries.terms_versions`` (``GET
/pools/{id}/terms``), ``pools.sale_reports.sales_of_pool`` (``GET /pools/{id}/sales``)
and ``public_pool`` (``GET /pools/{id}/public``: the sales in aggregate). Contributors
appear as counts only: the console names no person (the terms allow no more).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pctrade.bootstrap import App
from pctrade.ledger.model import Party
from pctrade.pools import queries as pool_queries
from pctrade.pools import sale_reports

SALES_SHOWN_MAX = 100  # the newest sales of a pool the console lists


@dataclass(frozen=True, slots=True)
class PoolConsole:
    """One pool of the platform: its page, its terms' versions, its sales in full and
    in aggregate (the fees it charged, what its contributors were paid)."""

    page: dict[str, Any]
    terms: list[dict[str, Any]]
    sales: list[dict[str, Any]]
    totals: dict[str, Any]
    fee_cap_bps: int | None  # the most a pool may keep under its terms' rule set


@dataclass(frozen=True, slots=True)
class PlatformView:
    party: Party
    pools: list[PoolConsole]

    @property
    def contributors(self) -> int:
        return sum(int(p.page["contributors"]) for p in self.pools)

    @property
    def net_paid_fen(self) -> int:
        return sum(int(p.totals["net_fen"]) for p in self.pools)

    @property
    def pool_fee_fen(self) -> int:
        return sum(int(p.totals["pool_fee_fen"]) for p in self.pools)


def gather(app: App, party: Party) -> PlatformView:
    """Everything the console shows the platform ``party``, read now."""
    pools = []
    for page in pool_queries.pools_of_platform(app.store, party.party_id):
        pool_id = str(page["pool_id"])
        sales = sale_reports.sales_of_pool(app.store, party.party_id, pool_id, 0, SALES_SHOWN_MAX)
        pools.append(
            PoolConsole(
                page,
                pool_queries.terms_versions(app.store, pool_id),
                list(sales["sales"]),
                sale_reports.public_pool(app.store, pool_id),
                _fee_cap_bps(app, str(page["rule_set"])),
            )
        )
    return PlatformView(party, pools)


def _fee_cap_bps(app: App, rule_set: str) -> int | None:
    fees = app.rules.by_version(rule_set).fees
    return None if fees is None else fees.pool_fee_cap_bps


def sales_chart_option(pool: PoolConsole) -> dict[str, Any]:
    """The ECharts option of a pool's sales: volume (g) per sale and its price (fen/t)."""
    labels = [str(s["sold_at"])[:10] for s in pool.sales]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 48, "containLabel": True},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": [{"type": "value", "name": "g"}, {"type": "value", "name": "fen/t"}],
        "series": [
            {
                "type": "bar",
                "name": "g",
                "data": [int(s["quantity_g"]) for s in pool.sales],
                "itemStyle": {"color": "#0b6b3a"},
            },
            {
                "type": "line",
                "name": "fen/t",
                "yAxisIndex": 1,
                "data": [int(s["price_fen_per_t"]) for s in pool.sales],
                "itemStyle": {"color": "#9a3412"},
            },
        ],
    }
