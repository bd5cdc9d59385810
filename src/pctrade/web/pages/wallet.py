"""The personal wallet (个人碳账户, ``/web/wallet``): an individual's energy, trees and credits.

``GET /wallet`` shows what ``wallet_data.gather`` reads. Its forms write through the
services the API's routes call, each with the form's idempotency key, so a double
submit replays the first write (the page says so) instead of making a second:

    POST /wallet/collect   collect my green energy       energy.service.collect
    POST /wallet/sell      sell on the order book        Market.place (a day sell order)
    POST /wallet/deposit   deposit credits into a pool   Pools.deposit
    POST /wallet/retire    retire for my own footprint   Registry.retire (a certificate)

and ``wallet_pools`` adds sponsoring sink units with energy and leaving a pool (notice,
withdrawal, consent to new terms). Each is registered by ``wallet_post``, which does for
all of them what a form's POST needs.

Every POST is CSRF-checked first (``forms.FormDep``). A refusal — a field that does not
read, or the domain's (``not_eligible``, ``insufficient_balance``, ``quantity_off_lot``,
…) — re-renders the wallet with the error's code and message, with the status the API
would answer, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from pctrade.bootstrap import App
from pctrade.energy import service as energy
from pctrade.kernel.errors import PctradeError, ValidationError
from pctrade.ledger import commands as c
from pctrade.ledger import queries, reads
from pctrade.ledger.model import Party, Role
from pctrade.ledger.operations import Retirement
from pctrade.market import commands as mc
from pctrade.market import reads as market_reads
from pctrade.market.selling import direct_selling
from pctrade.pools import commands as pc
from pctrade.web import formatting
from pctrade.web.charts import ChartTable
from pctrade.web.forms import FormDep, form_context, idempotency_key
from pctrade.web.i18n import Language
from pctrade.web.pages import form_fields as f
from pctrade.web.pages import wallet_data
from pctrade.web.pages.outcome import Refusal, refuse
from pctrade.web.session import WebUser, require_role
from pctrade.web.templating import language_of, render
from pctrade.web.wiring import app_of

router = APIRouter()
IndividualDep = Annotated[WebUser, Depends(require_role(Role.INDIVIDUAL))]
ORDERS_SHOWN_MAX = 20
TEMPLATE = "wallet/index.html"
POOL_FORMS = ("notice", "withdraw", "consent")  # each pool I have unsold units in


@dataclass(frozen=True, slots=True)
class Notice:
    """What a write did, for the page to say: a message id and its values."""

    message: str
    values: dict[str, Any]
    replayed: bool
    link: str | None = None


def _party(user: WebUser) -> Party:
    return Party(user.party_id, user.role, user.display_name)


def _context(request: Request, user: WebUser, notice: Notice | None = None) -> dict[str, Any]:
    """What the wallet's template is given: the view, my orders, a key per form."""
    app = app_of(request)
    language = language_of(request)
    view = wallet_data.gather(app, _party(user))
    orders = market_reads.my_orders(app.store, user.party_id, None, (0, 0), ORDERS_SHOWN_MAX)
    spendable = [b for b in view.credits if b.available_g > 0]
    # One idempotency key per form: two forms of one page are two writes.
    names = [
        "collect",
        "deposit",
        "retire",
        *(f"sell-{s.contract}" for s in view.selling),
        *(f"sponsor-{o.code}" for o in view.offers),
        *(f"{what}-{s.pool_id}" for s in view.standings for what in POOL_FORMS),
    ]
    return {
        "w": view,
        "orders": orders.items,
        "notice": notice,
        "refused": None,
        "now": app.clock(),
        "forms": {name: form_context(request) for name in names},
        "family_labels": wallet_data.FAMILY_LABELS,
        "condition_labels": wallet_data.CONDITION_LABELS,
        "unit_labels": wallet_data.UNIT_LABELS,
        "order_labels": wallet_data.ORDER_LABELS,
        "energy_chart": wallet_data.energy_chart_option(view.energy, language.gettext),
        "energy_table": _energy_table(view.energy, language),
        "daily_chart": wallet_data.daily_chart_option(view.energy),
        "daily_table": _daily_table(view.energy, language),
        "expires_in_s": wallet_data.expires_in_s,
        "deposit_batches": spendable,
        "retire_batches": spendable,
        "api_root": _api_root(request),
    }


def _api_root(request: Request) -> str:
    """Where the API answers: the web app is mounted at ``/web`` under it."""
    root: str = request.scope.get("root_path", "")
    return root.removesuffix("/web")


def _energy_table(view: wallet_data.EnergyView, language: Language) -> ChartTable:
    """The energy chart's figures as a table, for whoever cannot see the chart."""
    label = wallet_data.FAMILY_LABELS
    return ChartTable(
        language.gettext("Green energy by behaviour, last 30 days"),
        [language.gettext("Behaviour"), language.gettext("Energy")],
        [
            [
                language.gettext(label.get(b.family, b.family)),
                formatting.grams(b.credited_g, language),
            ]
            for b in view.behaviours
        ],
    )


