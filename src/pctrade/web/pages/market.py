"""The market pages (``/web/market``): contracts, order-book depth, trades, charts and
auctions, for anyone; orders for whoever is signed in with an account.

The contract page is drawn on the server from the market's reads (``market_data``) and
kept current in the browser by ``static/market_live.js``, which listens to the
contract's stream here (``/web/market/{code}/stream``: the API's own event stream,
``api.routers.market.event_stream``, over the web app's session instead of a bearer
token, since the market data it carries names no party). An order posts to
``Market.place``, as ``POST /market/contracts/{code}/orders`` does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from pctrade.api.routers.market import event_stream
from pctrade.api.settings import ApiSettings
from pctrade.kernel.limits import INT64_MAX
from pctrade.ledger import queries as ledger
from pctrade.market import commands as mc
from pctrade.market import reads
from pctrade.web.forms import FormDep, idempotency_key
from pctrade.web.pages import market_data
from pctrade.web.pages.amounts import positive_int, tonnes_to_g, yuan_to_fen
from pctrade.web.pages.market_charts import price_volume
from pctrade.web.pages.outcome import Done, Refusal, new_key, submit
from pctrade.web.session import UserDep, WebUser, optional_user
from pctrade.web.templating import language_of, render
from pctrade.web.wiring import app_of

router = APIRouter()
CodePath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
SIDES = ("buy", "sell")


@router.get("/market", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    return render(request, "market/index.html", {"lines": market_data.overview(app_of(request))})


def contract_view(
    request: Request,
    code: str,
    *,
    user: WebUser | None = None,
    done: Done | None = None,
    refused: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    app = app_of(request)
    data = market_data.contract_page(app, code)
    accounts = [] if user is None else ledger.accounts_of(app.store, user.party_id)
    context = {
        "page": data,
        "chart": price_volume("price-volume", code, data.bars, language_of(request)),
        "accounts": accounts,
        "sides": SIDES,
        "done": done,
        "refused": refused,
        "new_key": new_key,
    }
    return render(request, "market/contract.html", context, status=status)


@router.get("/market/{code}", response_class=HTMLResponse)
def contract(request: Request, code: CodePath) -> HTMLResponse:
    return contract_view(request, code, user=optional_user(request))


@router.post("/market/{code}/orders", response_class=HTMLResponse)
def place_order(request: Request, code: CodePath, user: UserDep, form: FormDep) -> HTMLResponse:
    """A day limit order on the contract, from one of the user's accounts."""

    def write() -> Done:
        key = idempotency_key(form)
        side = form.get("side", "")
        cmd = mc.PlaceOrder(
            code,
            positive_int(form.get("account", ""), "account"),
            f"web-{key}",
            side if side in SIDES else "",
            yuan_to_fen(form.get("price", "")),
            tonnes_to_g(form.get("quantity", "")),
        )
        result = app_of(request).market.place(user.party_id, key, cmd)
        return Done("Order placed", str(result["order_id"]), bool(result.get("replayed")))

    return submit(request, contract_view, write, code=code, user=user)


@router.get("/market/{code}/stream")
def stream(request: Request, code: CodePath) -> StreamingResponse:
    """The contract's live events (book, trade, close) as Server-Sent Events; a browser
    reconnecting sends Last-Event-ID and resumes after it."""
    app = app_of(request)
    reads.contract(app.store, code)  # unknown_contract before the stream starts
    settings: ApiSettings = getattr(request.app.state, "settings", None) or ApiSettings()
    resume = _last_event_id(request.headers.get("last-event-id"))
    body = event_stream(
        app.store,
        code,
        resume,
        settings.stream_events_max,
        settings.stream_poll_s,
        settings.stream_idle_s,
    )
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _last_event_id(header: str | None) -> int | None:
    if header is None or not header.isdigit() or len(header) > len(str(INT64_MAX)):
        return None
    value = int(header)
    return value if value <= INT64_MAX else None
