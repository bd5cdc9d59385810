"""The wallet's sponsoring and pool-leaving forms (``/web/wallet``, beside ``wallet``).

Each posts to the service the API's route calls, with the form's idempotency key, and
answers with the wallet again (``wallet.write``: the notice, or the refusal's code with
nothing written):

    POST /wallet/sponsor   spend green energy on sink units  Sinks.sponsor
    POST /wallet/notice    give notice of withdrawal          Pools.give_notice
    POST /wallet/withdraw  withdraw unsold units from a pool  Pools.withdraw
    POST /wallet/consent   move my deposits to newer terms    Pools.consent

The pools refuse what the terms forbid (``pool_units_locked`` inside the lock-in or
before the notice has run, ``pool_units_sold``, ``nothing_to_consent``, …); the wallet
shows, before any post, the earliest date a withdrawal can be made
(``pools.queries.pool_standing``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from pctrade.bootstrap import App
from pctrade.pools import commands as pc
from pctrade.web.forms import FormDep, idempotency_key
from pctrade.web.pages import form_fields as f
from pctrade.web.pages.wallet import IndividualDep, Notice, write

router = APIRouter()


@router.post("/wallet/sponsor", include_in_schema=False)
def sponsor(request: Request, user: IndividualDep, fields: FormDep) -> Response:
    key = idempotency_key(fields)

    def run(app: App, actor: str, account: int) -> Notice:
        code = f.required(fields, "project")
        units = f.whole_number(fields, "units")
        done = app.sinks.sponsor(actor, key, account, code, units)
        values = {"project": code, "units": units, "energy_g": done.energy_g}
        return Notice("sponsored", values, done.replayed)

    return write(request, user, run)


@router.post("/wallet/notice", include_in_schema=False)
def give_notice(request: Request, user: IndividualDep, fields: FormDep) -> Response:
    key = idempotency_key(fields)

    def run(app: App, actor: str, account: int) -> Notice:
        pool = f.required(fields, "pool")
        logged = app.pools.give_notice(actor, key, pool, account)
        values = {"pool": pool, "given_at": logged.result["given_at"]}
        return Notice("notice_given", values, logged.replayed)

    return write(request, user, run)


@router.post("/wallet/withdraw", include_in_schema=False)
def withdraw(request: Request, user: IndividualDep, fields: FormDep) -> Response:
    key = idempotency_key(fields)

    def run(app: App, actor: str, account: int) -> Notice:
        pool = f.required(fields, "pool")
        grams = f.whole_number(fields, "quantity_g")
        receipt = app.pools.withdraw(actor, key, pc.WithdrawFromPool(pool, account, grams))
        return Notice("withdrawn", {"pool": pool, "quantity_g": grams}, receipt.replayed)

    return write(request, user, run)


@router.post("/wallet/consent", include_in_schema=False)
def consent(request: Request, user: IndividualDep, fields: FormDep) -> Response:
    key = idempotency_key(fields)

    def run(app: App, actor: str, account: int) -> Notice:
        pool = f.required(fields, "pool")
        version = f.whole_number(fields, "version")
        receipt = app.pools.consent(actor, key, pc.ConsentToTerms(pool, account, version))
        return Notice("consented", {"pool": pool, "version": version}, receipt.replayed)

    return write(request, user, run)
