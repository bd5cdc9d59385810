"""The platform console (``/web/platform``): a platform's pools, terms, sales and payouts.

Read-only: what ``platform_data.gather`` reads through the pools context (the queries
the API's ``/pools…`` routes call). Contributors are counted, never named.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from pctrade.ledger.model import Party, Role
from pctrade.web import formatting
from pctrade.web.charts import ChartTable
from pctrade.web.i18n import Language
from pctrade.web.pages import platform_data
from pctrade.web.session import WebUser, require_role
from pctrade.web.templating import language_of, render
from pctrade.web.wiring import app_of

router = APIRouter()
PlatformDep = Annotated[WebUser, Depends(require_role(Role.PLATFORM))]


def _sales_table(pool: platform_data.PoolConsole, language: Language) -> ChartTable:
    g = language.gettext
    return ChartTable(
        g("Sales of the pool"),
        [g("Sold at"), g("Volume"), g("Price")],
        [
            [
                formatting.instant(str(s["sold_at"]), language),
                formatting.grams(int(s["quantity_g"]), language),
                formatting.price_per_t(int(s["price_fen_per_t"]), language),
            ]
            for s in pool.sales
        ],
    )


@router.get("/platform", include_in_schema=False)
def console(request: Request, user: PlatformDep) -> Response:
    app = app_of(request)
    language = language_of(request)
    view = platform_data.gather(app, Party(user.party_id, user.role, user.display_name))
    charts = {
        str(p.page["pool_id"]): (platform_data.sales_chart_option(p), _sales_table(p, language))
        for p in view.pools
    }
    return render(request, "platform/index.html", {"v": view, "charts": charts})
