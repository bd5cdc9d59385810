"""The emitter desk (``/web/desk``): a key emitter's obligation, holdings and trading.

It shows, per emitter account, the allocation and verified emissions of each capped
period, what is still short, the status (A/B/C) and the offset cap left — the figure
the surrender's own check uses (``compliance.offset_room``); the holdings; and the ways
to buy: an order on the book, a block proposal made to it, a bid in an open auction.
Its forms post to the same services as the API (``Market.place``, ``BlockTrades.accept``,
``Auctions.bid``, ``Surrenders.surrender``), each with the form's idempotency key.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from pctrade.compliance.surrender_commands import SurrenderUnits
from pctrade.ledger.model import Role
from pctrade.market import commands as mc
from pctrade.market import venue_commands as vc
from pctrade.web.forms import FormDep, form_field, idempotency_key
from pctrade.web.pages import desk_data
from pctrade.web.pages.amounts import positive_int, tonnes_to_g, yuan_to_fen
from pctrade.web.pages.outcome import Done, Refusal, new_key, submit
from pctrade.web.session import WebUser, require_role
from pctrade.web.templating import render
from pctrade.web.wiring import app_of

router = APIRouter()
EmitterDep = Annotated[WebUser, Depends(require_role(Role.EMITTER))]
SURRENDER_LINES = 3  # batches one surrender form offers; the API takes more


def page(
    request: Request,
    user: WebUser,
    *,
    done: Done | None = None,
    refused: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    data = desk_data.desk(app_of(request), user.party_id)
    context = {
        "desk": data,
        "done": done,
        "refused": refused,
        "surrender_lines": SURRENDER_LINES,
        "new_key": new_key,
    }
    return render(request, "desk/index.html", context, status=status)


@router.get("/desk", response_class=HTMLResponse)
def show(request: Request, user: EmitterDep) -> HTMLResponse:
    return page(request, user)


@router.post("/desk/orders", response_class=HTMLResponse)
def place_order(request: Request, user: EmitterDep, form: FormDep) -> HTMLResponse:
    """Buy on the book: a day limit order at the price typed."""

    def write() -> Done:
        key = idempotency_key(form)
        cmd = mc.PlaceOrder(
            form_field(form, "contract"),
            positive_int(form.get("account", ""), "account"),
            f"web-{key}",
            "buy",
            yuan_to_fen(form.get("price", "")),
            tonnes_to_g(form.get("quantity", "")),
        )
        result = app_of(request).market.place(user.party_id, key, cmd)
        return Done("Order placed", str(result["order_id"]), bool(result.get("replayed")))

    return submit(request, page, write, user=user)


@router.post("/desk/blocks", response_class=HTMLResponse)
def accept_block(request: Request, user: EmitterDep, form: FormDep) -> HTMLResponse:
    """Accept a block proposal made to the emitter: it settles at once."""

    def write() -> Done:
        cmd = vc.AcceptBlock(
            form_field(form, "contract"),
            positive_int(form.get("proposal", ""), "proposal"),
            positive_int(form.get("account", ""), "account"),
        )
        result = app_of(request).blocks.accept(user.party_id, idempotency_key(form), cmd)
        trades = ", ".join(str(t) for t in result.get("trades", ()))
        return Done("Block trade accepted", trades, bool(result.get("replayed")))

    return submit(request, page, write, user=user)


@router.post("/desk/bids", response_class=HTMLResponse)
def bid(request: Request, user: EmitterDep, form: FormDep) -> HTMLResponse:
    """A sealed bid in an open auction: its cash and fee are frozen."""

    def write() -> Done:
        cmd = vc.SubmitBid(
            form_field(form, "contract"),
            positive_int(form.get("auction", ""), "auction"),
            positive_int(form.get("account", ""), "account"),
            yuan_to_fen(form.get("price", "")),
            tonnes_to_g(form.get("quantity", "")),
        )
        result = app_of(request).auctions.bid(user.party_id, idempotency_key(form), cmd)
        return Done("Bid submitted", str(result["bid_id"]), bool(result.get("replayed")))

    return submit(request, page, write, user=user)


def surrender_lines(form: dict[str, str]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The (batch, grams) lines filled in; a line left empty is not one."""
    batches: list[str] = []
    grams: list[int] = []
    for i in range(1, SURRENDER_LINES + 1):
        batch, quantity = form_field(form, f"batch_{i}"), form.get(f"quantity_{i}", "").strip()
        if batch and quantity:
            batches.append(batch)
            grams.append(tonnes_to_g(quantity))
    return tuple(batches), tuple(grams)


@router.post("/desk/surrender", response_class=HTMLResponse)
def surrender(request: Request, user: EmitterDep, form: FormDep) -> HTMLResponse:
    """Surrender allowances and offsets for a period, in one entry."""

    def write() -> Done:
        batches, grams = surrender_lines(form)
        cmd = SurrenderUnits(
            positive_int(form.get("account", ""), "account"),
            form_field(form, "jurisdiction"),
            form_field(form, "period"),
            batches,
            grams,
        )
        receipt = app_of(request).surrenders.surrender(user.party_id, idempotency_key(form), cmd)
        return Done("Units surrendered", str(receipt.entry.seq), receipt.replayed)

    return submit(request, page, write, user=user)