def _daily_table(view: wallet_data.EnergyView, language: Language) -> ChartTable:
    g = language.gettext
    return ChartTable(
        g("Green energy by day, last 30 days"),
        [g("Date"), g("Energy")],
        [
            [formatting.day(d, language), formatting.grams(grams, language)]
            for d, grams in view.days
        ],
    )


@router.get("/wallet", include_in_schema=False)
def wallet(request: Request, user: IndividualDep) -> Response:
    return page(request, user=user)


def page(
    request: Request,
    *,
    user: WebUser,
    notice: Notice | None = None,
    refused: Refusal | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The wallet, with what a form's write did or why it was refused."""
    context = {**_context(request, user, notice), "refused": refused}
    return render(request, TEMPLATE, context, status=status)


@dataclass(frozen=True, slots=True)
class Posted:
    """One wallet form as its write sees it: the signed-in individual's own account,
    the checked fields and the form's idempotency key."""

    app: App
    request: Request
    user: WebUser
    fields: dict[str, str]
    key: str
    account: int

    @property
    def actor(self) -> str:
        return self.user.party_id


Write = Callable[[Posted], Notice]


def wallet_post(on: APIRouter, path: str) -> Callable[[Write], Write]:
    """Register ``write`` as the POST of ``path`` on ``on``: CSRF-checked (``FormDep``),
    run for the signed-in individual with the form's key, answered with the wallet and
    its notice, or its refusal (``outcome.refuse``: the code, the API's status)."""

    def register(write: Write) -> Write:
        def route(request: Request, user: IndividualDep, fields: FormDep) -> HTMLResponse:
            app = app_of(request)
            try:
                account = reads.own_individual_account(app.store, user.party_id)
                posted = Posted(app, request, user, fields, idempotency_key(fields), account)
                notice = write(posted)
            except PctradeError as exc:
                return refuse(request, page, exc, user=user)
            return page(request, user=user, notice=notice)

        on.add_api_route(path, route, methods=["POST"], include_in_schema=False)
        return write

    return register


@wallet_post(router, "/wallet/collect")
def collect(form: Posted) -> Notice:
    app = form.app
    report = energy.collect(
        app.registry, form.actor, form.key, form.account, app.clock(), rules=app.rules
    )
    values = {"collected_g": report.collected_g, "lapsed_g": report.lapsed_g}
    return Notice("collected", values, report.replayed)


@wallet_post(router, "/wallet/sell")
def sell(form: Posted) -> Notice:
    contract = f.required(form.fields, "contract")
    lots = f.whole_number(form.fields, "lots")
    price = f.yuan_as_fen(form.fields, "price_yuan_per_t")
    lot_g = _lot_of(form.app, form.actor, form.account, contract)
    # The form's key names the order too, so a replay is the same order.
    cmd = mc.PlaceOrder(contract, form.account, f"web-{form.key}"[:64], "sell", price, lots * lot_g)
    result = form.app.market.place(form.actor, form.key, cmd)
    order = result.get("order") or {}
    values = {
        "contract": contract,
        "quantity_g": lots * lot_g,
        "price_fen_per_t": price,
        "state": str(order.get("state", "")),
        "trades": len(result.get("trades") or ()),
    }
    return Notice("order_placed", values, bool(result.get("replayed")))


def _lot_of(app: App, actor: str, account: int, contract: str) -> int:
    """The lot the rules trade ``contract`` in today: a person sells whole lots."""
    today = wallet_data.trading_day(app)
    for standing in direct_selling(app.store, app.rules, actor, account, today):
        if standing.contract == contract:
            return standing.lot_g
    raise ValidationError(
        f"you hold no credits of a listed contract {contract!r}", code="bad_contract"
    )


@wallet_post(router, "/wallet/deposit")
def deposit(form: Posted) -> Notice:
    pool = f.required(form.fields, "pool")
    batch = f.required(form.fields, "batch")
    grams = f.whole_number(form.fields, "quantity_g")
    cmd = pc.DepositToPool(pool, form.account, batch, grams)
    receipt = form.app.pools.deposit(form.actor, form.key, cmd)
    values = {"pool": pool, "batch": batch, "quantity_g": grams}
    return Notice("deposited", values, receipt.replayed)


@wallet_post(router, "/wallet/retire")
def retire(form: Posted) -> Notice:
    batch = f.required(form.fields, "batch")
    grams = f.whole_number(form.fields, "quantity_g")
    why = Retirement(
        f.text(form.fields, "beneficiary", form.user.display_name),
        f.text(form.fields, "reason", "my own footprint"),
        publish_beneficiary=form.fields.get("publish_beneficiary") == "on",
    )
    cmd = c.Retire(form.account, batch, grams, why)
    receipt = form.app.registry.retire(form.actor, form.key, cmd)
    cert = queries.certificate(form.app.store, receipt.seq)
    values = {"batch": batch, "quantity_g": grams, "certificate": cert.certificate_id}
    link = f"{_api_root(form.request)}/certificates/{cert.certificate_id}.html"
    return Notice("retired", values, receipt.replayed, link)
